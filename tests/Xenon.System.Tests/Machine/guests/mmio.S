.include "common.inc"
PROLOGUE
    mov $0xffff, %ax
    mov %ax, %es         # es:0x10 = 0x100000, the MMIO window just above RAM
    movb $0x5a, %es:0x10
    movw $0x1234, %es:0x20
    mov %es:0x14, %al
    out %al, $0xf4
POWEROFF
