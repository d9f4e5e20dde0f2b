.include "common.inc"
PROLOGUE
    mov $0x2000, %ax     # 0x2000:0 = page 0x20
    mov %ax, %es
    movb $1, %es:0
    mov $0x3100, %ax     # 0x3100:0x0ff8 = the last bytes of page 0x31
    mov %ax, %es
    movw $2, %es:0xff8
    mov $0x4200, %ax     # page 0x42
    mov %ax, %es
    movb $3, %es:0
POWEROFF
