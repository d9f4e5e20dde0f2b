.include "common.inc"
PROLOGUE
    lidt idt0            # an empty IDT: the next exception cannot be delivered
    int3
1:  hlt
    jmp 1b
idt0: .word 0
      .long 0
