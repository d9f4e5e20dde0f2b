using Xenon.Machine;

namespace Xenon.Devices.Tests.Fakes;

internal sealed class FakeMachineControl : IMachineControl
{
    private readonly List<(ShutdownReason Reason, string Why)> _requests = [];

    public IReadOnlyList<(ShutdownReason Reason, string Why)> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    public void RequestShutdown(ShutdownReason reason, string why)
    {
        lock (_requests) _requests.Add((reason, why));
    }
}
