using System.Runtime.Versioning;

// Uses xenstored (Xenon.Store), Unix sockets and /proc: Linux only.
[assembly: SupportedOSPlatform("linux")]
