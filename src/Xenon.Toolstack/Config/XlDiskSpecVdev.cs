namespace Xenon.Toolstack.Config;

/// <summary>A guest device name as xen-vbd-interface(7) defines it: <c>xvd&lt;x&gt;[&lt;p&gt;]</c>,
/// <c>sd&lt;x&gt;[&lt;p&gt;]</c>, <c>hd&lt;x&gt;[&lt;p&gt;]</c> or <c>d&lt;n&gt;[p&lt;p&gt;]</c>, where &lt;x&gt; is a
/// disk letter run (a = 0 … z = 25, aa = 26, …). <see cref="Disk"/> is the disk index; partition 0 is the whole disk.</summary>
public sealed record XlDiskSpecVdev(string Name, XlVdevBus Bus, int Disk, int Partition)
{
    /// <summary>Largest disk number the VBD encoding can carry (xvd/d form).</summary>
    public const int MaxXvdDisk = (1 << 20) - 1;

    /// <summary>The VBD number Xen writes to XenStore for this device (xen-vbd-interface(7), "concrete encoding").</summary>
    public int XenDeviceNumber => Bus switch
    {
        XlVdevBus.Scsi => 8 << 8 | Disk << 4 | Partition,
        XlVdevBus.Ide when Disk < 2 => 3 << 8 | Disk << 6 | Partition,
        XlVdevBus.Ide => 22 << 8 | (Disk - 2) << 6 | Partition,
        _ when Disk < 16 && Partition < 16 => 202 << 8 | Disk << 4 | Partition,
        _ => 1 << 28 | Disk << 8 | Partition,
    };

    /// <summary>Parses a vdev; on failure <paramref name="reason"/> says what is wrong (no exception: callers wrap it).</summary>
    public static bool TryParse(string text, out XlDiskSpecVdev? vdev, out string reason)
    {
        vdev = null;
        var s = text.AsSpan();
        XlVdevBus bus;
        int disk, partition = 0, maxDisk, maxPartition;
        ReadOnlySpan<char> rest;

        if (s.StartsWith("xvd") || s.StartsWith("sd") || s.StartsWith("hd"))
        {
            (bus, int prefixLength, maxDisk, maxPartition) = s[0] switch
            {
                'x' => (XlVdevBus.Xvd, 3, MaxXvdDisk, 255),
                's' => (XlVdevBus.Scsi, 2, 15, 15),
                _ => (XlVdevBus.Ide, 2, 3, 63),
            };
            rest = s[prefixLength..];
            int letters = 0;
            long value = 0;
            while (letters < rest.Length && rest[letters] is >= 'a' and <= 'z')
            {
                value = value * 26 + (rest[letters] - 'a' + 1);
                letters++;
                if (value - 1 > maxDisk)
                {
                    reason = $"\"{text}\": disk letters name a disk beyond the largest {Prefix(bus)} disk ({maxDisk})";
                    return false;
                }
            }
            if (letters == 0)
            {
                reason = $"\"{text}\": expected a disk letter after \"{Prefix(bus)}\" (e.g. {Prefix(bus)}a)";
                return false;
            }
            disk = (int)(value - 1);
            rest = rest[letters..];
            if (!rest.IsEmpty && !TryNumber(rest, 255, out partition))
            {
                reason = $"\"{text}\": expected a partition number after the disk letters, got \"{rest}\"";
                return false;
            }
        }
        else if (s.StartsWith("d") && s.Length > 1 && char.IsAsciiDigit(s[1]))
        {
            bus = XlVdevBus.Xvd;
            maxDisk = MaxXvdDisk;
            maxPartition = 255;
            rest = s[1..];
            int p = rest.IndexOf('p');
            var diskText = p < 0 ? rest : rest[..p];
            if (!TryNumber(diskText, maxDisk, out disk))
            {
                reason = $"\"{text}\": disk number must be 0 to {maxDisk}";
                return false;
            }
            if (p >= 0 && !TryNumber(rest[(p + 1)..], 255, out partition))
            {
                reason = $"\"{text}\": expected a partition number 0 to 255 after 'p'";
                return false;
            }
        }
        else
        {
            reason = $"expected xvd<letters>, sd<letters>, hd<letters> or d<n>[p<n>] (e.g. xvda), got \"{text}\"";
            return false;
        }

        if (disk > maxDisk)
        {
            reason = $"\"{text}\": {Prefix(bus)} disks go up to {maxDisk}";
            return false;
        }
        if (partition > maxPartition)
        {
            reason = $"\"{text}\": {Prefix(bus)} partitions go up to {maxPartition}";
            return false;
        }
        vdev = new XlDiskSpecVdev(text, bus, disk, partition);
        reason = "";
        return true;
    }

    private static string Prefix(XlVdevBus bus) => bus switch
    {
        XlVdevBus.Scsi => "sd",
        XlVdevBus.Ide => "hd",
        _ => "xvd",
    };

    /// <summary>Plain decimal, no sign, no leading zeros (so "01" is not silently the same disk as "1").</summary>
    private static bool TryNumber(ReadOnlySpan<char> digits, int max, out int value)
    {
        value = 0;
        if (digits.IsEmpty || (digits.Length > 1 && digits[0] == '0')) return false;
        foreach (char c in digits)
        {
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
            if (value > max) return false;
        }
        return true;
    }
}
