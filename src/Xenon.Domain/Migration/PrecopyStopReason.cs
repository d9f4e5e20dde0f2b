namespace Xenon.Domain.Migration;

/// <summary>Why pre-copy ended and the domain was paused for the last round.</summary>
public enum PrecopyStopReason
{
    /// <summary>Not stopping: send this round's dirty pages and look again.</summary>
    None,
    /// <summary>The dirty set fits the final-transfer target at the measured rate, or is below the small-set floor.</summary>
    Converged,
    /// <summary>The dirty set has not shrunk for several rounds: the guest writes as fast as the link sends.</summary>
    NotShrinking,
    /// <summary>The round limit.</summary>
    RoundLimit,
    /// <summary>Several times the guest's memory has been sent already.</summary>
    SentLimit,
}
