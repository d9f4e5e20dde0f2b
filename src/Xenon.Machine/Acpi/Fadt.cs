using System.Diagnostics;

namespace Xenon.Machine.Acpi;

/// <summary>
/// Fixed ACPI Description Table, revision 6 (276 bytes). A full (not hardware-reduced) PC:
/// PM1a event/control blocks and the PM timer at <see cref="AcpiPorts"/>, SCI on IRQ 9, no SMI
/// command port (ACPI is permanently enabled, so the guest never performs the legacy handover), a GPE0 block,
/// reset through I/O port 0xcf9, and no 8042 announced (the i8042 is there for its reset line only).
/// </summary>
internal static class Fadt
{
    public const int Length = 276;

    // FADT Flags
    private const uint Wbinvd = 1u << 0;
    private const uint ProcC1 = 1u << 2;
    private const uint SleepButtonIsNotFixed = 1u << 5;
    private const uint FixRtc = 1u << 6;
    private const uint ResetRegSupported = 1u << 10;

    // IA-PC boot architecture flags. Bit 1 (8042) stays clear: the i8042 model has no keyboard or mouse behind it and
    // is there for its reset line, which Linux drives without a driver (reboot=kbd writes 0xfe to port 0x64). With the
    // bit set Linux probed the controller and both its ports at every boot: ~120 port exits and 15 ms before /init on
    // the nested host, then ~0.4 s per port of background probing (docs/benchmarks.md, "where the guest's boot goes").
    // QEMU's microvm leaves it clear too.
    internal const ushort LegacyDevices = 1 << 0;
    internal const ushort Has8042 = 1 << 1;
    internal const ushort VgaNotPresent = 1 << 2;

    public static byte[] Build(ulong dsdtAddress, ulong facsAddress)
    {
        if (dsdtAddress > uint.MaxValue || facsAddress > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(dsdtAddress), "DSDT and FACS must be below 4 GiB");

        var w = AcpiTableWriter.BeginTable("FACP", 6);
        w.U32((uint)facsAddress);           // 36 FIRMWARE_CTRL
        w.U32((uint)dsdtAddress);           // 40 DSDT
        w.U8(0);                            // 44 reserved (was INT_MODEL)
        w.U8(0);                            // 45 Preferred_PM_Profile: unspecified
        w.U16(AcpiPorts.SciIrq);            // 46 SCI_INT
        w.U32(0);                           // 48 SMI_CMD: none, ACPI always enabled
        w.U8(0).U8(0).U8(0).U8(0);          // 52 ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
        w.U32(AcpiPorts.Pm1aEvent);         // 56 PM1a_EVT_BLK
        w.U32(0);                           // 60 PM1b_EVT_BLK
        w.U32(AcpiPorts.Pm1aControl);       // 64 PM1a_CNT_BLK
        w.U32(0);                           // 68 PM1b_CNT_BLK
        w.U32(0);                           // 72 PM2_CNT_BLK
        w.U32(AcpiPorts.PmTimer);           // 76 PM_TMR_BLK
        w.U32(AcpiPorts.Gpe0Block).U32(0);  // 80 GPE0_BLK (CPU hotplug's GPE), GPE1_BLK
        w.U8(AcpiPorts.Pm1EventLength);     // 88 PM1_EVT_LEN
        w.U8(AcpiPorts.Pm1ControlLength);   // 89 PM1_CNT_LEN
        w.U8(0);                            // 90 PM2_CNT_LEN
        w.U8(AcpiPorts.PmTimerLength);      // 91 PM_TMR_LEN
        w.U8(AcpiPorts.Gpe0BlockLength).U8(0).U8(0); // 92 GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE
        w.U8(0);                            // 95 CST_CNT
        w.U16(101);                         // 96 P_LVL2_LAT > 100: C2 not supported
        w.U16(1001);                        // 98 P_LVL3_LAT > 1000: C3 not supported
        w.U16(0).U16(0);                    // 100 FLUSH_SIZE, FLUSH_STRIDE
        w.U8(0).U8(0);                      // 104 DUTY_OFFSET, DUTY_WIDTH
        w.U8(0).U8(0);                      // 106 DAY_ALRM, MON_ALRM
        w.U8(0);                            // 108 CENTURY: the CMOS model has no century register
        w.U16(LegacyDevices | VgaNotPresent); // 109 IAPC_BOOT_ARCH
        w.U8(0);                            // 111 reserved
        w.U32(Wbinvd | ProcC1 | SleepButtonIsNotFixed | FixRtc | ResetRegSupported); // 112 Flags
        w.Gas(GenericAddress.Io(AcpiPorts.ResetPort, 1, GenericAddress.AccessByte)); // 116 RESET_REG
        w.U8(AcpiPorts.ResetValue);         // 128 RESET_VALUE
        w.U16(0);                           // 129 ARM_BOOT_ARCH
        w.U8(0);                            // 131 FADT minor version (6.0)
        w.U64(0);                           // 132 X_FIRMWARE_CTRL: FIRMWARE_CTRL is used (only one may be set)
        w.U64(dsdtAddress);                 // 140 X_DSDT
        w.Gas(GenericAddress.Io(AcpiPorts.Pm1aEvent, AcpiPorts.Pm1EventLength, GenericAddress.AccessWord));    // 148 X_PM1a_EVT_BLK
        w.Gas(GenericAddress.None);         // 160 X_PM1b_EVT_BLK
        w.Gas(GenericAddress.Io(AcpiPorts.Pm1aControl, AcpiPorts.Pm1ControlLength, GenericAddress.AccessWord)); // 172 X_PM1a_CNT_BLK
        w.Gas(GenericAddress.None);         // 184 X_PM1b_CNT_BLK
        w.Gas(GenericAddress.None);         // 196 X_PM2_CNT_BLK
        w.Gas(GenericAddress.Io(AcpiPorts.PmTimer, AcpiPorts.PmTimerLength, GenericAddress.AccessDword));     // 208 X_PM_TMR_BLK
        w.Gas(GenericAddress.Io(AcpiPorts.Gpe0Block, AcpiPorts.Gpe0BlockLength, GenericAddress.AccessByte)); // 220 X_GPE0_BLK
        w.Gas(GenericAddress.None);         // 232 X_GPE1_BLK
        w.Gas(GenericAddress.None);         // 244 SLEEP_CONTROL_REG (hardware-reduced only)
        w.Gas(GenericAddress.None);         // 256 SLEEP_STATUS_REG (hardware-reduced only)
        w.Ascii("XenonVMM", 8);             // 268 Hypervisor Vendor Identity
        Debug.Assert(w.Length == Length);
        return w.Finish();
    }
}
