/*
 * Executes single x86-64 instructions on the host CPU to produce reference results for the emulator's tests.
 * stdin, one case per line:  <code hex> <rflags hex> <16 GPR values hex (RSP ignored)> <64 data bytes hex> <XMM0-3, 64 bytes hex>
 * stdout, one line per case: <vector or -1> <rflags hex> <16 GPR values hex> <64 data bytes hex> <XMM0-3 hex>
 * The code runs at 0x100000 with the 64-byte data buffer at 0x200000 (both fixed, so operand addresses match the
 * emulator's identity-mapped test machine). SIGFPE/SIGSEGV/SIGILL/SIGBUS are reported as #DE/#PF-or-#GP/#UD.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct state { uint64_t r[16]; uint64_t flags; unsigned char x[4][16]; };
struct state g;
uint64_t saved_rsp;
void *code_ptr;
static sigjmp_buf jb;
static volatile int vector;

void run_case(void);
__asm__(
    ".text\n.globl run_case\nrun_case:\n"
    "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "mov %rsp, saved_rsp(%rip)\n"
    "pushq g+128(%rip)\npopfq\n"
    "movdqu g+136(%rip), %xmm0\nmovdqu g+152(%rip), %xmm1\nmovdqu g+168(%rip), %xmm2\nmovdqu g+184(%rip), %xmm3\n"
    "mov g+0(%rip), %rax\nmov g+8(%rip), %rcx\nmov g+16(%rip), %rdx\nmov g+24(%rip), %rbx\n"
    "mov g+40(%rip), %rbp\nmov g+48(%rip), %rsi\nmov g+56(%rip), %rdi\n"
    "mov g+64(%rip), %r8\nmov g+72(%rip), %r9\nmov g+80(%rip), %r10\nmov g+88(%rip), %r11\n"
    "mov g+96(%rip), %r12\nmov g+104(%rip), %r13\nmov g+112(%rip), %r14\nmov g+120(%rip), %r15\n"
    "call *code_ptr(%rip)\n"
    "pushfq\npopq g+128(%rip)\ncld\n"
    "movdqu %xmm0, g+136(%rip)\nmovdqu %xmm1, g+152(%rip)\nmovdqu %xmm2, g+168(%rip)\nmovdqu %xmm3, g+184(%rip)\n"
    "mov %rax, g+0(%rip)\nmov %rcx, g+8(%rip)\nmov %rdx, g+16(%rip)\nmov %rbx, g+24(%rip)\n"
    "mov %rbp, g+40(%rip)\nmov %rsi, g+48(%rip)\nmov %rdi, g+56(%rip)\n"
    "mov %r8, g+64(%rip)\nmov %r9, g+72(%rip)\nmov %r10, g+80(%rip)\nmov %r11, g+88(%rip)\n"
    "mov %r12, g+96(%rip)\nmov %r13, g+104(%rip)\nmov %r14, g+112(%rip)\nmov %r15, g+120(%rip)\n"
    "mov saved_rsp(%rip), %rsp\n"
    "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)si; (void)uc;
    vector = sig == SIGFPE ? 0 : sig == SIGILL ? 6 : sig == SIGSEGV ? 14 : 13;
    siglongjmp(jb, 1);
}

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

int main(void)
{
    unsigned char *code = mmap((void *)0x100000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    unsigned char *data = mmap((void *)0x200000, 4096, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (code != (void *)0x100000 || data != (void *)0x200000) { fprintf(stderr, "mmap at fixed addresses failed\n"); return 2; }
    code_ptr = code;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    static char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        char *p = line, *tok;
        tok = strtok(p, " \n");
        if (!tok) continue;
        size_t n = strlen(tok) / 2;
        for (size_t i = 0; i < n; i++) code[i] = (unsigned char)(hexval(tok[2 * i]) << 4 | hexval(tok[2 * i + 1]));
        code[n] = 0xC3; /* ret */
        g.flags = strtoull(strtok(NULL, " \n"), NULL, 16);
        for (int i = 0; i < 16; i++) g.r[i] = strtoull(strtok(NULL, " \n"), NULL, 16);
        tok = strtok(NULL, " \n");
        for (int i = 0; i < 64; i++) data[i] = (unsigned char)(hexval(tok[2 * i]) << 4 | hexval(tok[2 * i + 1]));
        tok = strtok(NULL, " \n");
        for (int i = 0; i < 64; i++) ((unsigned char *)g.x)[i] = (unsigned char)(hexval(tok[2 * i]) << 4 | hexval(tok[2 * i + 1]));
        vector = -1;
        if (sigsetjmp(jb, 1) == 0) run_case();
        printf("%d %llx", vector, (unsigned long long)g.flags);
        for (int i = 0; i < 16; i++) printf(" %llx", (unsigned long long)g.r[i]);
        putchar(' ');
        for (int i = 0; i < 64; i++) printf("%02x", data[i]);
        putchar(' ');
        for (int i = 0; i < 64; i++) printf("%02x", ((unsigned char *)g.x)[i]);
        putchar('\n');
    }
    return 0;
}
