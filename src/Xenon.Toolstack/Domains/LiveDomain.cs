using Xenon.Domain;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Domains;

/// <summary>A domain whose process is alive, as its runtime directory describes it.</summary>
/// <param name="Name">The directory's name: the domain's name (rename moves the directory).</param>
/// <param name="Pid">The process running the domain (the detached domain process, or <c>xenon create -F</c>).</param>
public sealed record LiveDomain(string Name, int DomId, DomainSpec Spec, int Pid, DomainRuntimeDirectory Directory);
