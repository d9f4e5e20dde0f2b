.include "common.inc"
PROLOGUE
    mov $regs, %si
    mov $7, %cx
1:  lodsb
    out %al, $0x70
    in $0x71, %al
    out %al, $0xf4
    loop 1b
POWEROFF
regs: .byte 0x0b, 0x00, 0x02, 0x04, 0x07, 0x08, 0x09
