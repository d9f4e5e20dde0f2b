namespace Xenon.Machine.Memory;

/// <summary>A contiguous range of guest RAM and the host mapping behind it.</summary>
public sealed class GuestMemoryRegion
{
    public GuestMemoryRegion(int slot, ulong guestAddress, ulong size, nint hostAddress)
    {
        Slot = slot;
        GuestAddress = guestAddress;
        Size = size;
        HostAddress = hostAddress;
    }

    public int Slot { get; }
    public ulong GuestAddress { get; }
    public ulong Size { get; }
    public nint HostAddress { get; }
    public ulong End => GuestAddress + Size;

    public bool Contains(ulong gpa) => gpa >= GuestAddress && gpa - GuestAddress < Size;
}
