namespace Xenon.Store.Tree;

/// <summary>XenStore path rules (docs/misc/xenstore.txt, C xenstored's is_valid_nodename).</summary>
public static class XsPath
{
    /// <summary>XENSTORE_ABS_PATH_MAX.</summary>
    public const int AbsoluteMax = 3072;

    /// <summary>XENSTORE_REL_PATH_MAX.</summary>
    public const int RelativeMax = 2048;

    /// <summary>The watch path fired when a domain is introduced.</summary>
    public const string IntroduceDomain = "@introduceDomain";

    /// <summary>The watch path fired when a domain is released.</summary>
    public const string ReleaseDomain = "@releaseDomain";

    private const string LocalDomain = "/local/domain/";

    /// <summary>The home of a domain: /local/domain/&lt;domid&gt;.</summary>
    public static string DomainPath(uint domId) => LocalDomain + domId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True for the @… names of special watch events.</summary>
    public static bool IsSpecial(string path) => path.Length > 0 && path[0] == '@';

    /// <summary>Relative paths are taken relative to the connection's domain path.</summary>
    public static string Canonicalize(string path, string domainPath)
    {
        if (path.Length > 0 && (path[0] == '/' || path[0] == '@'))
        {
            return path;
        }

        return domainPath + "/" + path;
    }

    /// <summary>
    /// An absolute node name: starts with '/', no trailing '/' (except the root), no "//", only
    /// [A-Za-z0-9_/@-], and at most <paramref name="maxRelative"/> chars beyond /local/domain/N/.
    /// </summary>
    public static bool IsValidNodeName(string path, int maxRelative = RelativeMax)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        if (path.Length > 1 && path[^1] == '/')
        {
            return false;
        }

        if (path.Contains("//", StringComparison.Ordinal))
        {
            return false;
        }

        if (path.Length > LocalDomainPrefixLength(path) + maxRelative || path.Length > AbsoluteMax)
        {
            return false;
        }

        return HasValidChars(path);
    }

    /// <summary>A special watch name: '@' then valid chars, within the relative length limit.</summary>
    public static bool IsValidSpecialName(string path) =>
        path.Length > 1 && path[0] == '@' && path.Length <= RelativeMax && HasValidChars(path);

    /// <summary>C xenstored's is_child: equal, or below; everything is below "/".</summary>
    public static bool IsChildOrSelf(string child, string parent)
    {
        if (parent == "/")
        {
            return true;
        }

        if (!child.StartsWith(parent, StringComparison.Ordinal))
        {
            return false;
        }

        return child.Length == parent.Length || child[parent.Length] == '/';
    }

    /// <summary>Parent of an absolute node name; "/" for a top-level node and for "/".</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>Last component of an absolute node name (not "/").</summary>
    public static string BaseName(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Child path under a parent.</summary>
    public static string Combine(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;

    private static bool HasValidChars(string path)
    {
        foreach (var c in path)
        {
            var ok = c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '/' or '_' or '@';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    // Length of a leading "/local/domain/<up to 5 digits>/", else 0 (C's sscanf "%5u/%n").
    private static int LocalDomainPrefixLength(string path)
    {
        if (!path.StartsWith(LocalDomain, StringComparison.Ordinal))
        {
            return 0;
        }

        var i = LocalDomain.Length;
        var digits = 0;
        while (i < path.Length && digits < 5 && char.IsAsciiDigit(path[i]))
        {
            i++;
            digits++;
        }

        return digits > 0 && i < path.Length && path[i] == '/' ? i + 1 : 0;
    }
}
