namespace Xenon.Domain.Migration;

/// <summary>The handshake messages around the save stream (docs/migration.md). The names follow xl's own banners.</summary>
public enum MigrationFrameType : ushort
{
    /// <summary>Receiver → sender, first: the receiver runs and speaks this protocol (payload: u32 version, then text).</summary>
    Ready = 1,

    /// <summary>Protocol 2 only (receiver → sender, after End: every record checked, the state applied, the vCPUs
    /// parked, "ready to unpause"). Protocol 3 folds it into <see cref="Running"/>; the type stays reserved.</summary>
    Received = 2,

    /// <summary>Sender → receiver, right after End (protocol 3): the domain is yours once you hold all of it; unpause
    /// it then. From here the sender no longer resumes its copy on its own, only on the receiver's Error.</summary>
    Go = 3,

    /// <summary>Receiver → sender: the domain's vCPUs run on the receiver.</summary>
    Running = 4,

    /// <summary>Either way: the migration is off; the payload says why (UTF-8). A receiver that sends it keeps nothing running.</summary>
    Error = 5,

    /// <summary>Receiver → sender, after each record it has read, checked and applied (protocol 2): the stream offset it
    /// has reached (u64). The sender waits for it to catch up before it looks at the dirty log again and before it
    /// pauses, so that no backlog of bytes in flight is paid for inside the downtime.</summary>
    Progress = 6,
}
