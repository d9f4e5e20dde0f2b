using System.Runtime.CompilerServices;
using Xenon.Emulator.Execution;

namespace Xenon.Emulator.Tests.Support;

/// <summary>
/// The emulator tests translate on the vCPU's own thread, so a block runs translated exactly from its threshold on and the
/// counts they assert do not depend on when a background thread gets to it. The background path has its own tests
/// (IlAsyncTranslationTests), which ask for it per CPU.
/// </summary>
internal static class SyncTranslations
{
    [ModuleInitializer]
    internal static void Init() => Cpu.IlAsyncDefault = false;
}
