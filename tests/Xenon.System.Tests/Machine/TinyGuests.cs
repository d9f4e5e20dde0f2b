namespace Xenon.System.Tests.Machine;

/// <summary>The machine-test guest programs (Machine/guests/*.S), assembled by the test build and embedded.</summary>
internal static class TinyGuests
{
    public static byte[] Load(string name)
    {
        using var s = typeof(TinyGuests).Assembly.GetManifestResourceStream($"guests/{name}.bin")
            ?? throw new InvalidOperationException($"guest '{name}' is not embedded: is Machine/guests/{name}.S missing?");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }
}
