/*
 * Threads and scheduling syscalls: clone (threads only), exit, exit_group,
 * set_tid_address, futex, getpid, gettid, sched_yield, affinity, getcpu,
 * arch_prctl, the process group and session calls (kill and friends:
 * kernel/sys_signal.c).
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/futex.h"
#include "kernel/fork.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/syscall.h"
#include "kernel/time.h"

#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED       0x00400000   /* obsolete; Linux ignores it, musl still sets it */

/* What a new thread must share with its creator, and what it may ask for. */
#define CLONE_THREAD_NEEDS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_THREAD_MAY   (CLONE_THREAD_NEEDS | CLONE_SYSVSEM | CLONE_SETTLS | \
			    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED)

/* Linux's own consistency rules come first, then ours: threads only. */
static long clone_check(u64 flags)
{
	/* Legacy clone reads the lower 32 bits; the lowest byte is the exit signal. */
	flags = (u32)flags & ~0xfful;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_THREAD_NEEDS) != CLONE_THREAD_NEEDS || (flags & ~CLONE_THREAD_MAY))
		return -EINVAL;              /* a thread shares everything with its process */
	return 0;
}

/*
 * clone(flags, newsp, parent_tid, child_tid, tls): a new thread of this
 * process, or without CLONE_THREAD a new process (kernel/fork.c).
 */
SYSCALL_DEFINE(clone)
{
	struct thread *self = current, *t;
	struct trap_frame regs = *task_pt_regs(self);

	a0 = (u32)a0;                        /* legacy clone reads the lower 32 bits */
	if (!(a0 & CLONE_THREAD) && !(a0 & CLONE_SIGHAND))
		return do_fork(a0, a1, a2, a3, a4);
	long err = clone_check(a0);

	if (err)
		return err;
	regs.rax = 0;                        /* the child sees clone return 0 */
	if (a1)
		regs.rsp = a1;
	t = thread_create_user(self->name, &regs, self->mm, -1);
	if (!t)
		return -ENOMEM;
	t->fs_base = (a0 & CLONE_SETTLS) ? a4 : self->fs_base;
	t->signals.blocked = self->signals.blocked;   /* the mask is inherited; nothing pending */
	if (a0 & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = (u32 *)a3;
	long tid = t->tid;
	process_add_thread(self->process, t);
	/* Linux writes it before the child runs and ignores a bad pointer. */
	if (a0 & CLONE_PARENT_SETTID)
		(void)put_user((u32)tid, (u32 *)a2);
	wake_up_new_thread(t);
	put_thread(t);
	return tid;
}

SYSCALL_DEFINE(exit)
{
	thread_exit((int)(a0 & 0xff));
}

SYSCALL_DEFINE(exit_group)
{
	process_exit_group((int)(a0 & 0xff));
}

SYSCALL_DEFINE(set_tid_address)
{
	current->clear_child_tid = (u32 *)a0;
	return current->tid;
}

SYSCALL_DEFINE(getpid)
{
	return current_process()->pid;
}

SYSCALL_DEFINE(gettid)
{
	return current->tid;
}

SYSCALL_DEFINE(sched_yield)
{
	yield();
	return 0;
}

/*
 * The thread a pid argument names: 0 is the caller; else a thread of this
 * process. A pid_t is an int: the upper half of the register is not read.
 */
static struct thread *thread_of(u64 arg)
{
	struct process *p = current_process();
	struct thread *t, *found = NULL;
	int pid = (int)arg;

	if (pid == 0 || pid == current->tid)
		return current;
	spin_lock(&p->lock);
	list_for_each_entry(t, &p->threads, process_node)
		if (t->tid == pid)
			found = t;
	spin_unlock(&p->lock);
	return found;
}

SYSCALL_DEFINE(sched_setaffinity)
{
	cpumask_t mask = { 0 };
	struct thread *t = thread_of(a0);

	a1 = (u32)a1;                        /* the length is an unsigned int */
	if (copy_from_user(&mask, (const void *)a2, MIN(a1, sizeof(mask))))
		return -EFAULT;
	if (!t)
		return -ESRCH;
	cpumask_and(&mask, &mask, &cpu_online_mask);
	if (!cpumask_weight(&mask))
		return -EINVAL;
	return sched_setaffinity(t, &mask);
}

SYSCALL_DEFINE(sched_getaffinity)
{
	cpumask_t mask;
	struct thread *t = thread_of(a0);

	a1 = (u32)a1;                        /* the length is an unsigned int */
	/* Linux: the buffer must hold every possible CPU and be whole longs. */
	if (a1 * 8 < (u64)nr_cpus || (a1 & (sizeof(long) - 1)))
		return -EINVAL;
	if (!t)
		return -ESRCH;
	sched_getaffinity(t, &mask);
	cpumask_and(&mask, &mask, &cpu_online_mask);
	size_t n = MIN(a1, sizeof(mask));
	if (copy_to_user((void *)a2, &mask, n))
		return -EFAULT;
	return n;
}

SYSCALL_DEFINE(getcpu)
{
	u32 cpu = cpu_id(), node = 0;

	if (a0 && put_user(cpu, (u32 *)a0))
		return -EFAULT;
	if (a1 && put_user(node, (u32 *)a1))
		return -EFAULT;
	return 0;
}

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

SYSCALL_DEFINE(arch_prctl)
{
	switch ((int)a0) {                   /* the code is an int */
	case ARCH_SET_FS:
		return arch_set_fs_base(a1);
	case ARCH_GET_FS:
		return put_user(current->fs_base, (u64 *)a1);
	default:
		return -EINVAL;
	}
}

/*
 * futex(uaddr, op, val, timeout, uaddr2, val3). Linux's order: the timeout
 * of a waiting command (EFAULT, EINVAL), then FUTEX_CLOCK_REALTIME, which
 * only the bitset wait (of ours) takes (ENOSYS), then the command itself.
 * op is an int and val a u32: the upper halves are not read.
 */
SYSCALL_DEFINE(futex)
{
	int op = (int)a1, cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	struct mm_struct *mm = current->mm;
	struct timespec ts;
	u64 timeout = 0, deadline = 0;

	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (a3) {
			int err = get_timespec(&ts, a3);
			if (err)
				return err;
			u64 ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
			if (cmd == FUTEX_WAIT)
				timeout = ns ? ns : 1;   /* relative */
			else
				deadline = ns ? ns : 1;  /* absolute, on the monotonic clock */
		}
		if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
			return -ENOSYS;
		return futex_wait(mm, a0, (u32)a2, timeout, deadline,
				  cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : (u32)a5);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (op & FUTEX_CLOCK_REALTIME)
			return -ENOSYS;
		if (cmd == FUTEX_WAKE)
			return futex_wake(mm, a0, (int)a2);
		return futex_wake_bitset(mm, a0, (int)a2, (u32)a5);
	default:
		return -ENOSYS;
	}
}

/* ---- parent, process group, session (kernel/process.h) ---- */

SYSCALL_DEFINE(getppid)
{
	return current_process()->ppid;
}

/* The process pid names for the group/session calls: 0 is the caller. */
static struct process *process_arg(u64 pid)
{
	if ((s64)pid < 0)
		return NULL;
	return process_find(pid ? (int)pid : current_process()->pid);
}

SYSCALL_DEFINE(getpgid)
{
	struct process *p = process_arg(a0);
	if (!p)
		return -ESRCH;
	int pgid = READ_ONCE(p->pgid);
	process_put(p);
	return pgid;
}

SYSCALL_DEFINE(getpgrp)
{
	return READ_ONCE(current_process()->pgid);
}

SYSCALL_DEFINE(getsid)
{
	struct process *p = process_arg(a0);
	if (!p)
		return -ESRCH;
	int sid = READ_ONCE(p->sid);
	process_put(p);
	return sid;
}

SYSCALL_DEFINE(setpgid)
{
	return process_setpgid((int)a0, (int)a1);
}

SYSCALL_DEFINE(setsid)
{
	return process_setsid();
}
