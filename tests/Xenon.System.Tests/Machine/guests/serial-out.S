.include "common.inc"
PROLOGUE
    mov $msg, %si
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %bl
    mov $0x3fd, %dx      # LSR: wait for THR empty
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov $0x3f8, %dx
    mov %bl, %al
    out %al, %dx
    jmp 1b
3:
POWEROFF
msg: .asciz "hello, xenon\r\n"
