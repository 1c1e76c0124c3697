/*
 * The signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending,
 * rt_sigsuspend, pause, kill, tgkill, tkill (kernel/signal.c does the
 * work; rt_sigreturn and sigaltstack are in arch/x86_64/signal.c).
 */
#include "arch/x86_64/uaccess.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"

#define UNBLOCKABLE (sigmask(SIGKILL) | sigmask(SIGSTOP))

/* Forget pending instances of sig in the process and each thread (p->lock held). */
static void flush_pending(struct process *p, int sig)
{
	struct thread *t;

	p->signals.pending &= ~sigmask(sig);
	list_for_each_entry(t, &p->threads, process_node) {
		t->signals.pending &= ~sigmask(sig);
		recalc_sigpending(t);
	}
}

/* rt_sigaction(sig, act, oldact, sigsetsize) */
SYSCALL_DEFINE(rt_sigaction)
{
	struct process *p = current_process();
	struct k_sigaction act, old;
	int sig = (int)a0;

	/* Linux's order: the set size, reading act, then the signal (an int). */
	if (a3 != sizeof(u64))
		return -EINVAL;
	if (a1 && copy_from_user(&act, (const void *)a1, sizeof(act)))
		return -EFAULT;
	if (sig < 1 || sig > NSIG || (a1 && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	spin_lock(&p->lock);
	old = p->signals.action[sig - 1];
	if (a1) {
		act.mask &= ~UNBLOCKABLE;
		p->signals.action[sig - 1] = act;
		/* POSIX: a pending signal whose action becomes "ignore" is discarded. */
		if (sig_ignored(p, sig))
			flush_pending(p, sig);
	}
	spin_unlock(&p->lock);
	return a2 && copy_to_user((void *)a2, &old, sizeof(old)) ? -EFAULT : 0;
}

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* rt_sigprocmask(how, set, oldset, sigsetsize) */
SYSCALL_DEFINE(rt_sigprocmask)
{
	struct process *p = current_process();
	struct thread_signals *s = &current->signals;
	u64 set = 0, old;

	if (a3 != sizeof(u64))
		return -EINVAL;
	if (a1) {
		if (copy_from_user(&set, (const void *)a1, sizeof(set)))
			return -EFAULT;
		if ((u32)a0 > SIG_SETMASK)     /* how is an int: the upper half is not read */
			return -EINVAL;
	}
	spin_lock(&p->lock);
	old = s->blocked;
	if (a1) {
		if ((u32)a0 == SIG_BLOCK)
			s->blocked |= set;
		else if ((u32)a0 == SIG_UNBLOCK)
			s->blocked &= ~set;
		else
			s->blocked = set;
		s->blocked &= ~UNBLOCKABLE;
		recalc_sigpending(current);
	}
	spin_unlock(&p->lock);
	return a2 && copy_to_user((void *)a2, &old, sizeof(old)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(rt_sigpending)
{
	struct process *p = current_process();

	if (a1 != sizeof(u64))
		return -EINVAL;
	spin_lock(&p->lock);
	u64 set = (current->signals.pending | p->signals.pending) & current->signals.blocked;
	spin_unlock(&p->lock);
	return copy_to_user((void *)a0, &set, sizeof(set)) ? -EFAULT : 0;
}

/* Sleep until a signal is deliverable; the caller set the mask. */
static long sleep_for_signal(void)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return -ERESTARTNOHAND;                  /* EINTR once a handler ran */
}

/*
 * rt_sigsuspend(mask, size): wait with mask in place of the blocked set;
 * the old set comes back once the handler's frame holds it (do_signal).
 */
SYSCALL_DEFINE(rt_sigsuspend)
{
	struct process *p = current_process();
	struct thread_signals *s = &current->signals;
	u64 mask;

	if (a1 != sizeof(u64))
		return -EINVAL;
	if (copy_from_user(&mask, (const void *)a0, sizeof(mask)))
		return -EFAULT;
	spin_lock(&p->lock);
	s->saved_blocked = s->blocked;
	s->restore_blocked = true;
	s->blocked = mask & ~UNBLOCKABLE;
	recalc_sigpending(current);
	spin_unlock(&p->lock);
	return sleep_for_signal();
}

SYSCALL_DEFINE(pause)
{
	return sleep_for_signal();
}

static struct ksiginfo user_info(int sig, int code)
{
	return (struct ksiginfo){ .signo = sig, .code = code, .pid = current_process()->pid };
}

static bool valid_signal(int sig)
{
	return sig >= 0 && sig <= NSIG;
}

/*
 * kill(pid, sig): pid > 0 one process; 0 the caller's process group;
 * -1 every process but the caller; < -1 the group -pid. Signal 0 only
 * checks that there is someone to send to. Linux's order: the target
 * first (ESRCH), then the signal (EINVAL).
 */
SYSCALL_DEFINE(kill)
{
	int pid = (int)a0, sig = (int)a1;
	struct ksiginfo info = user_info(sig, SI_USER);
	struct ksiginfo *send = sig && valid_signal(sig) ? &info : NULL;

	if (pid > 0) {
		struct process *p = process_find(pid);
		if (!p)
			return -ESRCH;
		if (send)
			send_signal_process(p, send);
		process_put(p);
		return valid_signal(sig) ? 0 : -EINVAL;
	}
	long err;
	if (pid == -1)
		err = kill_all_but(current_process(), send);
	else if (pid == (int)0x80000000)
		err = -ESRCH;                    /* -INT_MIN names no group */
	else
		err = kill_pgrp(pid ? -pid : current_process()->pgid, send);
	return err ? err : valid_signal(sig) ? 0 : -EINVAL;
}

/* tgkill(tgid, tid, sig); tkill(tid, sig) names the thread alone: here a main thread. */
static long do_tkill(int tgid, int tid, int sig)
{
	if (tid <= 0 || tgid <= 0)
		return -EINVAL;                  /* Linux: no group or thread 0, no negatives */
	struct process *p = process_find(tgid);
	if (!p)
		return -ESRCH;
	struct ksiginfo info = user_info(sig, SI_TKILL);
	long err = send_signal_tid(p, tid, sig && valid_signal(sig) ? &info : NULL);
	process_put(p);
	return err ? err : valid_signal(sig) ? 0 : -EINVAL;
}

SYSCALL_DEFINE(tgkill)
{
	return do_tkill((int)a0, (int)a1, (int)a2);
}

SYSCALL_DEFINE(tkill)
{
	return do_tkill((int)a0, (int)a0, (int)a1);   /* found through its process: a main thread */
}
