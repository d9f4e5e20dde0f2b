namespace Xenon.Toolstack.Config;

/// <summary>
/// The xl-disk-configuration(5) grammar: comma-separated <c>key=value</c> pairs, bare flags, and positional
/// parameters that fill target, format, vdev, access in that order (skipping any already given by name).
/// <c>target=</c> swallows the rest of the spec, commas included. Empty values mean "default".
/// The deprecated xend forms (<c>file:/img,xvda,w</c>, <c>raw:/iso,hdc:cdrom,r</c>, <c>,hdc:cdrom,r</c>) are read too,
/// because real configs still use them.
/// </summary>
internal sealed class XlDiskSpecParser(string spec)
{
    private const string TargetKey = "target=";

    private static readonly string[] IgnoredPrefixes = ["tapdisk", "tap2", "tap", "aio", "ioemu", "file", "phy"];
    private static readonly string[] ScriptPrefixes = ["iscsi", "nbd", "enbd", "drbd"];
    private static readonly string[] FormatNames = ["raw", "qcow", "qcow2", "vhd", "qed"];
    private static readonly string[] BackendTypes = ["phy", "tap", "qdisk", "standalone"];

    private string? _target;
    private bool _targetSet, _formatSet, _vdevSet, _accessSet;
    private XlDiskSpecVdev? _vdev;
    private bool? _readOnly;
    private bool _cdrom;
    private string? _backendType, _backend, _script;
    private bool _directIoSafe, _discardSet;
    private bool _discard = true;

    public XlDiskSpec Parse()
    {
        int pos = 0;
        while (true)
        {
            while (pos < spec.Length && char.IsWhiteSpace(spec[pos])) pos++;
            if (string.CompareOrdinal(spec, pos, TargetKey, 0, TargetKey.Length) == 0)
            {
                NamedTarget(spec[(pos + TargetKey.Length)..]);
                break;
            }
            int comma = spec.IndexOf(',', pos);
            Parameter(comma < 0 ? spec[pos..] : spec[pos..comma]);
            if (comma < 0) break;
            pos = comma + 1;
        }
        return Build();
    }

    private void Parameter(string raw)
    {
        string text = raw.TrimEnd();
        int eq = text.IndexOf('=');
        if (eq >= 0)
        {
            Named(text[..eq], text[(eq + 1)..]);
            return;
        }
        switch (text)
        {
            case "cdrom":
                _cdrom = true;
                return;
            case "direct-io-safe":
                _directIoSafe = true;
                return;
            case "discard":
            case "no-discard":
                if (_discardSet) throw Error("discard", "given more than once");
                _discardSet = true;
                _discard = text == "discard";
                return;
            case "colo":
                throw Error("colo", "COLO disk replication is not supported");
        }
        Positional(raw);
    }

    private void Named(string key, string value)
    {
        switch (key)
        {
            case "format":
                Once(ref _formatSet, key);
                SetFormat(value);
                break;
            case "vdev":
                Once(ref _vdevSet, key);
                SetVdev(value);
                break;
            case "access":
                Once(ref _accessSet, key);
                SetAccess(value);
                break;
            case "devtype":
                if (value is not ("" or "cdrom")) throw Error(key, $"expected cdrom, got \"{value}\"");
                if (value == "cdrom") _cdrom = true;
                break;
            case "backendtype":
                if (_backendType is not null) throw Error(key, "given more than once");
                if (value.Length > 0 && Array.IndexOf(BackendTypes, value) < 0)
                    throw Error(key, $"expected phy, tap, qdisk or standalone, got \"{value}\"");
                _backendType = value.Length == 0 ? null : value;
                break;
            case "backend":
                if (_backend is not null) throw Error(key, "given more than once");
                _backend = value.Length == 0 ? null : value;
                break;
            case "script":
                if (_script is not null) throw Error(key, "given more than once");
                _script = value.Length == 0 ? null : value;
                break;
            case "colo-host" or "colo-port" or "colo-export" or "active-disk" or "hidden-disk":
                throw Error(key, "COLO disk replication is not supported");
            default:
                throw Error(null, $"unknown parameter \"{key}\"");
        }
    }

    private void Positional(string value)
    {
        if (!_targetSet)
        {
            _targetSet = true;
            PositionalTarget(value);
        }
        else if (!_formatSet)
        {
            _formatSet = true;
            // ",hdc:cdrom,r": xend's empty CD-ROM form; format names never contain a colon.
            if (value.Contains(':')) PositionalVdev(value.TrimEnd());
            else SetFormat(value.TrimEnd());
        }
        else if (!_vdevSet)
        {
            PositionalVdev(value.TrimEnd());
        }
        else if (!_accessSet)
        {
            _accessSet = true;
            SetAccess(value.TrimEnd());
        }
        else
        {
            throw Error(null, $"too many positional parameters at \"{value}\" (target, format, vdev and access are already set)");
        }
    }

    /// <summary>Strips xend's prefixes (<c>tap:aio:</c>, <c>raw:</c>, <c>nbd:</c>...); having seen one, the spec is
    /// in the deprecated <c>[format:]target,vdev,access</c> form, which has no format slot.</summary>
    private void PositionalTarget(string value)
    {
        bool deprecated = false;
        while (true)
        {
            int colon = value.IndexOf(':');
            if (colon <= 0) break;
            string word = value[..colon];
            if (Array.IndexOf(FormatNames, word) >= 0)
            {
                if (_formatSet) throw Error("format", "given more than once");
                SetFormat(word);
            }
            else if (Array.IndexOf(ScriptPrefixes, word) >= 0)
            {
                if (_script is not null) throw Error("script", "given more than once");
                _script = "block-" + word;
            }
            else if (Array.IndexOf(IgnoredPrefixes, word) < 0)
            {
                break;
            }
            deprecated = true;
            value = value[(colon + 1)..];
        }
        if (deprecated) _formatSet = true;
        SetTarget(value);
    }

    private void PositionalVdev(string value)
    {
        _vdevSet = true;
        int colon = value.IndexOf(':');
        if (colon >= 0)
        {
            string devtype = value[(colon + 1)..];
            if (devtype != "cdrom") throw Error("vdev", $"expected \"<vdev>:cdrom\", got \"{value}\"");
            _cdrom = true;
            value = value[..colon];
        }
        SetVdev(value);
    }

    /// <summary><c>target=</c> may follow an empty positional target, but never replace a real one.</summary>
    private void NamedTarget(string value)
    {
        if (_targetSet && !string.IsNullOrEmpty(_target)) throw Error("target", "given more than once");
        _targetSet = true;
        SetTarget(value);
    }

    private void SetTarget(string value)
    {
        if (value.Contains('\0')) throw Error("target", "contains a NUL character");
        _target = value;
    }

    private void SetFormat(string value)
    {
        switch (value)
        {
            case "" or "raw":
                return;
            case "qcow" or "qcow2" or "vhd" or "qed":
                throw Error("format", $"\"{value}\" images are not supported yet (only raw)");
            default:
                throw Error("format", $"expected raw, qcow, qcow2, vhd or qed, got \"{value}\"");
        }
    }

    private void SetVdev(string value)
    {
        if (value.Length == 0) return;
        if (!XlDiskSpecVdev.TryParse(value, out var vdev, out string reason)) throw Error("vdev", reason);
        _vdev = vdev;
    }

    private void SetAccess(string value)
    {
        _readOnly = value switch
        {
            "" => null,
            "ro" or "r" => true,
            "rw" or "w" => false,
            _ => throw Error("access", $"expected ro or rw, got \"{value}\""),
        };
    }

    private void Once(ref bool set, string key)
    {
        if (set) throw Error(key, "given more than once");
        set = true;
    }

    private XlDiskSpec Build()
    {
        if (_vdev is null) throw Error("vdev", "missing: every disk needs a guest device name (e.g. xvda)");
        if (_cdrom && _readOnly == false) throw Error("access", "a cdrom is read-only, got rw");
        string target = _target ?? "";
        if (target.Length == 0 && !_cdrom) throw Error("target", "missing: only an empty cdrom drive may omit it");
        return new XlDiskSpec
        {
            Target = target,
            Vdev = _vdev,
            ReadOnly = _readOnly ?? _cdrom,
            Format = XlDiskFormat.Raw,
            DeviceType = _cdrom ? XlDiskDeviceType.Cdrom : XlDiskDeviceType.Disk,
            BackendType = _backendType,
            Backend = _backend,
            Script = _script,
            DirectIoSafe = _directIoSafe,
            Discard = _discard,
        };
    }

    private XlDiskSpecException Error(string? part, string reason) => new(spec, part, reason);
}
