namespace Xenon.Devices.Legacy.Rtc;

/// <summary>The RTC's saved form: the 128 CMOS bytes, the selected index, and the guest's clock as an offset from host UTC.</summary>
/// <remarks>Time registers in <see cref="Nvram"/> only matter while register B's SET bit holds the clock;
/// otherwise the time is recomputed from host UTC plus <see cref="GuestOffsetTicks"/>, so a guest
/// moved to another host with a synchronised clock keeps its time.</remarks>
public sealed record CmosRtcState(byte Index, byte[] Nvram, long GuestOffsetTicks);
