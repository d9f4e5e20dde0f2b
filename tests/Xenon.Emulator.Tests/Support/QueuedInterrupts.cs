namespace Xenon.Emulator.Tests.Support;

/// <summary>Interrupt requests in a queue, polled by the CPU before every block (the interpreter's machine in the
/// IL-tier tests).</summary>
internal class QueuedInterrupts : Memory.IInterruptSource
{
    public readonly Queue<int> Requests = new();
    public bool HasPendingInterrupt => Requests.Count > 0;
    public int AcknowledgeInterrupt() => Requests.Count > 0 ? Requests.Dequeue() : -1;
    public virtual void Request(int vector) => Requests.Enqueue(vector);
}

/// <summary>The same, raising the CPU's attention word instead of being polled (the IL machine's): what the soft
/// machine's APIC and PIC do.</summary>
internal sealed class SignallingQueuedInterrupts : QueuedInterrupts, Memory.ISignalsInterrupts
{
    private Memory.InterruptAttention? _attention;
    public void AttachAttention(Memory.InterruptAttention attention) => _attention = attention;

    public override void Request(int vector)
    {
        base.Request(vector);
        _attention!.Raise();
    }
}
