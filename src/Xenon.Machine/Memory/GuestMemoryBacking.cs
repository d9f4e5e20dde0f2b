namespace Xenon.Machine.Memory;

/// <summary>What backs guest RAM on the host.</summary>
public enum GuestMemoryBacking
{
    /// <summary>Anonymous private memory with transparent huge pages: fastest; only this process can map it.</summary>
    Anonymous,

    /// <summary>A memfd mapped shared: another process (a device backend) or a save file can map the same pages.</summary>
    SharedMemfd,
}
