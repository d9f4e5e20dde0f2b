.include "common.inc"
PROLOGUE
    mov $0x42, %al
    out %al, $0xf4
    in $0xf5, %al
    out %al, $0xf4
    in $0x99, %al        # nothing there: reads as 0xff, counted as unhandled
    out %al, $0xf4
POWEROFF
