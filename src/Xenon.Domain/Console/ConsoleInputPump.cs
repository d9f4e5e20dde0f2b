using Xenon.Devices.Legacy.Serial;

namespace Xenon.Domain.Console;

/// <summary>
/// Copies keyboard input (a stream: the terminal, or an attached client) into the guest's UART,
/// holding back when the UART's receive buffer is full. The escape byte (Ctrl-], as in xl console)
/// ends the attachment instead of reaching the guest.
/// </summary>
public sealed class ConsoleInputPump
{
    public const byte EscapeByte = 0x1d;

    private readonly Stream _input;
    private readonly Func<Serial16550?> _target;
    private readonly AutoResetEvent _space = new(false);
    private Serial16550? _subscribed;

    public ConsoleInputPump(Stream input, Func<Serial16550?> target)
    {
        _input = input;
        _target = target;
    }

    /// <summary>Raised once when the escape byte is read or the input ends.</summary>
    public event Action<bool>? Ended;

    public void Start()
    {
        var t = new Thread(Pump) { Name = "console-input", IsBackground = true };
        t.Start();
    }

    private void Pump()
    {
        var buffer = new byte[256];
        bool escaped = false;
        try
        {
            while (true)
            {
                int n = _input.Read(buffer, 0, buffer.Length);
                if (n <= 0) break;
                int esc = Array.IndexOf(buffer, EscapeByte, 0, n);
                Deliver(buffer.AsSpan(0, esc < 0 ? n : esc));
                if (esc >= 0) { escaped = true; break; }
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        Ended?.Invoke(escaped);
    }

    private void Deliver(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var uart = _target();
            if (uart is null) { _space.WaitOne(100); continue; }
            if (!ReferenceEquals(uart, _subscribed))
            {
                uart.ReceiveSpaceAvailable += () => _space.Set();
                _subscribed = uart;
            }
            int taken = uart.Enqueue(data);
            data = data[taken..];
            if (!data.IsEmpty) _space.WaitOne(100);
        }
    }
}
