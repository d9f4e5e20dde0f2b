using Xenon.Devices.Virtio.Block;
using Xenon.Devices.Virtio.Console;

namespace Xenon.Domain.Virtio;

/// <summary>The host resources a domain's devices use (open disk images, vif TAPs), acquired before any VM exists so that
/// a missing image, a missing bridge or a failing vif script fails the build early and names the culprit. Owned by
/// this object until <see cref="DomainDevices.Attach"/> takes them over one by one.</summary>
public sealed class DeviceBackends : IDisposable
{
    private DeviceBackends(RawFileBackend?[] disks, VifAttachment?[] vifs, UnixSocketPortBackend?[] channels)
    {
        Disks = disks;
        Vifs = vifs;
        Channels = channels;
    }

    internal RawFileBackend?[] Disks { get; }

    internal VifAttachment?[] Vifs { get; }

    internal UnixSocketPortBackend?[] Channels { get; }

    public static DeviceBackends Open(DomainSpec spec, Action<string> log)
    {
        var backends = new DeviceBackends(new RawFileBackend?[spec.Disks.Count], new VifAttachment?[spec.Vifs.Count],
            new UnixSocketPortBackend?[spec.Channels.Count]);
        try
        {
            for (int i = 0; i < spec.Disks.Count; i++)
            {
                var disk = spec.Disks[i];
                try
                {
                    var backend = RawFileBackend.Open(disk.Path, disk.ReadOnly, disk.DirectIo);
                    backends.Disks[i] = backend;
                    if (backend.DirectUnavailableReason is { } why) log($"disk {disk.Vdev}: direct-io-safe: {why}; using the page cache");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new DomainBuildException($"disk {disk.Vdev}: cannot open {disk.Path}{(disk.ReadOnly ? " read-only" : " read-write")}: {e.Message}");
                }
            }
            for (int i = 0; i < spec.Channels.Count; i++)
            {
                var channel = spec.Channels[i];
                try
                {
                    backends.Channels[i] = new UnixSocketPortBackend(channel.Path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
                {
                    throw new DomainBuildException($"channel {channel.Name}: cannot listen on {channel.Path}: {e.Message}");
                }
            }
            for (int i = 0; i < spec.Vifs.Count; i++)
                backends.Vifs[i] = VifAttachment.Create(spec.Vifs[i], spec.DomId, log);
            return backends;
        }
        catch
        {
            backends.Dispose();
            throw;
        }
    }

    internal T Take<T>(T?[] from, int index) where T : class
    {
        var item = from[index] ?? throw new InvalidOperationException("backend already taken");
        from[index] = null;
        return item;
    }

    /// <summary>Releases whatever was not taken over.</summary>
    public void Dispose()
    {
        for (int i = 0; i < Vifs.Length; i++) Interlocked.Exchange(ref Vifs[i], null)?.Dispose();
        for (int i = 0; i < Channels.Length; i++) Interlocked.Exchange(ref Channels[i], null)?.Dispose();
        for (int i = 0; i < Disks.Length; i++) Interlocked.Exchange(ref Disks[i], null)?.Dispose();
    }
}
