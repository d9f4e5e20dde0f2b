using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Console;

// Port data: guest buffers go to and from the backend as spans of guest RAM; nothing here allocates.
public sealed partial class VirtioConsole
{
    // GuestMemory spans are int-sized; a descriptor may be up to 4 GiB, so it is moved in pieces.
    private const int MaxSpan = 1 << 30;

    /// <summary>
    /// Guest → host. Each transmit chain's readable bytes go to the backend; a full backend leaves the chain
    /// pending (with how far it got) until the backend wakes the device, so a slow peer slows the guest instead of
    /// losing its output. With no peer attached the bytes are dropped and counted, as a serial line would.
    /// </summary>
    private void Transmit(VirtioConsolePort port)
    {
        while (!_needsReset)
        {
            if (!port.TransmitPending)
            {
                if (Pop(port.TransmitQueue, port.TransmitChain) is null) return;
                port.TransmitPending = true;
                port.TransmitOffset = 0;
            }
            var chain = port.TransmitChain;
            if (!port.Backend.IsConnected)
            {
                port.AddDropped((long)(chain.ReadableBytes - port.TransmitOffset));
            }
            else if (!WriteToBackend(port, chain))
            {
                return; // the backend is full; it calls wake when it has room
            }
            port.TransmitPending = false;
            Complete(port.TransmitQueue, chain.HeadIndex, 0);
        }
    }

    /// <summary>Gives the chain's readable bytes from <see cref="VirtioConsolePort.TransmitOffset"/> on to the backend.
    /// False when the backend took less than offered (the offset records the progress).</summary>
    private bool WriteToBackend(VirtioConsolePort port, DescriptorChain chain)
    {
        ulong skip = port.TransmitOffset;
        foreach (var segment in chain.Readable)
        {
            if (skip >= segment.Length)
            {
                skip -= segment.Length;
                continue;
            }
            ulong address = segment.Address + skip;
            ulong remaining = segment.Length - skip;
            skip = 0;
            while (remaining > 0)
            {
                int n = (int)Math.Min(remaining, MaxSpan);
                // The walk validated the segment; guest RAM is still the one authority on what may be touched.
                if (!_memory.TryGetSpan(address, n, out var guest)) return true;
                int taken = port.Backend.Write(guest);
                if (taken < 0 || taken > n) taken = 0; // a misbehaving backend must not move the offset past the data
                port.TransmitOffset += (ulong)taken;
                port.AddFromGuest(taken);
                if (taken < n) return false;
                address += (ulong)n;
                remaining -= (ulong)n;
            }
        }
        return true;
    }

    /// <summary>
    /// Host → guest, only while a guest program has the port open: as QEMU does, input waits in the backend (and
    /// pushes back on its peer) rather than being fed to a driver that would throw it away.
    /// </summary>
    private void Receive(VirtioConsolePort port)
    {
        if (!port.GuestOpen) return;
        while (!_needsReset && port.Backend.HasInput)
        {
            if (Pop(port.ReceiveQueue) is not { } chain) return;
            uint written = ReadFromBackend(port, chain);
            port.AddToGuest(written);
            Complete(port.ReceiveQueue, chain.HeadIndex, written);
        }
    }

    private uint ReadFromBackend(VirtioConsolePort port, DescriptorChain chain)
    {
        ulong done = 0;
        foreach (var segment in chain.Writable)
        {
            ulong address = segment.Address;
            ulong remaining = segment.Length;
            while (remaining > 0)
            {
                int n = (int)Math.Min(remaining, MaxSpan);
                if (!_memory.TryGetSpan(address, n, out var guest)) return (uint)done;
                int got = port.Backend.Read(guest);
                if (got > 0) _memory.NotifyWritten(address, Math.Min(got, n));
                if (got <= 0) return (uint)done;
                done += (ulong)Math.Min(got, n);
                if (got < n) return (uint)done;
                address += (ulong)n;
                remaining -= (ulong)n;
            }
        }
        // Writable bytes are capped by QueueLimits.MaxChainBytes (at most 2^32 - 1), so this fits.
        return (uint)done;
    }
}
