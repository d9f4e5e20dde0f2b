namespace Xenon.Devices.Virtio;

/// <summary>
/// A device model whose work can be held still while the domain is saved: after <see cref="Quiesce"/> returns it
/// touches neither guest RAM nor its rings, nor raises interrupts, whatever its I/O thread, backend or timers
/// deliver, so guest memory, the transport's queue state and the model's own state (<see cref="State.IStateful"/>)
/// can be captured as one consistent picture.
/// </summary>
/// <remarks>
/// Work that arrives while quiesced (queue kicks, backend readiness, timer wake-ups) is deferred, never dropped:
/// <see cref="Resume"/> serves every queue once, on the calling thread, under the model's lock (a spurious look at a
/// ring costs nothing), so a domain that carries on after a checkpoint misses nothing. A domain saved and then
/// destroyed needs no Resume: the restoring domain's transport kicks every queue once (RestoreCompleted).
/// Both methods are idempotent and may be called from any thread; Quiesce from the device's own I/O thread
/// returns at once (the work in progress is the caller's).
/// </remarks>
public interface IQuiescable
{
    /// <summary>Waits for the work in progress to finish, then holds every further piece of work until <see cref="Resume"/>.</summary>
    void Quiesce();

    /// <summary>Lets the device work again and serves what arrived while it was quiesced.</summary>
    void Resume();
}
