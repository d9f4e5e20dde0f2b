using Xenon.Devices.Legacy.Acpi;
using Xenon.Devices.Legacy.I8042;
using Xenon.Devices.Legacy.Platform;
using Xenon.Devices.Legacy.Rtc;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.Tests.Fakes;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Tests.Legacy;

/// <summary>A guest may access any port at any width with any value: no device may throw.</summary>
public sealed class LegacyDeviceFuzzTests
{
    private const int Iterations = 100_000;

    public static TheoryData<string> Devices => ["serial", "rtc", "i8042-data", "i8042-command", "pm1-event", "pm1-control", "pm-timer", "reset", "pvpanic", "post"];

    [Theory]
    [MemberData(nameof(Devices))]
    public void RandomAccessesNeverThrow(string name)
    {
        // string.GetHashCode is randomised per process; a failure must be reproducible from its seed.
        int seed = 0x5eed;
        foreach (char c in name) seed = seed * 31 + c;
        var rng = new Random(seed);
        var clock = new ManualTimeProvider(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var control = new FakeMachineControl();
        var irq = new FakeIrqLine();
        var serial = new Serial16550(irq, new CapturingSerialOutput());
        using var rtc = new CmosRtc(irq, clock);
        var kbc = new I8042Controller(control);
        var pm = new AcpiPm(irq, control, clock);
        var (device, ports) = name switch
        {
            "serial" => ((IPioDevice)serial, 8),
            "rtc" => (rtc, 2),
            "i8042-data" => (kbc.DataPort, 1),
            "i8042-command" => (kbc.CommandPort, 1),
            "pm1-event" => (pm.EventBlock, 4),
            "pm1-control" => (pm.ControlBlock, 2),
            "pm-timer" => (pm.Timer, 4),
            "reset" => (new ResetControl(control), 1),
            "pvpanic" => (new PvPanic(control, _ => { }), 1),
            "post" => (new PostCodePort(), 1),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        Span<byte> buffer = stackalloc byte[16];
        int i = 0;
        try
        {
            for (; i < Iterations; i++)
            {
                // Mostly in range, sometimes beyond it; usual widths plus odd ones (0, 3, up to 16).
                ushort offset = (ushort)(rng.Next(8) == 0 ? rng.Next(ushort.MaxValue + 1) : rng.Next(ports));
                int size = rng.Next(4) switch { 0 => 1, 1 => 2, 2 => 4, _ => rng.Next(17) };
                var data = buffer[..size];
                if (rng.Next(2) == 0)
                {
                    device.Read(offset, data);
                }
                else
                {
                    rng.NextBytes(data);
                    device.Write(offset, data);
                }
                if (rng.Next(64) == 0) clock.Advance(TimeSpan.FromTicks(rng.NextInt64(TimeSpan.TicksPerSecond * 2)));
                if (rng.Next(256) == 0) serial.Enqueue(buffer[..rng.Next(17)]);
                if (rng.Next(1024) == 0) pm.PressPowerButton();
            }
        }
        catch (Exception ex)
        {
            Assert.Fail($"{name}: iteration {i} (seed {seed}) threw {ex}");
        }

        // The device must still answer sensibly afterwards.
        device.Read(0, buffer[..1]);
    }
}
