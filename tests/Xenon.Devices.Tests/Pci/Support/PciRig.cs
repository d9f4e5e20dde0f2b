using System.Buffers.Binary;
using Xenon.Devices.Legacy.Platform;
using Xenon.Devices.Pci;
using Xenon.Devices.Tests.Fakes;
using Xenon.Machine.Bus;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Pci.Support;

/// <summary>The PCI pieces wired to real buses as the machine will wire them, with helpers that
/// perform config accesses the way a guest does (port writes/reads, ECAM loads/stores).</summary>
internal sealed class PciRig
{
    public PciRig(PciWindows? windows = null)
    {
        var w = windows ?? PciWindows.Default;
        IoWindow = new PciIoWindow((ushort)w.IoStart, w.IoEnd);
        IoWindow.Register(Pio);
        Root = new PciRoot(Mmio, IoWindow, w, Log.Add);
        ResetControl = new ResetControl(Control);
        Ports = new PciConfigIoPorts(Root, ResetControl);
        Ports.Register(Pio);
        Ecam = new PciEcam(Root);
        Ecam.Register(Mmio);
    }

    public MmioBus Mmio { get; } = new();
    public PioBus Pio { get; } = new();
    public PciIoWindow IoWindow { get; }
    public PciRoot Root { get; }
    public FakeMachineControl Control { get; } = new();
    public ResetControl ResetControl { get; }
    public PciConfigIoPorts Ports { get; }
    public PciEcam Ecam { get; }
    public List<string> Log { get; } = [];

    public static uint Cf8Address(PciAddress a, int reg) =>
        0x8000_0000u | ((uint)a.Bus << 16) | ((uint)a.Device << 11) | ((uint)a.Function << 8) | ((uint)reg & 0xfc);

    public void OutL(ushort port, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Pio.Write(port, b);
    }

    public uint InL(ushort port)
    {
        Span<byte> b = stackalloc byte[4];
        Pio.Read(port, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public uint In(ushort port, int size)
    {
        Span<byte> b = stackalloc byte[4];
        b.Clear();
        Pio.Read(port, b[..size]);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void Out(ushort port, uint value, int size)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Pio.Write(port, b[..size]);
    }

    public uint Cf8Read(PciAddress a, int reg, int size)
    {
        OutL(0xcf8, Cf8Address(a, reg));
        return In((ushort)(0xcfc + (reg & 3)), size);
    }

    public void Cf8Write(PciAddress a, int reg, uint value, int size)
    {
        OutL(0xcf8, Cf8Address(a, reg));
        Out((ushort)(0xcfc + (reg & 3)), value, size);
    }

    public static ulong EcamAddress(PciAddress a, int reg) =>
        X86Layout.PciEcamBase + ((ulong)a.Bus << 20 | (ulong)a.Device << 15 | (ulong)a.Function << 12 | (uint)reg);

    public uint EcamRead(PciAddress a, int reg, int size)
    {
        Span<byte> b = stackalloc byte[4];
        b.Clear();
        Mmio.Read(EcamAddress(a, reg), b[..size]);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void EcamWrite(PciAddress a, int reg, uint value, int size)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Mmio.Write(EcamAddress(a, reg), b[..size]);
    }

    public uint MmioRead32(ulong address)
    {
        Span<byte> b = stackalloc byte[4];
        Mmio.Read(address, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void MmioWrite32(ulong address, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Mmio.Write(address, b);
    }
}
