using System.Runtime.Versioning;

// Guest memory is mmap'd host memory: Linux only.
[assembly: SupportedOSPlatform("linux")]
