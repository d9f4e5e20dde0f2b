namespace Xenon.Machine.Boot;

/// <summary>The kernel, initrd or command line cannot be booted as configured (too large, does not fit in RAM, …).</summary>
public class BootException(string message) : Exception(message);

/// <summary>The kernel file is not a bootable image of the expected kind (bad magic, old protocol, truncated, bad segments).</summary>
public sealed class KernelImageException(string message) : BootException(message);
