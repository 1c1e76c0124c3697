/*
 * System call entry and exit in C (see syscall.h; the assembly is in
 * syscall_entry.asm, the shared exit in entry.asm).
 */
#include "arch/x86_64/syscall.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pgtable.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/signal.h"

/* What syscall_entry.asm and trap_frame.inc assume. */
_Static_assert(offsetof(struct cpu, current_thread) == 16, "thread.h: %gs:16");
_Static_assert(offsetof(struct cpu, kernel_rsp) == 24, "syscall_entry.asm: CPU_KERNEL_RSP");
_Static_assert(offsetof(struct cpu, user_rsp) == 32, "syscall_entry.asm: CPU_USER_RSP");
_Static_assert(offsetof(struct trap_frame, vector) == 120, "trap_frame.inc: TF_VECTOR");
_Static_assert(offsetof(struct trap_frame, rip) == 136, "trap_frame.inc: TF_RIP");
_Static_assert(offsetof(struct trap_frame, cs) == 144, "trap_frame.inc: TF_CS");
_Static_assert(offsetof(struct trap_frame, rsp) == 160, "trap_frame.inc: TF_RSP");
_Static_assert(sizeof(struct trap_frame) == 176, "trap_frame.inc: TF_SIZE");
_Static_assert(USER_CS == 0x23 && USER_DS == 0x1b, "syscall_entry.asm: selectors");

/* rflags bits SYSCALL clears on entry: the kernel runs with them off. */
#define SYSCALL_RFLAGS_MASK \
	(RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC)

extern const char entry_SYSCALL_64[];

bool (*syscall_test_hook)(struct trap_frame *regs);
static DEFINE_PER_CPU(struct syscall_stats, syscall_counts);

/*
 * STAR: SYSCALL loads CS = STAR[47:32] and SS = that + 8; SYSRET loads
 * CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8, RPL 3. gdt.h lays the
 * user segments out for this: USER_DS = base + 8, USER_CS = base + 16.
 */
void syscall_init_cpu(void)
{
	wrmsr(MSR_STAR, ((u64)(USER_DS - 8) << 48) | ((u64)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (u64)entry_SYSCALL_64);
	wrmsr(MSR_SFMASK, SYSCALL_RFLAGS_MASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

__attribute__((weak)) long syscall_dispatch(struct trap_frame *regs)
{
	return -ENOSYS;
}

/*
 * The way out, with interrupts off on entry and on return. Each check
 * that acts may let interrupts in and so make another check true (an
 * interrupt may wake a thread here and set need_resched), hence the loop.
 * thread_should_die() is the hook for killing threads: the process code
 * (exit_group, fatal signals) sets kill_pending and exit_code; sigpending
 * says a signal may be deliverable (kernel/signal.c).
 */
void exit_to_user_mode(struct trap_frame *regs)
{
	for (;;) {
		irq_disable();
		if (need_resched()) {
			irq_enable();
			schedule();
			continue;
		}
		if (thread_should_die()) {
			irq_enable();
			thread_exit(current->exit_code);
		}
		if (READ_ONCE(current->sigpending)) {
			irq_enable();
			do_signal(regs);         /* a handler frame, a restart, or the end */
			continue;
		}
		break;
	}
	sched_note_quiescent();
}

/*
 * May this return use SYSRET? It restores only rip (from rcx) and rflags
 * (from r11) and forces the user CS/SS, so the frame must say exactly that:
 * a frame the kernel changed (a new rcx or r11 to restore, a new rip, exec,
 * a signal frame later) goes out through IRET, which restores everything.
 *
 * And the hazard: on Intel CPUs SYSRET to a non-canonical rip raises #GP
 * in ring 0 -- after the kernel has already put the user's rsp back and
 * swapped to the user's GS. The #GP handler would then run in ring 0 on a
 * stack the user chose (CVE-2012-0217). AMD raises it in ring 3, harmless.
 * So a rip that is not a user address goes out through IRET, whose faults
 * come on the kernel stack and are handled (entry.asm, bad_iret). A
 * syscall itself always returns to a canonical rip: USER_TOP leaves the
 * last page below the non-canonical hole unmapped, as Linux does, so no
 * syscall instruction can end there. TF and RF take IRET too, which
 * delivers the single-step trap the way the program expects.
 */
static bool can_sysret(const struct trap_frame *regs)
{
	return regs->rcx == regs->rip && regs->r11 == regs->rflags &&
	       regs->cs == USER_CS && regs->ss == USER_DS && regs->rip < USER_TOP &&
	       !(regs->rflags & (RFLAGS_TF | RFLAGS_RF));
}

/* From syscall_entry.asm, interrupts off. Returns true if SYSRET may be used. */
bool do_syscall_64(struct trap_frame *regs)
{
	this_cpu_ptr(&syscall_counts)->syscalls++;
	irq_enable();
	bool (*hook)(struct trap_frame *) = READ_ONCE(syscall_test_hook);
	if (!hook || !hook(regs))
		regs->rax = syscall_dispatch(regs);
	exit_to_user_mode(regs);
	bool sysret = can_sysret(regs);
	struct syscall_stats *s = this_cpu_ptr(&syscall_counts);
	if (sysret)
		s->sysret++;
	else
		s->iret++;
	return sysret;
}

struct syscall_stats syscall_stats(int cpu)
{
	const struct syscall_stats *s = per_cpu_ptr(&syscall_counts, cpu);

	return (struct syscall_stats){
		READ_ONCE(s->syscalls), READ_ONCE(s->sysret), READ_ONCE(s->iret),
	};
}
