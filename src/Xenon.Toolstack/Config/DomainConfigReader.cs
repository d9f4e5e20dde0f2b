using Xenon.Machine.Backend;

namespace Xenon.Toolstack.Config;

/// <summary>
/// Turns parsed xl.cfg settings into a <see cref="DomainConfig"/>, applying xl's defaults and
/// rules (tools/xl/xl_parse.c) and Xenon's own (no PV guests, a kernel is required).
/// </summary>
public static class DomainConfigReader
{
    public const long DefaultMemoryMiB = 128;

    /// <summary>4 TiB: far beyond any host here, small enough that KiB/byte arithmetic cannot overflow.</summary>
    public const long MaxMemoryMiB = 4L * 1024 * 1024;

    /// <summary>The most vCPUs xAPIC IDs can address without x2APIC.</summary>
    public const int MaxVcpus = 255;

    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "name", "type", "builder", "uuid",
        "memory", "maxmem", "vcpus", "maxvcpus",
        "kernel", "ramdisk", "cmdline", "root", "extra",
        "on_poweroff", "on_reboot", "on_crash",
        "disk", "vif", "cpus", "pool", "cpu_weight", "cap",
        "channel", "rng",
        "accel",
    };

    /// <summary>
    /// Loads <paramref name="path"/>, applies <paramref name="overrides"/> (<c>key=value</c>
    /// arguments) and reads the result. <paramref name="checkFiles"/> makes missing or unreadable
    /// kernel/ramdisk files an error now rather than at domain build.
    /// </summary>
    public static DomainConfig Load(string path, IReadOnlyList<string> overrides, bool checkFiles = true)
    {
        var settings = XlConfigParser.ParseFile(path);
        XlConfigParser.ApplyOverrides(settings, overrides);
        return Read(settings, path, checkFiles);
    }

    /// <summary>
    /// Reads settings parsed from <paramref name="source"/> (a file path: relative kernel and
    /// ramdisk paths written in it are resolved against its directory; ones given on the command
    /// line against the current directory).
    /// </summary>
    public static DomainConfig Read(XlConfig settings, string source, bool checkFiles = true)
    {
        if (settings.Settings.Count == 0)
        {
            throw new ConfigException(source, null, null, "the configuration is empty; it must at least set name and kernel");
        }

        var warnings = new List<ConfigWarning>();
        foreach (var s in settings.Effective())
        {
            if (!KnownKeys.Contains(s.Key))
            {
                warnings.Add(new ConfigWarning(s.Source, s.Line, $"unknown key '{s.Key}' ignored"));
            }
        }

        var type = ReadType(settings);
        var name = ReadName(settings, source);
        var (uuid, generated) = ReadUuid(settings);

        var memory = settings.GetInteger("memory", 1, MaxMemoryMiB) ?? DefaultMemoryMiB;
        var maxmem = settings.GetInteger("maxmem", 1, MaxMemoryMiB) ?? memory;
        if (maxmem < memory)
        {
            throw ConfigException.At(settings.Find("maxmem")!, $"maxmem ({maxmem} MiB) is less than memory ({memory} MiB)");
        }

        var vcpus = (int)(settings.GetInteger("vcpus", 1, MaxVcpus) ?? 1);
        var maxvcpus = (int)(settings.GetInteger("maxvcpus", 1, MaxVcpus) ?? vcpus);
        if (maxvcpus < vcpus)
        {
            throw ConfigException.At(settings.Find("maxvcpus")!, $"maxvcpus ({maxvcpus}) is less than vcpus ({vcpus})");
        }

        var kernel = ReadPath(settings, "kernel", checkFiles)
            ?? throw new ConfigException(source, null, "kernel",
                "missing: Xenon boots the guest kernel directly; set kernel = \"/path/to/vmlinuz\"");
        var ramdisk = ReadPath(settings, "ramdisk", checkFiles);

        return new DomainConfig
        {
            Source = source,
            Name = name,
            Type = type,
            Uuid = uuid,
            UuidGenerated = generated,
            MemoryMiB = memory,
            MaxMemoryMiB = maxmem,
            Vcpus = vcpus,
            MaxVcpus = maxvcpus,
            Kernel = kernel,
            Ramdisk = ramdisk,
            Cmdline = ReadCmdline(settings, warnings),
            OnPoweroff = ReadAction(settings, "on_poweroff", ShutdownAction.Destroy),
            OnReboot = ReadAction(settings, "on_reboot", ShutdownAction.Restart),
            OnCrash = ReadAction(settings, "on_crash", ShutdownAction.Destroy),
            Disks = ReadDisks(settings, checkFiles),
            Vifs = ReadVifs(settings, warnings),
            Channels = ReadChannels(settings),
            Rng = (settings.GetInteger("rng", 0, 1) ?? 1) == 1,
            Accel = ReadAccel(settings),
            Cpus = settings.Find("cpus")?.Value,
            Pool = settings.GetString("pool"),
            CpuWeight = (int?)settings.GetInteger("cpu_weight", 1, 65535),
            Cap = (int?)settings.GetInteger("cap", 0, int.MaxValue),
            Warnings = warnings,
            Settings = settings,
        };
    }

    private static DomainType ReadType(XlConfig settings)
    {
        DomainType? type = null;
        if (settings.GetString("type") is { } t)
        {
            type = t switch
            {
                "pvh" => DomainType.Pvh,
                "hvm" => DomainType.Hvm,
                "pv" => throw ConfigException.At(settings.Find("type")!,
                    "PV guests are not supported: Xenon runs guests as PVH or HVM with PV (virtio) drivers; use type = \"pvh\""),
                _ => throw ConfigException.At(settings.Find("type")!,
                    $"unknown domain type {XlStringEscapes.Quote(t)}; expected \"pvh\" or \"hvm\""),
            };
        }

        // builder= is the pre-4.10 spelling of type=, still read by xl.
        if (settings.GetString("builder") is { } b)
        {
            var setting = settings.Find("builder")!;
            var fromBuilder = b switch
            {
                "hvm" => DomainType.Hvm,
                "generic" => throw ConfigException.At(setting,
                    "builder = \"generic\" means a PV guest, which Xenon does not support; use type = \"pvh\""),
                _ => throw ConfigException.At(setting, $"unknown builder {XlStringEscapes.Quote(b)}; expected \"hvm\" (or use type=)"),
            };
            if (type is { } explicitType && explicitType != fromBuilder)
            {
                throw ConfigException.At(setting, "contradicts the type setting");
            }

            type = fromBuilder;
        }

        return type ?? DomainType.Pvh;
    }

    private static string ReadName(XlConfig settings, string source)
    {
        var name = settings.GetString("name")
            ?? throw new ConfigException(source, null, "name", "missing: every domain needs a name");
        if (DomainName.Validate(name) is { } problem)
        {
            throw ConfigException.At(settings.Find("name")!, problem);
        }

        return name;
    }

    private static (Guid Uuid, bool Generated) ReadUuid(XlConfig settings)
    {
        if (settings.GetString("uuid") is not { } text)
        {
            return (Guid.NewGuid(), true);
        }

        if (!Guid.TryParseExact(text, "D", out var uuid))
        {
            throw ConfigException.At(settings.Find("uuid")!,
                $"expected a UUID like 01234567-89ab-cdef-0123-456789abcdef, got {XlStringEscapes.Quote(text)}");
        }

        return (uuid, false);
    }

    private static string? ReadPath(XlConfig settings, string key, bool checkFiles)
    {
        if (settings.GetString(key) is not { } text)
        {
            return null;
        }

        var setting = settings.Find(key)!;
        if (text.Length == 0)
        {
            throw ConfigException.At(setting, "must not be empty");
        }

        string full = ResolvePath(setting, text);

        if (checkFiles && FileProblem.CheckReadable(full) is { } problem)
        {
            throw ConfigException.At(setting, $"cannot read {full}: {problem}");
        }

        return full;
    }

    /// <summary>A path written in a file is relative to that file; one typed on the command line, to the shell's directory.
    /// <paramref name="what"/> begins the error message.</summary>
    private static string ResolvePath(ConfigSetting setting, string text, string what = "invalid path")
    {
        try
        {
            return setting.Source == XlConfigParser.CommandLineSource
                ? Path.GetFullPath(text)
                : Path.GetFullPath(text, Path.GetDirectoryName(Path.GetFullPath(setting.Source)) ?? "/");
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw ConfigException.At(setting, $"{what} {XlStringEscapes.Quote(text)}: {e.Message}");
        }
    }

    private static List<XlDiskSpec> ReadDisks(XlConfig settings, bool checkFiles)
    {
        var entries = settings.GetStringList("disk");
        var disks = new List<XlDiskSpec>();
        if (entries is null) return disks;
        var setting = settings.Find("disk")!;
        var byIndex = new Dictionary<int, XlDiskSpec>();
        for (int i = 0; i < entries.Count; i++)
        {
            XlDiskSpec disk;
            try
            {
                disk = XlDiskSpec.Parse(entries[i]);
            }
            catch (XlDiskSpecException e)
            {
                throw ConfigException.At(setting, $"entry {i + 1}: {e.Message}");
            }
            if (disk.Target.Length == 0)
                throw ConfigException.At(setting, $"entry {i + 1} ({disk.Vdev.Name}): an empty CD-ROM drive is not supported; give target=/path/to/image.iso");
            if (disk.Script is not null)
                throw ConfigException.At(setting, $"entry {i + 1} ({disk.Vdev.Name}): script= block scripts are not supported; give the image or device path as target");
            if (disk.Backend is not null && disk.Backend != "0" && disk.Backend != "Domain-0")
                throw ConfigException.At(setting, $"entry {i + 1} ({disk.Vdev.Name}): backend={disk.Backend}: driver domains are not supported yet; disks are served by the domain's own process");
            if (byIndex.TryGetValue(disk.Index, out var other))
                throw ConfigException.At(setting, $"entry {i + 1}: vdev {disk.Vdev.Name} names the same disk as {other.Vdev.Name}");

            string full = ResolvePath(setting, disk.Target, $"entry {i + 1} ({disk.Vdev.Name}): invalid target path");
            if (checkFiles && FileProblem.CheckUsable(full, writable: !disk.ReadOnly) is { } problem)
                throw ConfigException.At(setting, $"entry {i + 1} ({disk.Vdev.Name}): target {full}: {problem}");
            disk = disk with { Target = full };
            byIndex.Add(disk.Index, disk);
            disks.Add(disk);
        }
        // The guest names virtio disks in probe (PCI slot) order: attaching in vdev order makes xvda the guest's vda.
        disks.Sort((a, b) => a.Index.CompareTo(b.Index));
        return disks;
    }

    private static List<XlVifSpec> ReadVifs(XlConfig settings, List<ConfigWarning> warnings)
    {
        var entries = settings.GetStringList("vif");
        var vifs = new List<XlVifSpec>();
        if (entries is null) return vifs;
        var setting = settings.Find("vif")!;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++)
        {
            XlVifSpec vif;
            try
            {
                vif = XlVifSpec.Parse(entries[i]);
            }
            catch (FormatException e)
            {
                throw ConfigException.At(setting, $"entry {i + 1}: {e.Message}");
            }
            if (vif.VifName is { } name && !names.Add(name))
                throw ConfigException.At(setting, $"entry {i + 1}: vifname {name} is used twice");
            foreach (var key in vif.Ignored)
                warnings.Add(new ConfigWarning(setting.Source, setting.Line, $"vif entry {i + 1}: {key}= has no effect in Xenon; ignored"));
            if (vif.Model is { } model && model is not ("virtio" or "virtio-net" or "virtio-net-pci"))
                warnings.Add(new ConfigWarning(setting.Source, setting.Line, $"vif entry {i + 1}: model={model}: Xenon provides virtio-net only"));
            vifs.Add(vif.Mac is null ? vif with { Mac = XlVifSpec.RandomXenMac() } : vif);
        }
        return vifs;
    }

    private static List<XlChannelSpec> ReadChannels(XlConfig settings)
    {
        var entries = settings.GetStringList("channel");
        var channels = new List<XlChannelSpec>();
        if (entries is null) return channels;
        var setting = settings.Find("channel")!;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++)
        {
            XlChannelSpec channel;
            try
            {
                channel = XlChannelSpec.Parse(entries[i]);
            }
            catch (FormatException e)
            {
                throw ConfigException.At(setting, $"entry {i + 1}: {e.Message}");
            }
            if (!names.Add(channel.Name))
                throw ConfigException.At(setting, $"entry {i + 1}: channel name {channel.Name} is used twice");
            string full = ResolvePath(setting, channel.Path, $"entry {i + 1} ({channel.Name}): invalid path");
            if (!paths.Add(full))
                throw ConfigException.At(setting, $"entry {i + 1} ({channel.Name}): path {full} is used by another channel");
            if (Path.GetDirectoryName(full) is { } dir && !Directory.Exists(dir))
                throw ConfigException.At(setting, $"entry {i + 1} ({channel.Name}): path {full}: directory {dir} does not exist");
            channels.Add(channel with { Path = full });
        }
        return channels;
    }

    private static string? ReadCmdline(XlConfig settings, List<ConfigWarning> warnings)
    {
        var cmdline = settings.GetString("cmdline");
        var root = settings.GetString("root");
        var extra = settings.GetString("extra");
        if (cmdline is not null)
        {
            if (root is not null || extra is not null)
            {
                var s = settings.Find("cmdline")!;
                warnings.Add(new ConfigWarning(s.Source, s.Line, "ignoring root= and extra= in favour of cmdline="));
            }

            return cmdline;
        }

        return (root, extra) switch
        {
            (not null, not null) => $"root={root} {extra}",
            (not null, null) => $"root={root}",
            (null, not null) => extra,
            _ => null,
        };
    }

    /// <summary><c>accel</c> (Xenon's key, as QEMU's -accel): "auto" (default), "kvm" or "soft".</summary>
    private static AccelMode ReadAccel(XlConfig settings) => settings.GetString("accel") switch
    {
        null or "auto" => AccelMode.Auto,
        "kvm" => AccelMode.Kvm,
        "soft" => AccelMode.Soft,
        var other => throw ConfigException.At(settings.Find("accel")!,
            $"unknown accelerator {XlStringEscapes.Quote(other)}; expected \"auto\", \"kvm\" or \"soft\""),
    };

    private static ShutdownAction ReadAction(XlConfig settings, string key, ShutdownAction fallback)
    {
        if (settings.GetString(key) is not { } text)
        {
            return fallback;
        }

        if (!ShutdownActionNames.TryParse(text, out var action))
        {
            throw ConfigException.At(settings.Find(key)!,
                $"unknown action {XlStringEscapes.Quote(text)}; expected one of {string.Join(", ", ShutdownActionNames.All)}");
        }

        return action;
    }
}
