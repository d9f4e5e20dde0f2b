namespace Xenon.Kvm.Net;

/// <summary>The kernel's rule for network interface names (dev_valid_name): 1 to 15 bytes, not "." or "..",
/// no '/', ':' or whitespace. Checked here so a bad name fails with its reason, not a bare EINVAL.</summary>
public static class InterfaceName
{
    public const int MaxLength = 15;

    public static bool IsValid(string name, out string reason)
    {
        reason = "";
        if (string.IsNullOrEmpty(name)) reason = "is empty";
        else if (name.Length > MaxLength) reason = $"is longer than {MaxLength} characters";
        else if (name is "." or "..") reason = "is . or ..";
        else
        {
            foreach (char c in name)
            {
                if (c > 0x7e || c <= ' ' || c is '/' or ':')
                {
                    reason = $"contains '{c}' (U+{(int)c:X4})";
                    break;
                }
            }
        }
        return reason.Length == 0;
    }

    public static void Validate(string name)
    {
        if (!IsValid(name, out string reason)) throw new ArgumentException($"interface name '{name}' {reason}", nameof(name));
    }
}
