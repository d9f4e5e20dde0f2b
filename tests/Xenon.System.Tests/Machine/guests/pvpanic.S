.include "common.inc"
PROLOGUE
    mov $0x505, %dx
    in %dx, %al
    out %al, $0xf4       # supported events
    mov $0x01, %al
    out %al, %dx
1:  hlt
    jmp 1b
