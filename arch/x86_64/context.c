/*
 * The x86 part of a thread and of a context switch (see context.h).
 *
 * What the CPU holds for the running thread, besides the registers that
 * __switch_to_asm saves on the stack:
 *   - the FPU/SSE/AVX registers (fpu.h): saved into prev's image, loaded
 *     from next's;
 *   - the FS base, the user's TLS pointer (MSR_FS_BASE). Only
 *     arch_set_fs_base() changes it (CR4.FSGSBASE stays off, so user code
 *     cannot wrfsbase), so thread->fs_base is always what the MSR holds and
 *     the switch just loads next's. The user GS base is never changed
 *     (there is no ARCH_SET_GS): it is 0 for everyone;
 *   - where an entry from user mode puts its trap frame: TSS.rsp0 for
 *     interrupts, this_cpu()->kernel_rsp for SYSCALL, which does not switch
 *     stacks by itself. Both are the top of next's kernel stack;
 *   - CR3: next's page tables if it has an mm (switch_mm, tlb.c), else
 *     whatever is loaded (lazy TLB, below).
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/tlb.h"
#include "kernel/bootopt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/mm.h"

_Static_assert(offsetof(struct thread, rsp) == 0, "switch.asm: THREAD_RSP");

extern const char ret_from_kthread[];

/*
 * The frame __switch_to_asm pops on t's first switch-in: six callee-saved
 * registers and a return address into ret_from_kthread, which calls fn(arg)
 * with rbx = fn, r12 = arg. It sits right below task_pt_regs(t), which is
 * 16-byte aligned (the CPU aligns the frames it pushes), so rsp is aligned
 * where ret_from_kthread makes its calls. rbp = 0 ends backtraces.
 */
void arch_init_kthread_stack(struct thread *t, int (*fn)(void *arg), void *arg)
{
	u64 *sp = (u64 *)task_pt_regs(t);

	memset(task_pt_regs(t), 0, sizeof(struct trap_frame));
	*--sp = (u64)ret_from_kthread;
	*--sp = 0;                      /* rbp */
	*--sp = (u64)fn;                /* rbx */
	*--sp = (u64)arg;               /* r12 */
	*--sp = 0;                      /* r13 */
	*--sp = 0;                      /* r14 */
	*--sp = 0;                      /* r15 */
	t->rsp = (u64)sp;
}

/*
 * Lazy TLB: a kernel thread has no user mappings to need, so switching to
 * one keeps CR3 (and this CPU's bit in the mm's cpumask, so TLB flushes of
 * that mm still reach it) as it is; the kernel thread borrows the mm in
 * active_mm. Switching back to a thread of that same mm then costs no CR3
 * write and no TLB refill. The borrowed mm must not be freed while a CPU
 * has it loaded: before freeing an mm, call shoot_lazy_tlbs().
 */
static void switch_mm_for(struct thread *next)
{
	if (next->mm) {
		switch_mm(current_loaded_mm(), next->mm);
		next->active_mm = next->mm;
	} else {
		next->active_mm = current_loaded_mm();
	}
}

void use_mm(struct mm_struct *mm)
{
	unsigned long flags = irq_save();      /* a switch must see mm and CR3 agree */
	struct thread *t = current;

	t->mm = mm;
	t->active_mm = mm;
	switch_mm(current_loaded_mm(), mm);
	irq_restore(flags);
}

/*
 * On each CPU that has mm loaded: if only lazily, go to swapper_pg_dir. A
 * running thread whose own mm it is keeps it: it may go back to user mode
 * in it. Such a thread holds an mm_users reference, so when the last one
 * is gone (mmput) there is none -- a thread on its way out clears ->mm
 * before it drops its reference (exit_mm, kernel/process.c).
 */
static void drop_lazy_mm(void *arg)
{
	struct mm_struct *mm = arg;
	struct thread *t = current;

	if (current_loaded_mm() != mm || t->mm == mm)
		return;
	switch_mm(mm, NULL);
	t->active_mm = NULL;
}

void shoot_lazy_tlbs(struct mm_struct *mm)
{
	cpumask_t targets;
	unsigned long flags;

	preempt_disable();
	cpumask_copy(&targets, mm_cpumask(mm));
	flags = irq_save();
	drop_lazy_mm(mm);
	irq_restore(flags);
	smp_call_function_many(&targets, drop_lazy_mm, mm, true);
	preempt_enable();
}

bool idle_leave_mm_enabled = true;
BOOT_OPTION_BOOL("idle_leave_mm", idle_leave_mm_enabled,
		 "a CPU about to halt leaves the user mm it holds lazily, so that mm's TLB "
		 "flushes stop sending it IPIs (default on)");

/*
 * Linux's leave_mm() on entering an idle state. A halted CPU that keeps a
 * user mm lazily stays in its cpumask, so every flush of that mm -- lazy
 * CPUs are never skipped (tlb.h) -- wakes it with an IPI and waits for its
 * answer. Under emulation, or a hypervisor that has descheduled the idle
 * virtual CPU, that answer takes a host time slice. Leaving costs one CR3
 * write now and a TLB refill if the CPU comes back to the same mm. With
 * CR3 at swapper_pg_dir the CPU holds no translation and no paging-
 * structure entry of the mm (R1 needs no flush of it), so it may leave the
 * mask. What it bought, make bench on 4 TCG vCPUs / 2 busy host cores:
 * tlb_flush2 with one thread, its main thread asleep on another CPU,
 * sent one IPI per round to that idle CPU and waited 0.8 ms for each
 * (549 rounds/s alone, 16-60 under load); see README "Benchmarks" after.
 */
void idle_leave_mm(void)
{
	struct mm_struct *mm = current_loaded_mm();

	if (mm && READ_ONCE(idle_leave_mm_enabled)) {
		drop_lazy_mm(mm);
		count_vm_event(NR_TLB_LAZY_LEAVE);
	}
}

/* The kernel stack entries from user mode land on: the top of next's. */
static void set_entry_stack(struct thread *next)
{
	this_cpu()->tss->rsp[0] = next->stack_top;
	this_cpu()->kernel_rsp = next->stack_top;
}

void arch_switch_to(struct thread *prev, struct thread *next)
{
	fpu_save(prev->fpu);
	fpu_restore(next->fpu);
	if (prev->fs_base != next->fs_base)
		wrmsr(MSR_FS_BASE, next->fs_base);
	set_entry_stack(next);
	switch_mm_for(next);
}

long arch_set_fs_base(u64 base)
{
	if (base >= USER_TOP)
		return -EPERM;           /* wrmsr would #GP on a non-canonical one */
	unsigned long flags = irq_save();
	current->fs_base = base;
	wrmsr(MSR_FS_BASE, base);
	irq_restore(flags);
	return 0;
}

/* A clean start: no register value of the kernel thread leaks to user mode. */
__noreturn void enter_user(u64 rip, u64 rsp)
{
	struct thread *t = current;
	struct trap_frame *regs = task_pt_regs(t);

	memset(regs, 0, sizeof(*regs));
	regs->rip = rip;
	regs->cs = USER_CS;
	regs->rflags = RFLAGS_IF | RFLAGS_FIXED;
	regs->rsp = rsp;
	regs->ss = USER_DS;
	unsigned long flags = irq_save();   /* no switch between reset and load */
	fpu_init_state(t->fpu);
	fpu_restore(t->fpu);
	irq_restore(flags);
	return_to_user(regs);
}
