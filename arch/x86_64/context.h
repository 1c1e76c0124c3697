/*
 * The x86 part of a thread: its first stack frame, what the context switch
 * changes besides the stack (FPU registers, FS base, TSS.rsp0, CR3), and
 * the way from a kernel thread to user mode.
 */
#pragma once
#include "kernel/thread.h"

struct trap_frame;

/* Build t's first frame so that its first switch-in runs fn(arg) (switch.asm). */
void arch_init_kthread_stack(struct thread *t, int (*fn)(void *arg), void *arg);

/*
 * Everything but the stack switch, from prev to next, on this CPU with
 * interrupts off: save prev's FPU registers and load next's, FS base,
 * the kernel stack for entries from user mode (TSS.rsp0 and the syscall
 * entry's copy), and the address space (switch_mm, with lazy TLB).
 */
void arch_switch_to(struct thread *prev, struct thread *next);

/* The switch itself (switch.asm); returns, in next, the thread switched from. */
struct thread *__switch_to_asm(struct thread *prev, struct thread *next);

/*
 * Make mm the running thread's address space and load it (Linux's
 * kthread_use_mm; exec does the same with the new mm). From now on every
 * switch to this thread loads mm. The caller keeps whatever reference it
 * holds on the old mm and on mm.
 */
void use_mm(struct mm_struct *mm);

/*
 * Make every CPU that has mm loaded only lazily -- its running thread is a
 * kernel thread that borrowed mm as active_mm -- switch to swapper_pg_dir.
 * Call before freeing an mm nobody uses any more (mmput), so that no CPU
 * keeps a freed PGD in CR3. Process context, interrupts on (it waits for
 * the other CPUs).
 */
void shoot_lazy_tlbs(struct mm_struct *mm);

/*
 * From the idle loop, interrupts off, before it halts: leave the user mm
 * this CPU holds lazily (boot option idle_leave_mm, default on).
 */
void idle_leave_mm(void);
/* The boot option: false keeps a halted CPU lazy (tests that watch lazy TLB). */
extern bool idle_leave_mm_enabled;

/*
 * Leave the running kernel thread for user mode at rip with stack rsp:
 * fill its task_pt_regs with a clean register set (all general registers
 * 0, interrupts on), give it the clean initial FPU state and return to
 * user mode through the common exit path. current->mm must be set and
 * loaded (or its page tables otherwise in CR3). Never returns.
 */
__noreturn void enter_user(u64 rip, u64 rsp);

/*
 * Go to user mode with the registers of regs, which must be the running
 * thread's task_pt_regs (entry.asm, ret_to_user). Never returns.
 */
__noreturn void return_to_user(struct trap_frame *regs);

/*
 * Set the running thread's user FS base (TLS; arch_prctl(ARCH_SET_FS)).
 * Returns 0, or -EPERM for an address outside user space, as Linux.
 */
long arch_set_fs_base(u64 base);
