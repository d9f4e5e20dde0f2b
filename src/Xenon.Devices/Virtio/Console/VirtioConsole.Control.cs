namespace Xenon.Devices.Virtio.Console;

// The control queues (virtio 1.x §5.3.6.2). The handshake, as Linux's virtio_console and QEMU's
// virtio-serial run it: the driver sends DEVICE_READY(1); the device answers DEVICE_ADD for every port; the
// driver sets each port up and answers PORT_READY(1); the device then sends CONSOLE_PORT for console ports,
// PORT_NAME for named ones and PORT_OPEN(1) when the host end is attached. Afterwards the driver reports guest
// opens and closes with PORT_OPEN and the device reports host-side connects and disconnects the same way.
public sealed partial class VirtioConsole
{
    /// <summary>Reads every message on the control transmitq and acts on it.</summary>
    private void HandleControlMessages()
    {
        Span<byte> header = stackalloc byte[ConsoleControlMessage.Size];
        while (Pop(ControlTransmitQueue) is { } chain)
        {
            ushort head = chain.HeadIndex;
            if (chain.CopyFromReadable(header) < ConsoleControlMessage.Size) Interlocked.Increment(ref _invalidControl);
            else Handle(ConsoleControlMessage.Decode(header));
            Complete(ControlTransmitQueue, head, 0);
        }
    }

    private void Handle(ConsoleControlMessage message)
    {
        if (message.Event == ConsoleControlEvent.DeviceReady)
        {
            // value 0: the driver failed to initialise; it will not use the ports.
            if (message.Value != 1) return;
            foreach (var p in _ports) Announce(p.Id, ConsoleControlEvent.DeviceAdd, 1);
            return;
        }
        if (message.Id >= (uint)_ports.Length)
        {
            Interlocked.Increment(ref _invalidControl);
            return;
        }
        var port = _ports[message.Id];
        switch (message.Event)
        {
            case ConsoleControlEvent.PortReady:
                port.GuestReady = message.Value == 1;
                if (!port.GuestReady) return;
                if (port.IsConsole) Announce(port.Id, ConsoleControlEvent.ConsolePort, 1);
                if (port.NameBytes is not null) Announce(port.Id, ConsoleControlEvent.PortName, 0);
                port.HostOpenReported = false;
                if (port.Backend.IsConnected) ReportHostOpen(port, open: true);
                break;
            case ConsoleControlEvent.PortOpen:
                port.GuestOpen = message.Value != 0;
                // Host input that waited for a reader can go now.
                if (port.GuestOpen) Receive(port);
                break;
            default:
                // Device-to-driver events (or unknown ones) have no meaning coming from the driver.
                Interlocked.Increment(ref _invalidControl);
                break;
        }
    }

    /// <summary>Tells the driver the host end of <paramref name="port"/> opened or closed, if that is news to it.</summary>
    private void ReportHostOpen(VirtioConsolePort port, bool open)
    {
        if (!_multiport || !port.GuestReady || port.HostOpenReported == open) return;
        if (Announce(port.Id, ConsoleControlEvent.PortOpen, open ? (ushort)1 : (ushort)0)) port.HostOpenReported = open;
    }

    private bool Announce(uint id, ConsoleControlEvent e, ushort value) => _pendingControl.TryEnqueue(new ConsoleControlMessage(id, e, value));

    /// <summary>Puts waiting announcements into the driver's control receive buffers, one message a buffer.</summary>
    private void FlushControl()
    {
        if (!_multiport) return;
        Span<byte> header = stackalloc byte[ConsoleControlMessage.Size];
        while (_pendingControl.Count > 0 && Pop(ControlReceiveQueue) is { } chain)
        {
            var message = _pendingControl.Peek();
            _pendingControl.Dequeue();
            message.Encode(header);
            int written = chain.CopyToWritable(header);
            if (message.Event == ConsoleControlEvent.PortName && written == header.Length)
            {
                // The name follows the header, NUL-terminated as QEMU sends it (Linux takes the length from the buffer).
                var name = _ports[message.Id].NameBytes!;
                written += chain.CopyToWritable(name, (ulong)written);
                written += chain.CopyToWritable([0], (ulong)written);
            }
            Complete(ControlReceiveQueue, chain.HeadIndex, (uint)written);
        }
    }
}
