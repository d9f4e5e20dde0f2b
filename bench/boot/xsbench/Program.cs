// xenstored alone (the daemon `xenon __xenstored` runs), for xsclient.py to measure its CPU per create; see run.sh.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

return Xenon.Store.Server.XenStoreDaemon.Run(args, Console.Error, CancellationToken.None);
