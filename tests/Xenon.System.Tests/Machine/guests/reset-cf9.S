.include "common.inc"
PROLOGUE
    mov $0xcf9, %dx
    mov $0x06, %al
    out %al, %dx
1:  hlt
    jmp 1b
