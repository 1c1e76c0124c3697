/*
 * System call entry and exit, and the way back to user mode.
 *
 * A user program enters with the SYSCALL instruction, Linux's ABI: number
 * in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax; rcx and
 * r11 are clobbered. syscall_entry.asm saves every register in a struct
 * trap_frame at the top of the thread's kernel stack (task_pt_regs) and
 * calls do_syscall_64(), which calls syscall_dispatch(regs) with interrupts
 * on. tf->vector is TRAP_SYSCALL and tf->error keeps the number as it came
 * in (rax is overwritten by the result).
 *
 * Every return to user mode -- after a system call, an interrupt or an
 * exception taken in user mode, or enter_user() -- first runs
 * exit_to_user_mode(): the one place where a user thread is preempted
 * (need_resched), leaves if killed (thread_should_die), and passes an RCU
 * quiescent state.
 */
#pragma once
#include "arch/x86_64/idt.h"

#define TRAP_SYSCALL 0x100             /* tf->vector of a syscall frame */

/* Program this CPU's SYSCALL MSRs (STAR, LSTAR, SFMASK) and EFER.SCE. */
void syscall_init_cpu(void);

/*
 * The system call table: handle the call whose number is regs->error (and
 * regs->rax) with arguments regs->rdi, rsi, rdx, r10, r8, r9; return the
 * value for rax (-errno on failure). Interrupts on, may sleep. The default
 * (weak) one returns -ENOSYS; kernel/syscall.c (the lead's) replaces it.
 */
long syscall_dispatch(struct trap_frame *regs);

/*
 * For in-kernel tests: if set, sees every system call first; returns true
 * if it handled it (and set regs->rax). NULL otherwise.
 */
extern bool (*syscall_test_hook)(struct trap_frame *regs);

/* Called by entry.asm and do_syscall_64 with interrupts off; returns with them off. */
void exit_to_user_mode(struct trap_frame *regs);

/* Counters of one CPU's system calls and how they returned; each only grows. */
struct syscall_stats {
	u64 syscalls;                  /* system calls entered on this CPU */
	u64 sysret;                    /* returns through SYSRET */
	u64 iret;                      /* returns through IRET instead (see syscall.c) */
};
struct syscall_stats syscall_stats(int cpu);
