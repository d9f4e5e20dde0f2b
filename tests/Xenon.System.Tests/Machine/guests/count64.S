# Counts in 64-bit long mode with the PIT ticking through the in-kernel PIC, for the pause and
# save/restore tests. The count lives in RBX and in memory at 0x500 at once; each iteration checks
# that the two still agree, so a restore that loses a register or a page is caught by the guest itself
# (it writes 0xee to the debug port and stops). IRQ0 counts ticks at 0x508. 0x510 counts boots: a
# restore that restarted the guest instead of resuming it shows 2 there (and a second 0x01 on the port).
.include "common.inc"
PROLOGUE
    incl 0x510
    movl $0xa003, 0x9000        # PML4[0] -> PDPT at 0xa000 (present, writable)
    movl $0xb003, 0xa000        # PDPT[0] -> PD at 0xb000
    movl $0x83, 0xb000          # PD[0]: one 2 MiB page at 0 (present, writable, large)
    movw $tick, 0xc200          # IDT at 0xc000: vector 0x20 (PIC IRQ 0) -> tick, 64-bit interrupt gate
    movw $0x08, 0xc202
    movw $0x8e00, 0xc204
    movw $spurious, 0xc270      # vector 0x27 (PIC spurious IRQ 7)
    movw $0x08, 0xc272
    movw $0x8e00, 0xc274

    mov $0x11, %al              # PIC master: ICW1..4, vectors 0x20-0x27, cascade on IRQ 2, 8086 mode
    out %al, $0x20
    mov $0x20, %al
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    mov $0xfe, %al              # unmask IRQ 0 only
    out %al, $0x21
    mov $0xff, %al              # slave fully masked
    out %al, $0xa1
    mov $0x34, %al              # PIT channel 0, lobyte/hibyte, mode 2 (rate generator)
    out %al, $0x43
    mov $0x9c, %al              # divisor 11932: about 100 Hz
    out %al, $0x40
    mov $0x2e, %al
    out %al, $0x40

    lgdtl gdt_desc
    lidtl idt_desc              # loaded here: a 32-bit IDT base stays valid in long mode (its gates are 16 bytes)
    mov %cr4, %eax
    or $0x20, %eax              # PAE
    mov %eax, %cr4
    mov $0x9000, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx       # EFER.LME
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax        # PG | PE
    mov %eax, %cr0
    ljmpl $0x08, $long_mode

.code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x8000, %rsp
    xor %ebx, %ebx
    mov $0x01, %al              # tell the host we are counting
    out %al, $0xf4
    sti
count:
    cmp 0x500, %rbx
    jne broken
    inc %rbx
    mov %rbx, 0x500
    jmp count
broken:
    mov $0xee, %al
    out %al, $0xf4
    cli
1:  hlt
    jmp 1b
tick:
    push %rax
    incq 0x508
    mov $0x20, %al              # EOI
    out %al, $0x20
    pop %rax
    iretq
spurious:
    iretq

    .balign 8
gdt:
    .quad 0
    .quad 0x00209a0000000000    # 0x08: 64-bit code, present, DPL 0
    .quad 0x0000920000000000    # 0x10: data, present, writable
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt
idt_desc:
    .word 256 * 16 - 1
    .long 0xc000
