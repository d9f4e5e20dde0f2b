using System.Runtime.Versioning;

// xenstored serves a Unix socket with Unix file modes; it runs on Linux only.
[assembly: SupportedOSPlatform("linux")]

namespace Xenon.Store;
