namespace Xenon.Store.Wire;

/// <summary>Message types of Xen's xs_wire.h (enum xsd_sockmsg_type); values are the wire numbers.</summary>
public enum XsMessageType : uint
{
    Control = 0,
    Directory = 1,
    Read = 2,
    GetPerms = 3,
    Watch = 4,
    Unwatch = 5,
    TransactionStart = 6,
    TransactionEnd = 7,
    Introduce = 8,
    Release = 9,
    GetDomainPath = 10,
    Write = 11,
    Mkdir = 12,
    Rm = 13,
    SetPerms = 14,
    WatchEvent = 15,
    Error = 16,
    IsDomainIntroduced = 17,
    Resume = 18,
    SetTarget = 19,
    // 20 was XS_RESTRICT, removed from Xen; the number stays invalid.
    ResetWatches = 21,
    DirectoryPart = 22,
    Invalid = 0xffff,
}
