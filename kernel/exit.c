/*
 * The end of a process: threads leave (exit_mm, the last one releases the
 * descriptors), the process becomes a zombie, its parent is told (SIGCHLD,
 * a wake-up) and reaps it with wait4/waitid, which read Linux's status
 * encoding. Its own children are orphaned: nobody waits for them, so each
 * frees itself when it dies (Linux gives them to init, which reaps them).
 *
 * Lifetime of the struct: the parent's reference ("the waiter's", taken
 * at creation) goes at the reap; an orphan drops it itself at death; a
 * process started by the kernel's init is reaped by process_wait.
 */
#include "kernel/process.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/file.h"
#include "kernel/futex.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "mm/mm.h"

/* The thread left: CLONE_CHILD_CLEARTID's promise is a zero and a futex wake. */
static void clear_child_tid(struct thread *t)
{
	u32 zero = 0;

	if (t->clear_child_tid && !copy_to_user(t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake(t->mm, (unsigned long)t->clear_child_tid, 1);
}

/*
 * Every thread gives up its address space as it leaves (Linux's exit_mm):
 * it stops calling the mm its own, keeps it loaded only lazily (CR3 and
 * active_mm stay, as for a kernel thread that borrowed it), and drops its
 * own mm_users reference. If that was the last one, mmput() makes every
 * CPU with the mm loaded -- this one included -- switch away first.
 *
 * The order is the point (issue 9, bug 1): ->mm goes to NULL BEFORE the
 * reference is dropped. A CPU whose running thread still has ->mm == mm
 * is left alone by the shootdown (drop_lazy_mm: that thread may go back to
 * user mode in it), so a thread that kept ->mm until its final schedule()
 * while a sibling's exit_group dropped the last reference would keep the
 * dying mm in its CR3 (user/tests/exit_race.c, fault_inject=exit_delay).
 */
static void exit_mm(struct thread *t)
{
	struct mm_struct *mm = t->mm;

	if (!mm)
		return;
	/* One store: a drop_lazy_mm IPI sees the old value (then the mm still
	 * has a user: ours, so no shootdown is running) or the new one. */
	WRITE_ONCE(t->mm, NULL);
	mmput(mm);
}

void vfork_release(struct process *p)
{
	spin_lock(&p->lock);
	p->vfork_done = true;
	spin_unlock(&p->lock);
	wake_up_all(&p->vfork_wait);
}

/* Does parent want no zombies (SIGCHLD ignored, or SA_NOCLDWAIT)? */
static bool parent_reaps_nothing(struct process *parent)
{
	spin_lock(&parent->lock);
	struct k_sigaction *ka = &parent->signals.action[SIGCHLD - 1];
	bool none = ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT);
	spin_unlock(&parent->lock);
	return none;
}

/* p's children become orphans; zombies among them are reaped now (into *reap). */
static void forget_children(struct process *p, struct list_head *reap)
{
	struct process *c, *tmp;

	list_for_each_entry_safe(c, tmp, &p->children, sibling) {
		list_del_init(&c->sibling);
		c->parent = NULL;
		c->ppid = 0;
		if (READ_ONCE(c->dead))
			list_add_tail(&c->sibling, reap);
		else
			c->autoreap = true;
	}
}

/*
 * The last thread is gone: p is a zombie until reaped. Its wait status is
 * fixed now, its parent woken and signalled (SIGCHLD with CLD_EXITED,
 * CLD_KILLED or CLD_DUMPED), its children orphaned.
 */
static void exit_notify(struct process *p)
{
	LIST_HEAD(reap);
	int sig = p->term_signal;
	struct ksiginfo info = { .signo = SIGCHLD, .pid = p->pid };

	info.code = !sig ? CLD_EXITED : signal_wait_status(sig) & 0x80 ? CLD_DUMPED : CLD_KILLED;
	info.status = sig ? sig : p->exit_status & 0xff;
	spin_lock(&tasklist_lock);
	forget_children(p, &reap);
	struct process *parent = p->parent;
	if (parent && parent_reaps_nothing(parent)) {
		list_del_init(&p->sibling);       /* no zombie: Linux's SIGCHLD-ignored rule */
		p->parent = NULL;
		p->autoreap = true;
	}
	spin_lock(&p->lock);
	p->wait_status = sig ? signal_wait_status(sig) : (p->exit_status & 0xff) << 8;
	p->dead = true;
	spin_unlock(&p->lock);
	if (parent && p->exit_signal && !p->autoreap) {
		info.signo = p->exit_signal;
		send_signal_process(parent, &info);
	}
	if (parent)
		wake_up_all(&parent->child_wait);
	bool autoreap = p->autoreap;
	spin_unlock(&tasklist_lock);
	wake_up_all(&p->exit_wait);               /* init's process_wait */
	struct process *c, *tmp;
	list_for_each_entry_safe(c, tmp, &reap, sibling) {
		list_del_init(&c->sibling);
		process_put(c);                   /* the reference we held as their waiter */
	}
	if (autoreap)
		process_put(p);                   /* the waiter's: nobody will wait */
}

void process_thread_exit(struct thread *t)
{
	struct process *p = t->process;

	clear_child_tid(t);             /* needs the mm: before exit_mm */
	exit_mm(t);
	spin_lock(&p->lock);
	list_del_init(&t->process_node);
	bool last = --p->nr_threads == 0;
	if (last && !p->group_exit)
		p->exit_status = t->exit_code & 0xff;
	spin_unlock(&p->lock);

	if (!last)
		wake_up_all(&p->exit_wait);       /* an execve in de_thread counts the threads */
	if (last) {
		/* Every thread has dropped its mm before this point: the mm is gone too. */
		files_destroy(p->files);
		vfork_release(p);
		exit_notify(p);
	}
	t->process = NULL;
	process_put(p);
}

void zap_other_threads(struct process *p)
{
	struct thread *t;

	assert_spin_locked(&p->lock);
	list_for_each_entry(t, &p->threads, process_node) {
		if (t == current)
			continue;
		WRITE_ONCE(t->kill_pending, true);
		wake_up_state(t, TASK_INTERRUPTIBLE);
	}
}

/* Mark every thread of p to leave with status; the first reason to die wins. */
static void signal_group_exit(struct process *p, int status, int sig)
{
	spin_lock(&p->lock);
	if (!p->group_exit) {
		p->group_exit = true;
		p->exit_status = status;
		p->term_signal = sig;
	}
	zap_other_threads(p);
	spin_unlock(&p->lock);
}

__noreturn void process_exit_group(int status)
{
	signal_group_exit(current->process, status, 0);
	thread_exit(status);
}

/*
 * A fatal signal from the kernel (the OOM killer's SIGKILL): the whole
 * group leaves at once, as Linux's complete_signal does for a signal
 * nobody can catch -- no handler frame, no mask consulted.
 */
void process_kill(struct process *p, int sig)
{
	signal_group_exit(p, 128 + sig, sig);
	if (current->process == p)
		WRITE_ONCE(current->kill_pending, true);   /* leaves on its way to user mode */
}

__noreturn void process_exit_signal(int sig)
{
	signal_group_exit(current->process, 128 + sig, sig);
	thread_exit(128 + sig);
}

int process_wait(struct process *p)
{
	wait_event(p->exit_wait, READ_ONCE(p->dead));
	int status = p->exit_status;
	process_put(p);
	return status;
}

/* ---- wait4, waitid ---- */

#define WNOHANG    0x00000001
#define WUNTRACED  0x00000002
#define WEXITED    0x00000004
#define WCONTINUED 0x00000008
#define WNOWAIT    0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL     0x40000000
#define __WCLONE   0x80000000
#define P_ALL  0
#define P_PID  1
#define P_PGID 2

/* Which children a wait is about: Linux's idtype and id. */
struct wait_spec {
	int type;                     /* P_ALL, P_PID, P_PGID */
	int id;
	int options;
};

static bool wait_matches(const struct wait_spec *w, const struct process *c)
{
	return w->type == P_ALL || (w->type == P_PID && c->pid == w->id) ||
	       (w->type == P_PGID && c->pgid == w->id);
}

/*
 * One look at the caller's children (tasklist_lock): a zombie that
 * matches, taken off the list unless WNOWAIT (then the caller holds a
 * reference to it); or NULL with *any saying whether a matching child
 * exists at all.
 */
static struct process *find_zombie(struct process *me, const struct wait_spec *w, bool *any)
{
	struct process *c, *found = NULL;

	*any = false;
	spin_lock(&tasklist_lock);
	list_for_each_entry(c, &me->children, sibling) {
		if (!wait_matches(w, c))
			continue;
		*any = true;
		if (READ_ONCE(c->dead)) {
			found = c;
			break;
		}
	}
	if (found) {
		if (w->options & WNOWAIT)
			process_get(found);
		else
			list_del_init(&found->sibling);   /* reaped: no longer a child */
	}
	spin_unlock(&tasklist_lock);
	return found;
}

/*
 * Wait for a matching child to die: the zombie (reaped, with the
 * reference the caller must drop), NULL with *err = 0 for WNOHANG and
 * nobody dead yet, or NULL with -ECHILD / -ERESTARTSYS.
 */
static struct process *do_wait(const struct wait_spec *w, int *err)
{
	struct process *me = current_process(), *c;
	DEFINE_WAIT(wq);
	bool any;

	*err = 0;
	for (;;) {
		prepare_to_wait(&me->child_wait, &wq, TASK_INTERRUPTIBLE);
		c = find_zombie(me, w, &any);
		if (c || !any || (w->options & WNOHANG))
			break;
		if (signal_pending()) {
			*err = -ERESTARTSYS;
			break;
		}
		schedule();
	}
	finish_wait(&me->child_wait, &wq);
	if (!c && !any)
		*err = -ECHILD;
	return c;
}

/* wait4(pid, status, options, rusage): -1 any child, > 0 that one, 0 my group, < -1 group -pid. */
SYSCALL_DEFINE(wait4)
{
	int pid = (int)a0, err;
	struct wait_spec w = { .options = (int)a2 };

	if (a2 & ~(u64)(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	if (pid == -1)
		w.type = P_ALL;
	else if (pid > 0)
		w.type = P_PID, w.id = pid;
	else
		w.type = P_PGID, w.id = pid ? -pid : current_process()->pgid;
	struct process *c = do_wait(&w, &err);
	if (!c)
		return err;
	int cpid = c->pid, status = c->wait_status;
	process_put(c);
	if (a1 && put_user(status, (int *)a1))
		return -EFAULT;
	if (a3) {
		u64 ru[18] = { 0 };             /* struct rusage: nothing is accounted */
		if (copy_to_user((void *)a3, ru, sizeof(ru)))
			return -EFAULT;
	}
	return cpid;
}

struct waitid_info {                    /* the siginfo_t fields waitid fills */
	s32 si_signo, si_errno, si_code, __pad;
	s32 pid;
	u32 uid;
	s32 status;
	u8 rest[128 - 28];
};

/* waitid(idtype, id, infop, options, rusage): the child's end as a siginfo. */
SYSCALL_DEFINE(waitid)
{
	struct wait_spec w = { .type = (int)a0, .id = (int)a1, .options = (int)a3 };
	struct waitid_info info = { 0 };
	int err;

	if (a0 > P_PGID || !(a3 & (WEXITED | WUNTRACED | WCONTINUED)) ||
	    (a3 & ~(u64)(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | __WNOTHREAD |
			 __WALL | __WCLONE)))
		return -EINVAL;
	if (!(a3 & WEXITED))
		return -ECHILD;                 /* stops and continues are not built: nothing comes */
	if (w.type == P_PGID && !w.id)
		w.id = current_process()->pgid;
	struct process *c = do_wait(&w, &err);
	if (c) {
		int st = c->wait_status;
		info.si_signo = SIGCHLD;
		info.pid = c->pid;
		info.si_code = !(st & 0x7f) ? CLD_EXITED : st & 0x80 ? CLD_DUMPED : CLD_KILLED;
		info.status = !(st & 0x7f) ? (st >> 8) & 0xff : st & 0x7f;
		process_put(c);
	}
	if (err)
		return err;
	/* WNOHANG with nobody dead: Linux zeroes si_pid (and si_signo). */
	return a2 && copy_to_user((void *)a2, &info, sizeof(info)) ? -EFAULT : 0;
}
