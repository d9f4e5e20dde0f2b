.include "common.inc"
PROLOGUE
    mov $0xfe, %al
    out %al, $0x64
1:  hlt
    jmp 1b
