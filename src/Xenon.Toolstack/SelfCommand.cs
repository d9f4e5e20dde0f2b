namespace Xenon.Toolstack;

/// <summary>How to run this program again (for the detached domain and xenstored processes): the apphost
/// (<c>xenon</c>), or <c>dotnet xenon.dll</c> when started that way.</summary>
public static class SelfCommand
{
    public static string[] Get()
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the xenon executable");
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            return [self, System.Reflection.Assembly.GetEntryAssembly()!.Location];
        return [self];
    }
}
