using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Xenon.Kvm.Abi;

namespace Xenon.Kvm.Tests;

/// <summary>Every declared KVM struct, member and ioctl number checked against gcc and &lt;linux/kvm.h&gt;.</summary>
public sealed class KvmAbiLayoutTests
{
    private readonly List<(string C, ulong CSharp)> _checks = [];

    [Fact]
    public void StructsMembersAndIoctlNumbersMatchTheLinuxHeaders()
    {
        DeclareStructs();
        DeclareIoctls();

        var expressions = _checks.ConvertAll(c => c.C);
        var native = NativeLayoutProbe.Evaluate(expressions, out string skip, out _);
        if (native is null) Assert.Skip(skip);

        var mismatches = new StringBuilder();
        foreach (var (c, cs) in _checks)
        {
            ulong expected = native[c];
            if (expected != cs) mismatches.AppendLine($"{c}: C says {expected} (0x{expected:x}), C# has {cs} (0x{cs:x})");
        }
        Assert.True(mismatches.Length == 0, $"{mismatches.ToString().Split('\n').Length - 1} of {_checks.Count} layout checks differ:\n{mismatches}");
    }

    private void DeclareStructs()
    {
        Struct<KvmRun>("kvm_run",
            ("request_interrupt_window", "RequestInterruptWindow"), ("immediate_exit", "ImmediateExit"),
            ("exit_reason", "ExitReason"), ("ready_for_interrupt_injection", "ReadyForInterruptInjection"),
            ("if_flag", "IfFlag"), ("flags", "Flags"), ("cr8", "Cr8"), ("apic_base", "ApicBase"),
            ("kvm_valid_regs", "KvmValidRegs"), ("kvm_dirty_regs", "KvmDirtyRegs"));
        Member<KvmRun, KvmRunHw>("kvm_run", "hw", "Hw", ("hardware_exit_reason", "HardwareExitReason"));
        Member<KvmRun, KvmRunFailEntry>("kvm_run", "fail_entry", "FailEntry",
            ("hardware_entry_failure_reason", "HardwareEntryFailureReason"), ("cpu", "Cpu"));
        Member<KvmRun, KvmRunIo>("kvm_run", "io", "Io",
            ("direction", "Direction"), ("size", "Size"), ("port", "Port"), ("count", "Count"), ("data_offset", "DataOffset"));
        Member<KvmRun, KvmRunMmio>("kvm_run", "mmio", "Mmio",
            ("phys_addr", "PhysAddr"), ("data", "Data"), ("len", "Len"), ("is_write", "IsWrite"));
        Member<KvmRun, KvmRunInternal>("kvm_run", "internal", "Internal",
            ("suberror", "Suberror"), ("ndata", "NData"), ("data", "Data"));
        Member<KvmRun, KvmRunSystemEvent>("kvm_run", "system_event", "SystemEvent",
            ("type", "Type"), ("ndata", "NData"), ("data", "Data"));
        Check("offsetof(struct kvm_run, mmio.data)", (ulong)KvmRunMmio.DataOffsetInRun);
        Check("KVM_EXIT_IO_IN", KvmRunIo.DirectionIn);
        Check("KVM_EXIT_IO_OUT", KvmRunIo.DirectionOut);

        Struct<KvmRegs>("kvm_regs",
            ("rax", "Rax"), ("rbx", "Rbx"), ("rcx", "Rcx"), ("rdx", "Rdx"), ("rsi", "Rsi"), ("rdi", "Rdi"),
            ("rsp", "Rsp"), ("rbp", "Rbp"), ("r8", "R8"), ("r9", "R9"), ("r10", "R10"), ("r11", "R11"),
            ("r12", "R12"), ("r13", "R13"), ("r14", "R14"), ("r15", "R15"), ("rip", "Rip"), ("rflags", "Rflags"));
        Struct<KvmSegment>("kvm_segment",
            ("base", "Base"), ("limit", "Limit"), ("selector", "Selector"), ("type", "Type"), ("present", "Present"),
            ("dpl", "Dpl"), ("db", "Db"), ("s", "S"), ("l", "L"), ("g", "G"), ("avl", "Avl"),
            ("unusable", "Unusable"), ("padding", "Padding"));
        Struct<KvmDtable>("kvm_dtable", ("base", "Base"), ("limit", "Limit"));
        Struct<KvmSregs>("kvm_sregs",
            ("cs", "Cs"), ("ds", "Ds"), ("es", "Es"), ("fs", "Fs"), ("gs", "Gs"), ("ss", "Ss"), ("tr", "Tr"),
            ("ldt", "Ldt"), ("gdt", "Gdt"), ("idt", "Idt"), ("cr0", "Cr0"), ("cr2", "Cr2"), ("cr3", "Cr3"),
            ("cr4", "Cr4"), ("cr8", "Cr8"), ("efer", "Efer"), ("apic_base", "ApicBase"),
            ("interrupt_bitmap", "InterruptBitmap"));
        Struct<KvmFpu>("kvm_fpu",
            ("fpr", "Fpr"), ("fcw", "Fcw"), ("fsw", "Fsw"), ("ftwx", "Ftwx"), ("pad1", "Pad1"),
            ("last_opcode", "LastOpcode"), ("last_ip", "LastIp"), ("last_dp", "LastDp"), ("xmm", "Xmm"),
            ("mxcsr", "Mxcsr"), ("pad2", "Pad2"));
        Struct<KvmLapicState>("kvm_lapic_state", ("regs", "Regs"));
        Struct<KvmCpuidEntry2>("kvm_cpuid_entry2",
            ("function", "Function"), ("index", "Index"), ("flags", "Flags"), ("eax", "Eax"), ("ebx", "Ebx"),
            ("ecx", "Ecx"), ("edx", "Edx"));
        Header<KvmCpuid2Header>("kvm_cpuid2", ("nent", "Nent"), ("padding", "Padding"));
        Check("KVM_CPUID_FLAG_SIGNIFCANT_INDEX", KvmCpuidEntry2.FlagSignificantIndex);
        Struct<KvmMsrEntry>("kvm_msr_entry", ("index", "Index"), ("reserved", "Reserved"), ("data", "Data"));
        Header<KvmMsrsHeader>("kvm_msrs", ("nmsrs", "Nmsrs"), ("pad", "Pad"));
        Struct<KvmUserspaceMemoryRegion>("kvm_userspace_memory_region",
            ("slot", "Slot"), ("flags", "Flags"), ("guest_phys_addr", "GuestPhysAddr"),
            ("memory_size", "MemorySize"), ("userspace_addr", "UserspaceAddr"));
        Check("KVM_MEM_LOG_DIRTY_PAGES", (ulong)KvmMemoryFlags.LogDirtyPages);
        Check("KVM_MEM_READONLY", (ulong)KvmMemoryFlags.ReadOnly);
        Struct<KvmIrqLevel>("kvm_irq_level", ("irq", "Irq"), ("status", "Status"), ("level", "Level"));
        Struct<KvmPitConfig>("kvm_pit_config", ("flags", "Flags"));
        Check("KVM_PIT_SPEAKER_DUMMY", KvmPitConfig.SpeakerDummy);
        Struct<KvmDirtyLog>("kvm_dirty_log", ("slot", "Slot"), ("padding1", "Padding1"), ("dirty_bitmap", "DirtyBitmap"));
        Struct<KvmIoeventfd>("kvm_ioeventfd",
            ("datamatch", "Datamatch"), ("addr", "Addr"), ("len", "Len"), ("fd", "Fd"), ("flags", "Flags"));
        Check("KVM_IOEVENTFD_FLAG_DATAMATCH", (ulong)KvmIoeventfdFlags.Datamatch);
        Check("KVM_IOEVENTFD_FLAG_PIO", (ulong)KvmIoeventfdFlags.Pio);
        Check("KVM_IOEVENTFD_FLAG_DEASSIGN", (ulong)KvmIoeventfdFlags.Deassign);
        Struct<KvmCoalescedMmioZone>("kvm_coalesced_mmio_zone", ("addr", "Addr"), ("size", "Size"), ("pio", "Pio"));
        Struct<KvmCoalescedMmio>("kvm_coalesced_mmio", ("phys_addr", "PhysAddr"), ("len", "Len"), ("pio", "Pio"), ("data", "Data"));
        Header<KvmCoalescedMmioRing>("kvm_coalesced_mmio_ring", ("first", "First"), ("last", "Last"));
        Struct<KvmIrqfd>("kvm_irqfd", ("fd", "Fd"), ("gsi", "Gsi"), ("flags", "Flags"), ("resamplefd", "Resamplefd"));
        Check("KVM_IRQFD_FLAG_DEASSIGN", KvmIrqfd.FlagDeassign);
        Check("KVM_IRQFD_FLAG_RESAMPLE", KvmIrqfd.FlagResample);
        Struct<KvmIrqRoutingIrqchip>("kvm_irq_routing_irqchip", ("irqchip", "Irqchip"), ("pin", "Pin"));
        Struct<KvmIrqRoutingMsi>("kvm_irq_routing_msi",
            ("address_lo", "AddressLo"), ("address_hi", "AddressHi"), ("data", "Data"), ("devid", "Devid"));
        Struct<KvmIrqRoutingEntry>("kvm_irq_routing_entry",
            ("gsi", "Gsi"), ("type", "Type"), ("flags", "Flags"), ("pad", "Pad"), ("u.irqchip", "Irqchip"), ("u.msi", "Msi"));
        Check("KVM_IRQ_ROUTING_IRQCHIP", KvmIrqRoutingEntry.TypeIrqchip);
        Check("KVM_IRQ_ROUTING_MSI", KvmIrqRoutingEntry.TypeMsi);
        Check("KVM_IRQCHIP_PIC_MASTER", KvmIrqRoutingIrqchip.PicMaster);
        Check("KVM_IRQCHIP_PIC_SLAVE", KvmIrqRoutingIrqchip.PicSlave);
        Check("KVM_IRQCHIP_IOAPIC", KvmIrqRoutingIrqchip.Ioapic);
        Header<KvmIrqRoutingHeader>("kvm_irq_routing", ("nr", "Nr"), ("flags", "Flags"));
        Struct<KvmEnableCap>("kvm_enable_cap", ("cap", "Cap"), ("flags", "Flags"), ("args", "Args"));
        Struct<KvmMsi>("kvm_msi",
            ("address_lo", "AddressLo"), ("address_hi", "AddressHi"), ("data", "Data"), ("flags", "Flags"),
            ("devid", "Devid"), ("pad", "Pad"));
        Struct<EpollEvent>("epoll_event", ("events", "Events"), ("data", "Data"));
        Check("EPOLLIN", (ulong)EpollEvents.In);
        Check("EPOLLOUT", (ulong)EpollEvents.Out);
        Check("EPOLLERR", (ulong)EpollEvents.Err);
        Check("EPOLLHUP", (ulong)EpollEvents.Hup);
        Struct<KvmMpState>("kvm_mp_state", ("mp_state", "MpState"));
        Struct<KvmClockData>("kvm_clock_data",
            ("clock", "Clock"), ("flags", "Flags"), ("pad0", "Pad0"), ("realtime", "Realtime"), ("host_tsc", "HostTsc"));

        Struct<KvmXsave>("kvm_xsave", ("region", "Region"));
        Struct<KvmXcr>("kvm_xcr", ("xcr", "Xcr"), ("reserved", "Reserved"), ("value", "Value"));
        Struct<KvmXcrs>("kvm_xcrs", ("nr_xcrs", "NrXcrs"), ("flags", "Flags"), ("xcrs", "Xcrs"), ("padding", "Padding"));
        Check("KVM_MAX_XCRS", KvmXcrs.MaxXcrs);
        Struct<KvmVcpuEvents>("kvm_vcpu_events",
            ("exception.injected", "ExceptionInjected"), ("exception.nr", "ExceptionNr"),
            ("exception.has_error_code", "ExceptionHasErrorCode"), ("exception.pending", "ExceptionPending"),
            ("exception.error_code", "ExceptionErrorCode"), ("interrupt.injected", "InterruptInjected"),
            ("interrupt.nr", "InterruptNr"), ("interrupt.soft", "InterruptSoft"), ("interrupt.shadow", "InterruptShadow"),
            ("nmi.injected", "NmiInjected"), ("nmi.pending", "NmiPending"), ("nmi.masked", "NmiMasked"), ("nmi.pad", "NmiPad"),
            ("sipi_vector", "SipiVector"), ("flags", "Flags"), ("smi.smm", "SmiSmm"), ("smi.pending", "SmiPending"),
            ("smi.smm_inside_nmi", "SmiInsideNmi"), ("smi.latched_init", "SmiLatchedInit"),
            ("triple_fault.pending", "TripleFaultPending"), ("reserved", "Reserved"),
            ("exception_has_payload", "ExceptionHasPayload"), ("exception_payload", "ExceptionPayload"));
        Check("KVM_VCPUEVENT_VALID_NMI_PENDING", KvmVcpuEvents.ValidNmiPending);
        Check("KVM_VCPUEVENT_VALID_SIPI_VECTOR", KvmVcpuEvents.ValidSipiVector);
        Check("KVM_VCPUEVENT_VALID_SHADOW", KvmVcpuEvents.ValidShadow);
        Check("KVM_VCPUEVENT_VALID_SMM", KvmVcpuEvents.ValidSmm);
        Check("KVM_VCPUEVENT_VALID_PAYLOAD", KvmVcpuEvents.ValidPayload);
        Check("KVM_VCPUEVENT_VALID_TRIPLE_FAULT", KvmVcpuEvents.ValidTripleFault);
        Struct<KvmDebugRegs>("kvm_debugregs",
            ("db", "Db"), ("dr6", "Dr6"), ("dr7", "Dr7"), ("flags", "Flags"), ("reserved", "Reserved"));
        Struct<KvmPicState>("kvm_pic_state",
            ("last_irr", "LastIrr"), ("irr", "Irr"), ("imr", "Imr"), ("isr", "Isr"), ("priority_add", "PriorityAdd"),
            ("irq_base", "IrqBase"), ("read_reg_select", "ReadRegSelect"), ("poll", "Poll"), ("special_mask", "SpecialMask"),
            ("init_state", "InitState"), ("auto_eoi", "AutoEoi"), ("rotate_on_auto_eoi", "RotateOnAutoEoi"),
            ("special_fully_nested_mode", "SpecialFullyNestedMode"), ("init4", "Init4"), ("elcr", "Elcr"),
            ("elcr_mask", "ElcrMask"));
        Struct<KvmIoapicState>("kvm_ioapic_state",
            ("base_address", "BaseAddress"), ("ioregsel", "Ioregsel"), ("id", "Id"), ("irr", "Irr"), ("pad", "Pad"),
            ("redirtbl", "Redirtbl"));
        Check("KVM_IOAPIC_NUM_PINS", KvmIoapicState.Pins);
        Struct<KvmIrqchip>("kvm_irqchip", ("chip_id", "ChipId"), ("pad", "Pad"));
        Member<KvmIrqchip, KvmPicState>("kvm_irqchip", "chip.pic", "Pic", ("irr", "Irr"), ("elcr_mask", "ElcrMask"));
        Member<KvmIrqchip, KvmIoapicState>("kvm_irqchip", "chip.ioapic", "IoapicState", ("redirtbl", "Redirtbl"));
        Check("KVM_IRQCHIP_PIC_MASTER", KvmIrqchip.PicMaster);
        Check("KVM_IRQCHIP_PIC_SLAVE", KvmIrqchip.PicSlave);
        Check("KVM_IRQCHIP_IOAPIC", KvmIrqchip.Ioapic);
        Struct<KvmPitChannelState>("kvm_pit_channel_state",
            ("count", "Count"), ("latched_count", "LatchedCount"), ("count_latched", "CountLatched"),
            ("status_latched", "StatusLatched"), ("status", "Status"), ("read_state", "ReadState"),
            ("write_state", "WriteState"), ("write_latch", "WriteLatch"), ("rw_mode", "RwMode"), ("mode", "Mode"),
            ("bcd", "Bcd"), ("gate", "Gate"), ("count_load_time", "CountLoadTime"));
        Struct<KvmPitState2>("kvm_pit_state2", ("flags", "Flags"), ("reserved", "Reserved"));
        Check("offsetof(struct kvm_pit_state2, channels[0])", (ulong)Marshal.OffsetOf<KvmPitState2>("Channel0"));
        Check("offsetof(struct kvm_pit_state2, channels[1])", (ulong)Marshal.OffsetOf<KvmPitState2>("Channel1"));
        Check("offsetof(struct kvm_pit_state2, channels[2])", (ulong)Marshal.OffsetOf<KvmPitState2>("Channel2"));
        Check("KVM_PIT_FLAGS_HPET_LEGACY", KvmPitState2.FlagHpetLegacy);
        Check("KVM_PIT_FLAGS_SPEAKER_DATA_ON", KvmPitState2.FlagSpeakerDataOn);
        Header<KvmMsrListHeader>("kvm_msr_list", ("nmsrs", "Nmsrs"));

        foreach (KvmExitReason r in Enum.GetValues<KvmExitReason>())
            Check($"KVM_EXIT_{ExitName(r)}", (ulong)r);
        foreach (KvmSystemEventType t in Enum.GetValues<KvmSystemEventType>())
            Check($"KVM_SYSTEM_EVENT_{Upper(t.ToString())}", (ulong)t);
        foreach (KvmInternalError e in Enum.GetValues<KvmInternalError>())
            Check($"KVM_INTERNAL_ERROR_{Upper(e.ToString())}", (ulong)e);
        foreach (KvmMpStateValue m in Enum.GetValues<KvmMpStateValue>())
            Check($"KVM_MP_STATE_{Upper(m.ToString())}", (ulong)m);
        foreach (KvmCapability cap in Enum.GetValues<KvmCapability>())
            Check($"KVM_CAP_{Upper(cap.ToString())}", (ulong)cap);
    }

    private void DeclareIoctls()
    {
        int declared = 0;
        foreach (var field in typeof(KvmIoctls).GetFields(BindingFlags.Static | BindingFlags.NonPublic))
        {
            if (field.FieldType != typeof(nuint)) continue;
            string cName = field.Name switch
            {
                "Irqfd" => "KVM_IRQFD",
                "Ioeventfd" => "KVM_IOEVENTFD",
                "CreatePit2" => "KVM_CREATE_PIT2",
                "SetCpuid2" => "KVM_SET_CPUID2",
                _ => "KVM_" + Upper(field.Name),
            };
            Check(cName, (ulong)(nuint)field.GetValue(null)!);
            declared++;
        }
        Assert.True(declared >= 50, $"expected every KVM ioctl of KvmIoctls to be checked, found only {declared}");
    }

    private static string ExitName(KvmExitReason r) => r switch
    {
        KvmExitReason.Hlt => "HLT",
        KvmExitReason.X86Rdmsr => "X86_RDMSR",
        KvmExitReason.X86Wrmsr => "X86_WRMSR",
        KvmExitReason.X86BusLock => "X86_BUS_LOCK",
        KvmExitReason.IoapicEoi => "IOAPIC_EOI",
        _ => Upper(r.ToString()),
    };

    /// <summary>PascalCase → UPPER_SNAKE, treating a digit run as part of the word before it (Pit2 → PIT2, X2apicApi → X2APIC_API).</summary>
    private static string Upper(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            char ch = pascal[i];
            if (i > 0 && char.IsUpper(ch)) sb.Append('_');
            sb.Append(char.ToUpperInvariant(ch));
        }
        return sb.ToString();
    }

    private void Check(string c, ulong cs) => _checks.Add((c, cs));

    private void Struct<T>(string cName, params (string C, string CSharp)[] fields) where T : struct
    {
        Check($"sizeof(struct {cName})", (ulong)Unsafe.SizeOf<T>());
        foreach (var (c, cs) in fields) Field<T>($"struct {cName}", "", 0, c, cs);
    }

    /// <summary>A struct ending in a flexible array: its fixed part is the C struct's size.</summary>
    private void Header<T>(string cName, params (string C, string CSharp)[] fields) where T : struct
        => Struct<T>(cName, fields);

    private void Member<TOuter, TInner>(string cName, string member, string csMember, params (string C, string CSharp)[] fields)
        where TOuter : struct where TInner : struct
    {
        ulong baseOffset = (ulong)Marshal.OffsetOf<TOuter>(csMember);
        Check($"offsetof(struct {cName}, {member})", baseOffset);
        Check($"sizeof(((struct {cName} *)0)->{member})", (ulong)Unsafe.SizeOf<TInner>());
        foreach (var (c, cs) in fields) Field<TInner>($"struct {cName}", member + ".", baseOffset, c, cs);
    }

    private void Field<T>(string cStruct, string prefix, ulong baseOffset, string c, string cs) where T : struct
    {
        var info = typeof(T).GetField(cs) ?? throw new InvalidOperationException($"{typeof(T).Name} has no field {cs}");
        Check($"offsetof({cStruct}, {prefix}{c})", baseOffset + (ulong)Marshal.OffsetOf<T>(cs));
        var type = info.FieldType.IsEnum ? Enum.GetUnderlyingType(info.FieldType) : info.FieldType;
        Check($"sizeof((({cStruct} *)0)->{prefix}{c})", (ulong)Marshal.SizeOf(type));
    }
}
