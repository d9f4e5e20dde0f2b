.include "common.inc"
PROLOGUE
    movw $isr, 0x30      # IVT entry for vector 0x0c (PIC base 8 + IRQ 4)
    movw $0, 0x32
    mov $0x11, %al       # PIC ICW1..4: vectors 8-15, cascade on IRQ 2, 8086 mode
    out %al, $0x20
    mov $0x08, %al
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    mov $0xef, %al       # unmask IRQ 4 only
    out %al, $0x21
    mov $0x3fc, %dx      # MCR: OUT2 gates the UART's interrupt line
    mov $0x08, %al
    out %al, %dx
    mov $0x3f9, %dx      # IER: received data available
    mov $0x01, %al
    out %al, %dx
    mov $0x01, %al       # tell the host we are ready for input
    out %al, $0xf4
    sti
1:  hlt
    jmp 1b
isr:                     # IRQ 4 is edge-triggered: drain every byte before EOI, as 8250 drivers do
    mov $0x3fd, %dx
    in %dx, %al
    test $0x01, %al      # LSR.DR
    jz 2f
    mov $0x3f8, %dx
    in %dx, %al
    out %al, $0xf4
    cmp $'q', %al
    je done
    jmp isr
2:  mov $0x20, %al       # EOI
    out %al, $0x20
    iret
done:
POWEROFF
