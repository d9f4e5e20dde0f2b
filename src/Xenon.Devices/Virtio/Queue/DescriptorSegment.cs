namespace Xenon.Devices.Virtio.Queue;

/// <summary>One guest buffer of a chain. Already checked: [Address, Address+Length) lies inside one guest RAM region and Length &gt; 0.</summary>
public readonly record struct DescriptorSegment(ulong Address, uint Length);
