/*
 * fork, vfork and clone for a new process: the child is a copy of the
 * caller -- registers (fork returns 0 in it), FPU state, descriptor table,
 * working directory, signal actions and mask, process group and session
 * -- with an address space of its own whose pages are shared copy-on-write
 * (mm/fork.c: dup_mm). New threads of the same process are clone with
 * CLONE_VM|CLONE_THREAD (kernel/sys_thread.c).
 *
 * vfork (CLONE_VM|CLONE_VFORK) shares the caller's address space instead of
 * copying it, and the caller sleeps until the child has exec'd or exited:
 * until then the child runs on the caller's memory (posix_spawn relies on
 * it to report an exec error back through a variable of the caller's).
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/exec.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "mm/mm.h"

#define CSIGNAL              0x000000ff   /* the signal sent to the parent at exit */
#define CLONE_VM             0x00000100
#define CLONE_VFORK          0x00004000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_PROCESS_MAY    (CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS | \
			      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID)

/* What the child inherits besides memory and threads. */
static void copy_process_state(struct process *p, struct process *me, u64 flags)
{
	spin_lock(&me->lock);
	p->cwd = me->cwd;
	p->umask = me->umask;
	signals_init_process(p, me);
	spin_unlock(&me->lock);
	p->ppid = me->pid;
	p->pgid = me->pgid;
	p->sid = me->sid;
	p->exit_signal = flags & CSIGNAL;
	strlcpy(p->exe, me->exe, sizeof(p->exe));
	memcpy(p->cmdline, me->cmdline, me->cmdline_len);
	p->cmdline_len = me->cmdline_len;
}

/* The child's one thread: the caller's registers, rax 0, the caller's FPU state. */
static struct thread *copy_thread(struct mm_struct *mm, u64 flags, u64 newsp, u64 ctid,
				  u64 tls)
{
	struct thread *self = current;
	struct trap_frame regs = *task_pt_regs(self);

	regs.rax = 0;                        /* fork returns 0 in the child */
	if (newsp)
		regs.rsp = newsp;
	struct thread *t = thread_create_user(self->name, &regs, mm, -1);
	if (!t)
		return NULL;
	unsigned long irqs = irq_save();     /* the registers are live on this CPU */
	fpu_save(self->fpu);
	irq_restore(irqs);
	memcpy(t->fpu, self->fpu, fpu_state_size());
	t->fs_base = flags & CLONE_SETTLS ? tls : self->fs_base;
	t->signals.blocked = self->signals.blocked;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = (u32 *)ctid;
	if (flags & CLONE_CHILD_SETTID)
		t->set_child_tid = (u32 *)ctid;  /* written by the child itself, in its own mm */
	return t;
}

/* vfork: sleep until the child has exec'd or exited (a kill ends the wait too). */
static void wait_for_vfork_done(struct process *p)
{
	wait_event_interruptible(p->vfork_wait, READ_ONCE(p->vfork_done));
}

long do_fork(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls)
{
	struct process *me = current_process(), *p;
	struct mm_struct *mm;

	if ((flags & ~(u64)CLONE_PROCESS_MAY) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK)))
		return -EINVAL;                  /* a process sharing memory only as vfork */
	if ((flags & CSIGNAL) > NSIG)
		return -EINVAL;
	if (!(p = process_alloc(me->name)))
		return -ENOMEM;
	copy_process_state(p, me, flags);
	if (!(p->files = files_dup(me->files)))
		goto nomem;
	if (flags & CLONE_VM) {
		mm = current->mm;
		mmget(mm);
	} else if (!(mm = dup_mm(current->mm))) {
		goto nomem;
	}
	process_set_mm(p, mm);
	struct thread *t = copy_thread(mm, flags, newsp, ctid, tls);
	mmput(mm);                           /* the thread holds its own (thread_create_user) */
	if (!t)
		goto nomem;
	long pid = p->pid = t->tid;
	process_add_thread(p, t);
	process_get(p);                      /* ours, until vfork's wait is over */
	process_publish(p, me);
	if (flags & CLONE_PARENT_SETTID)
		(void)put_user((u32)pid, (u32 *)ptid);   /* Linux ignores a bad pointer here */
	wake_up_new_thread(t);
	put_thread(t);
	if (flags & CLONE_VFORK)
		wait_for_vfork_done(p);
	process_put(p);
	return pid;
nomem:
	if (p->files)
		files_destroy(p->files);
	process_put(p);                      /* never published: freed at once */
	return -ENOMEM;
}

SYSCALL_DEFINE(fork)
{
	return do_fork(SIGCHLD, 0, 0, 0, 0);
}

SYSCALL_DEFINE(vfork)
{
	return do_fork(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}
