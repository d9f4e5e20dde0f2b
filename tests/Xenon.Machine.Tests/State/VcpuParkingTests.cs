using Xenon.Machine.State;

namespace Xenon.Machine.Tests.State;

/// <summary>
/// <see cref="VcpuParking"/> with and without its spin window: the same pause, per-thread work, release and stop,
/// whether the parked threads sleep on the monitor or spin; the window opens on a pause, a state operation or a
/// request, never past its bound, and not at all when spinning is off.
/// </summary>
public sealed class VcpuParkingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Threads that behave as VirtualMachine's vCPU loop does: run (count) unless a pause is asked, then park.</summary>
    private sealed class Loops : IDisposable
    {
        private readonly Thread[] _threads;
        private readonly long[] _runs;
        private volatile bool _quit;

        public Loops(VcpuParking parking, int count)
        {
            Parking = parking;
            _runs = new long[count];
            _threads = new Thread[count];
            parking.Begin(count, paused: false);
            for (int i = 0; i < count; i++)
            {
                int index = i;
                _threads[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"test-vcpu{index}" };
                _threads[i].Start();
            }
        }

        public VcpuParking Parking { get; }
        public int[] ThreadIds => _threads.Select(t => t.ManagedThreadId).ToArray();
        public long Runs(int i) => Interlocked.Read(ref _runs[i]);

        private void Loop(int index)
        {
            try
            {
                while (!_quit)
                {
                    if (Parking.PauseRequested)
                    {
                        Parking.Park(index);
                        continue;
                    }
                    Interlocked.Increment(ref _runs[index]);
                    Thread.Yield();
                }
            }
            finally
            {
                Parking.ThreadEnded();
            }
        }

        public bool Join()
        {
            foreach (var t in _threads)
                if (!t.Join(Timeout)) return false;
            return true;
        }

        /// <summary>The machine stops: the loops end (as VirtualMachine's do on its own flag) once Park lets them go.</summary>
        public void Stop()
        {
            _quit = true;
            Parking.Stop();
        }

        public void Dispose()
        {
            Stop();
            Join();
        }
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(1);
        }
    }

    public static TheoryData<int> SpinBounds => new() { 0, 60_000 };

    [Theory]
    [MemberData(nameof(SpinBounds))]
    public void PauseWorkOnEachThreadAndReleaseBehaveTheSameSpinningOrNot(int spinMs)
    {
        using var loops = new Loops(new VcpuParking(2, TimeSpan.FromMilliseconds(spinMs)), 2);
        var parking = loops.Parking;
        WaitFor(() => loops.Runs(0) > 0 && loops.Runs(1) > 0, "both threads to run");

        parking.RequestPause();
        Assert.True(parking.WaitUntilParked());
        Assert.Equal(spinMs > 0, parking.Spinning);
        long a = loops.Runs(0), b = loops.Runs(1);

        var ranOn = new int[2];
        parking.RunOnEach(i => ranOn[i] = Environment.CurrentManagedThreadId);
        Assert.Equal(loops.ThreadIds, ranOn);
        // A second operation while the threads spin (or sleep) after the first.
        parking.RunOnEach(i => ranOn[i] = -1);
        Assert.Equal([-1, -1], ranOn);
        Assert.Equal(a, loops.Runs(0));
        Assert.Equal(b, loops.Runs(1));

        parking.Release();
        WaitFor(() => loops.Runs(0) > a && loops.Runs(1) > b, "both threads to run again");
    }

    [Theory]
    [MemberData(nameof(SpinBounds))]
    public void AFailingWorkNamesItsVcpuAndTheOthersStayParked(int spinMs)
    {
        using var loops = new Loops(new VcpuParking(2, TimeSpan.FromMilliseconds(spinMs)), 2);
        var parking = loops.Parking;
        parking.RequestPause();
        Assert.True(parking.WaitUntilParked());

        var e = Assert.Throws<InvalidOperationException>(() => parking.RunOnEach(i =>
        {
            if (i == 1) throw new InvalidOperationException("no state");
        }));

        Assert.Contains("vCPU 1: no state", e.Message);
        Assert.True(parking.WaitUntilParked());
    }

    [Theory]
    [MemberData(nameof(SpinBounds))]
    public void StopEndsParkedThreadsWhetherTheySpinOrSleep(int spinMs)
    {
        var loops = new Loops(new VcpuParking(2, TimeSpan.FromMilliseconds(spinMs)), 2);
        var parking = loops.Parking;
        parking.RequestPause();
        Assert.True(parking.WaitUntilParked());

        loops.Stop();

        Assert.True(loops.Join(), "parked threads did not end on Stop");
        Assert.False(parking.WaitUntilParked());
        Assert.Throws<InvalidOperationException>(() => parking.RunOnEach(_ => { }));
        loops.Dispose();
    }

    [Fact]
    public void TheWindowEndsAtItsBoundAndThreadsThenSleepAndStillWake()
    {
        using var loops = new Loops(new VcpuParking(1, TimeSpan.FromMilliseconds(1000)), 1);
        var parking = loops.Parking;
        parking.RequestPause();
        Assert.True(parking.WaitUntilParked());
        Assert.True(parking.Spinning);

        // Asked for an hour, given the bound.
        parking.SpinFor(TimeSpan.FromHours(1));
        WaitFor(() => !parking.Spinning, "the spin window to close");

        long runs = loops.Runs(0);
        parking.Release();
        WaitFor(() => loops.Runs(0) > runs, "the sleeping thread to be woken by the release");
    }

    [Fact]
    public void AskingForASpinWhileParkedWakesSleepingThreadsIntoIt()
    {
        using var loops = new Loops(new VcpuParking(1, TimeSpan.FromMilliseconds(1000)), 1);
        var parking = loops.Parking;
        parking.RequestPause();
        Assert.True(parking.WaitUntilParked());
        WaitFor(() => !parking.Spinning, "the pause's window to close");

        parking.SpinFor(TimeSpan.FromMilliseconds(900));

        Assert.True(parking.Spinning);
        var ranOn = new int[1];
        parking.RunOnEach(i => ranOn[i] = Environment.CurrentManagedThreadId);
        Assert.Equal(loops.ThreadIds, ranOn);
    }

    [Fact]
    public void WithSpinningOffNothingOpensTheWindow()
    {
        using var loops = new Loops(new VcpuParking(1, TimeSpan.Zero), 1);
        var parking = loops.Parking;
        parking.RequestPause();
        Assert.True(parking.WaitUntilParked());
        parking.SpinFor(TimeSpan.FromSeconds(1));
        parking.RunOnEach(_ => { });

        Assert.False(parking.Spinning);
    }

    [Fact]
    public void ANegativeBoundIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new VcpuParking(1, TimeSpan.FromMilliseconds(-1)));
}
