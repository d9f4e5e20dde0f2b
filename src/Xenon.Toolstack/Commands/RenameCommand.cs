using System.Text.Json;
using Xenon.Toolstack.Config;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon rename DOMAIN NEWNAME</c>, as xl rename. Under the registry lock (so a concurrent create cannot take
/// the name): the domain process moves its runtime directory to the new name, then XenStore's name nodes follow.
/// </summary>
public static class RenameCommand
{
    public const string Usage = "Usage: xenon rename <Domain> <NewDomainName>";

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [], "xenon rename", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 2)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        string dom = line.Operands[0], newName = line.Operands[1];
        if (CommandSupport.IsDom0(dom))
        {
            stderr.WriteLine($"xenon: Domain-0 (the host) cannot be renamed");
            stderr.WriteLine($"Can't rename domain '{dom}'.");
            return CommandSupport.Failure;
        }
        if (DomainName.Validate(newName) is { } problem)
        {
            stderr.WriteLine($"xenon: invalid domain name: {problem}");
            stderr.WriteLine($"Can't rename domain '{dom}'.");
            return CommandSupport.Failure;
        }
        var registry = new DomainRegistry(context);
        if (CommandSupport.Find(registry, dom, stderr) is not { } d) return CommandSupport.Failure;
        if (d.Name == newName) return 0;

        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var target = context.DirectoryFor(newName);
            if (target.IsOwnedByLiveProcess())
            {
                stderr.WriteLine($"xenon: domain with name \"{newName}\" already exists.");
                stderr.WriteLine($"Can't rename domain '{dom}'.");
                return CommandSupport.Failure;
            }
            // A directory left by a domain that has ended holds nothing anyone needs.
            if (Directory.Exists(target.Path)) Directory.Delete(target.Path, recursive: true);
            string members = $",\"name\":{JsonSerializer.Serialize(newName, ToolstackJsonContext.Default.String)}";
            if (ControlClient.Send(d.Directory, "rename", members) is { } error)
            {
                stderr.WriteLine($"xenon: {error}");
                stderr.WriteLine($"Can't rename domain '{dom}'.");
                return CommandSupport.Failure;
            }
            RenameSpec(target, newName, stderr);
        }
        using var records = XenStoreLauncher.Open(context, stderr);
        if (records is not null)
        {
            try
            {
                records.Rename(d.DomId, newName);
            }
            catch (XsClientException e)
            {
                stderr.WriteLine($"xenon: warning: XenStore not updated: {e.Message}");
            }
        }
        return 0;
    }

    // spec.json names the domain too: info, list -l and a restart of the domain read it from there.
    private static void RenameSpec(Xenon.Domain.Process.DomainRuntimeDirectory dir, string newName, TextWriter stderr)
    {
        try
        {
            var spec = Xenon.Domain.Process.DomainSpecJson.Deserialize(File.ReadAllText(dir.SpecFile), dir.SpecFile);
            Xenon.Domain.Process.DomainRuntimeDirectory.WriteAtomically(dir.SpecFile,
                Xenon.Domain.Process.DomainSpecJson.Serialize(spec with { Name = newName }));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"xenon: warning: {dir.SpecFile} still names the old name: {e.Message}");
        }
    }
}
