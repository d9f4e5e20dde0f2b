namespace Xenon.Machine.Soft.Apic;

/// <summary>
/// The APIC bus of one machine: the local APICs, and the routing of a message (IPI, IOAPIC redirection, MSI) to the
/// ones its destination names. Registration is rare (vCPU creation) and copies the array; delivery reads a snapshot
/// without a lock, from any thread.
/// </summary>
internal sealed class ApicBus
{
    private readonly Lock _gate = new();
    private LocalApic[] _apics = [];

    /// <summary>Where EOIs of level-triggered vectors go (the IOAPIC).</summary>
    public Action<int>? EoiListener { get; set; }

    public IReadOnlyList<LocalApic> Apics => Volatile.Read(ref _apics);

    public void Add(LocalApic apic)
    {
        lock (_gate) Volatile.Write(ref _apics, [.. _apics, apic]);
    }

    public void Remove(LocalApic apic)
    {
        lock (_gate) Volatile.Write(ref _apics, Array.FindAll(_apics, a => a != apic));
    }

    /// <summary>An IPI from <paramref name="source"/>'s ICR.</summary>
    public void Send(LocalApic source, in ApicMessage message) => Deliver(message, source);

    /// <summary>Delivers <paramref name="message"/> to every APIC its destination (or shorthand) selects; lowest
    /// priority goes to the one selected APIC with the lowest processor priority. Returns how many accepted it.</summary>
    public int Deliver(in ApicMessage message, LocalApic? source = null)
    {
        var apics = Volatile.Read(ref _apics);
        if (message.Mode == DeliveryMode.LowestPriority)
        {
            LocalApic? best = null;
            foreach (var a in apics)
                if (Selected(a, message, source) && (best is null || (a.ProcessorPriority & 0xF0) < (best.ProcessorPriority & 0xF0)))
                    best = a;
            best?.Accept(message);
            return best is null ? 0 : 1;
        }
        int count = 0;
        foreach (var a in apics)
        {
            if (!Selected(a, message, source)) continue;
            a.Accept(message);
            count++;
        }
        return count;
    }

    private static bool Selected(LocalApic apic, in ApicMessage m, LocalApic? source) => m.Shorthand switch
    {
        Shorthand.Self => apic == source,
        Shorthand.AllIncludingSelf => true,
        Shorthand.AllExcludingSelf => apic != source,
        _ => m.LogicalDestination ? apic.MatchesLogical(m.Destination) : apic.MatchesPhysical(m.Destination),
    };

    /// <summary>An APIC completed a level-triggered vector.</summary>
    public void BroadcastEoi(int vector) => EoiListener?.Invoke(vector);

    /// <summary>True if any APIC holds <paramref name="vector"/> requested and not yet acknowledged.</summary>
    public bool IsRequestedAnywhere(int vector)
    {
        foreach (var a in Volatile.Read(ref _apics))
            if (a.IsRequested(vector)) return true;
        return false;
    }
}
