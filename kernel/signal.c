/*
 * Signals: sending, the masks, and delivery on the way to user mode (see
 * signal.h). The frame a handler runs on is x86's: arch/x86_64/signal.c.
 */
#include "kernel/signal.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/syscall.h"
#include "kernel/printk.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/thread.h"

/* What a signal does when its handler is SIG_DFL (signal(7)). */
enum sig_default { SIG_TERM, SIG_CORE, SIG_IGNORE, SIG_STOP_ACTION };

static enum sig_default default_action(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
	case SIGFPE: case SIGSEGV: case 24: case 25: case 31:   /* XCPU, XFSZ, SYS */
		return SIG_CORE;
	case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
		return SIG_IGNORE;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SIG_STOP_ACTION;
	default:
		return SIG_TERM;
	}
}

/*
 * No core file is ever written (RLIMIT_CORE is 0, kernel/sys_misc.c), so
 * the "core dumped" bit 0x80 stays clear, as on Linux with that limit.
 */
int signal_wait_status(int sig)
{
	return sig;
}

const char *signal_name(int sig)
{
	static const char *const names[] = {
		"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
		"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
		"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
		"SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
		"SIGIO", "SIGPWR", "SIGSYS",
	};
	return sig > 0 && sig < (int)ARRAY_SIZE(names) ? names[sig] : "signal";
}

bool sig_ignored(struct process *p, int sig)
{
	u64 h = p->signals.action[sig - 1].handler;

	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	return h == SIG_IGN || (h == SIG_DFL && default_action(sig) == SIG_IGNORE);
}

void recalc_sigpending(struct thread *t)
{
	struct process *p = t->process;
	u64 deliverable = (t->signals.pending | p->signals.pending) & ~t->signals.blocked;

	WRITE_ONCE(t->sigpending, deliverable != 0);
}

/* The new flag of a thread that may now take a signal: make it look (p->lock held). */
static void signal_wake_up(struct thread *t)
{
	recalc_sigpending(t);
	if (READ_ONCE(t->sigpending))
		wake_up_state(t, TASK_INTERRUPTIBLE);   /* a sleeper returns -EINTR/-ERESTARTSYS */
}

/*
 * Record sig in a pending set. A fatal signal nobody handles wakes all
 * threads to die at once (SIGKILL above all: it cannot be blocked).
 */
static void queue_signal(struct process *p, u64 *pending, struct ksiginfo *slots,
			 const struct ksiginfo *info)
{
	int sig = info->signo;

	if (!(*pending & sigmask(sig)))               /* a second one merges with the first */
		slots[sig - 1] = *info;
	*pending |= sigmask(sig);
}

void send_signal_process(struct process *p, const struct ksiginfo *info)
{
	struct thread *t;

	spin_lock(&p->lock);
	if (!p->dead && !p->group_exit && !sig_ignored(p, info->signo)) {
		queue_signal(p, &p->signals.pending, p->signals.info, info);
		/* Any thread that does not block it may take it: wake them all to look. */
		list_for_each_entry(t, &p->threads, process_node)
			signal_wake_up(t);
	}
	spin_unlock(&p->lock);
}

int send_signal_tid(struct process *p, int tid, const struct ksiginfo *info)
{
	struct thread *t;
	int err = -ESRCH;

	spin_lock(&p->lock);
	list_for_each_entry(t, &p->threads, process_node) {
		if (t->tid != tid)
			continue;
		err = 0;
		if (info && !p->group_exit && !sig_ignored(p, info->signo)) {
			queue_signal(p, &t->signals.pending, t->signals.info, info);
			signal_wake_up(t);
		}
	}
	spin_unlock(&p->lock);
	return err;
}

void force_sig_fault(int sig, int code, u64 addr)
{
	struct thread *t = current;
	struct process *p = t->process;
	struct ksiginfo info = { .signo = sig, .code = code, .addr = addr };
	struct k_sigaction *ka = &p->signals.action[sig - 1];

	spin_lock(&p->lock);
	/* Blocked or ignored, a fault would repeat forever: the default action it is. */
	if ((t->signals.blocked & sigmask(sig)) || ka->handler == SIG_IGN) {
		t->signals.blocked &= ~sigmask(sig);
		ka->handler = SIG_DFL;
	}
	queue_signal(p, &t->signals.pending, t->signals.info, &info);
	recalc_sigpending(t);
	spin_unlock(&p->lock);
}

/*
 * The stack could not take a handler's frame: SIGSEGV, with its handler
 * reset if that was the signal being delivered (or it would fail the
 * same way for ever), as Linux's force_sigsegv.
 */
static void force_sigsegv(int sig)
{
	struct process *p = current->process;

	if (sig == SIGSEGV) {
		spin_lock(&p->lock);
		p->signals.action[SIGSEGV - 1].handler = SIG_DFL;
		spin_unlock(&p->lock);
	}
	force_sig_fault(SIGSEGV, SI_KERNEL, 0);
}

bool signal_pending(void)
{
	return READ_ONCE(current->sigpending) || thread_should_die();
}

/*
 * Take the lowest deliverable signal: the thread's own first (faults are
 * there: they must be handled before anything else), then the process's.
 * 0 if none. p->lock held.
 */
static int dequeue_signal(struct thread *t, struct ksiginfo *info)
{
	struct process *p = t->process;
	u64 mine = t->signals.pending & ~t->signals.blocked;
	u64 shared = p->signals.pending & ~t->signals.blocked;
	int sig = 0;

	if (mine) {
		sig = __builtin_ctzll(mine) + 1;
		*info = t->signals.info[sig - 1];
		t->signals.pending &= ~sigmask(sig);
	} else if (shared) {
		sig = __builtin_ctzll(shared) + 1;
		*info = p->signals.info[sig - 1];
		p->signals.pending &= ~sigmask(sig);
	}
	recalc_sigpending(t);
	return sig;
}

/*
 * The default action that ends the process. A fault prints what a shell
 * would imply ("NAME: SIGSEGV at ADDR ip IP"); a signal sent with kill
 * ends it quietly, as on Linux.
 */
static __noreturn void sig_default_kill(int sig, const struct ksiginfo *info,
					struct trap_frame *regs)
{
	struct process *p = current->process;

	/* The address is the data address of a memory fault (0 for the others). */
	u64 addr = sig == SIGSEGV || sig == SIGBUS ? info->addr : 0;

	if (info->code > 0)                           /* SEGV_*, ILL_*, SI_KERNEL: a fault */
		printk("%s: %s at %#lx ip %#lx\n", p->name, signal_name(sig), addr, regs->rip);
	process_exit_signal(sig);
}

/*
 * A system call the signal interrupted: restart it (rip back over the
 * 2-byte SYSCALL, rax = the number again) or make it fail with EINTR.
 */
static void syscall_restart(struct trap_frame *regs, const struct k_sigaction *ka, bool handler)
{
	long ret = (long)regs->rax;

	if (regs->vector != TRAP_SYSCALL || (ret != -ERESTARTSYS && ret != -ERESTARTNOHAND))
		return;
	if (handler && (ret == -ERESTARTNOHAND || !(ka->flags & SA_RESTART))) {
		regs->rax = -EINTR;
		return;
	}
	regs->rax = regs->error;
	regs->rip -= 2;
}

void do_signal(struct trap_frame *regs)
{
	struct thread *t = current;
	struct process *p = t->process;
	struct ksiginfo info;

	for (;;) {
		spin_lock(&p->lock);
		int sig = dequeue_signal(t, &info);
		if (!sig)
			break;
		struct k_sigaction ka = p->signals.action[sig - 1];
		if (ka.handler == SIG_IGN)
			goto next;
		if (ka.handler == SIG_DFL) {
			enum sig_default act = default_action(sig);
			if (act == SIG_IGNORE || act == SIG_STOP_ACTION)   /* stop: not built */
				goto next;
			spin_unlock(&p->lock);
			sig_default_kill(sig, &info, regs);
		}
		/* A handler: the frame holds the mask to return to. */
		u64 old_blocked = t->signals.restore_blocked ? t->signals.saved_blocked
							       : t->signals.blocked;
		t->signals.restore_blocked = false;
		t->signals.blocked |= ka.mask | (ka.flags & SA_NODEFER ? 0 : sigmask(sig));
		t->signals.blocked &= ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
		if (ka.flags & SA_RESETHAND)
			p->signals.action[sig - 1].handler = SIG_DFL;
		recalc_sigpending(t);
		spin_unlock(&p->lock);
		syscall_restart(regs, &ka, true);
		if (setup_rt_frame(sig, &ka, &info, old_blocked, regs)) {
			force_sigsegv(sig);
			continue;
		}
		return;                               /* one handler frame per return to user mode */
next:
		spin_unlock(&p->lock);
	}
	/* No handler ran: restart an interrupted call; rt_sigsuspend's mask comes back. */
	if (t->signals.restore_blocked) {
		t->signals.restore_blocked = false;
		t->signals.blocked = t->signals.saved_blocked;
		recalc_sigpending(t);
	}
	spin_unlock(&p->lock);
	syscall_restart(regs, NULL, false);
}

void signals_init_process(struct process *p, const struct process *parent)
{
	memset(&p->signals, 0, sizeof(p->signals));
	if (parent)
		memcpy(p->signals.action, parent->signals.action, sizeof(p->signals.action));
}

void signals_exec(struct process *p)
{
	spin_lock(&p->lock);
	for (int i = 0; i < NSIG; i++) {
		struct k_sigaction *ka = &p->signals.action[i];
		if (ka->handler != SIG_IGN)
			*ka = (struct k_sigaction){ .handler = SIG_DFL };
	}
	spin_unlock(&p->lock);
}
