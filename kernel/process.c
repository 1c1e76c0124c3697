/*
 * Processes: creation from an ELF image, the thread group, exit and wait.
 *
 * Lifetime. A process is reference counted: one reference per live thread
 * and one for whoever waits for it (process_spawn's caller). Each thread
 * holds its own reference to the mm (mm_users, mm/mm.h) and drops it as it
 * leaves (exit_mm), so the mm goes with whichever thread drops it last;
 * the descriptor table goes when the last thread leaves the process; the
 * struct goes when the waiter has read the exit status too.
 *
 * Killing. exit_group and fatal faults mark every thread kill_pending and
 * wake those sleeping interruptibly; each leaves at its next return to user
 * mode (kernel/thread.h, thread_should_die). A thread running in user mode
 * on another CPU takes at most one timer tick to notice.
 */
#include "kernel/process.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/exec.h"
#include "kernel/file.h"
#include "kernel/futex.h"
#include "kernel/printk.h"
#include "kernel/procfs.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "mm/mm.h"
#include "mm/slab.h"

static int processes_alive;          /* atomic; leak checks read it */

/*
 * Every process not yet freed, for /proc and kill. process_list_lock also
 * guards the last reference of each (process_put): a process on the list
 * always has refcount >= 1 while the lock is held, so process_find may
 * take a reference under it.
 */
static LIST_HEAD(process_list);
static spinlock_t process_list_lock = SPINLOCK_INIT("process_list");

int nr_processes(void)
{
	return __atomic_load_n(&processes_alive, __ATOMIC_RELAXED);
}

struct process *current_process(void)
{
	return current->process;
}

static void process_get(struct process *p)
{
	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
}

static void process_free(struct process *p)
{
	if (p->mm)
		mmdrop(p->mm);                /* the mm_count /proc readers relied on */
	kfree(p);
	__atomic_fetch_sub(&processes_alive, 1, __ATOMIC_RELAXED);
}

void process_put(struct process *p)
{
	int old = __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);

	/* Not the last reference: drop it without the list lock. */
	while (old > 1)
		if (__atomic_compare_exchange_n(&p->refcount, &old, old - 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return;
	/* Perhaps the last: decide under the lock process_find takes its references under. */
	spin_lock(&process_list_lock);
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL)) {
		spin_unlock(&process_list_lock);
		return;
	}
	list_del_init(&p->all_node);
	spin_unlock(&process_list_lock);
	process_free(p);
}

struct process *process_find(int pid)
{
	struct process *p, *found = NULL;

	spin_lock(&process_list_lock);
	list_for_each_entry(p, &process_list, all_node) {
		if (p->pid == pid) {
			process_get(p);
			found = p;
			break;
		}
	}
	spin_unlock(&process_list_lock);
	return found;
}

int process_next_pid(int pid)
{
	struct process *p;
	int best = 0;

	spin_lock(&process_list_lock);
	list_for_each_entry(p, &process_list, all_node)
		if (p->pid >= pid && (!best || p->pid < best))
			best = p->pid;
	spin_unlock(&process_list_lock);
	return best;
}

/*
 * kill(-pgid) and kill(-1): send to every process of the group, or every
 * one but except. info NULL: only look for a target. 0 or -ESRCH if none.
 * The list lock is held throughout (lock order: process_list_lock, then
 * each process's lock inside send_signal_process).
 */
static int kill_matching(int pgid, struct process *except, const struct ksiginfo *info)
{
	struct process *p;
	int found = 0;

	spin_lock(&process_list_lock);
	list_for_each_entry(p, &process_list, all_node) {
		if (p == except || (pgid && p->pgid != pgid) || READ_ONCE(p->dead))
			continue;
		found++;
		if (info)
			send_signal_process(p, info);
	}
	spin_unlock(&process_list_lock);
	return found ? 0 : -ESRCH;
}

int kill_pgrp(int pgid, const struct ksiginfo *info)
{
	return pgid > 0 ? kill_matching(pgid, NULL, info) : -ESRCH;
}

int kill_all_but(struct process *except, const struct ksiginfo *info)
{
	return kill_matching(0, except, info);
}

bool process_has_thread(struct process *p, int tid)
{
	struct thread *t;
	bool found = false;

	spin_lock(&p->lock);
	list_for_each_entry(t, &p->threads, process_node)
		found |= t->tid == tid;
	spin_unlock(&p->lock);
	return found;
}

char process_state(struct process *p)
{
	struct thread *t;
	char state = 'S';

	spin_lock(&p->lock);
	if (p->dead)
		state = 'Z';
	list_for_each_entry(t, &p->threads, process_node)
		if (READ_ONCE(t->state) == TASK_RUNNING)
			state = 'R';
	spin_unlock(&p->lock);
	return state;
}

/* Linux's Name: the last path component, cut to 15 characters. */
static void set_name(struct process *p, const char *path)
{
	const char *base = path;

	for (const char *s = path; *s; s++)
		if (*s == '/')
			base = s + 1;
	strlcpy(p->name, base, sizeof(p->name));
}

static struct process *process_alloc(const char *name)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	set_name(p, name);
	spin_lock_init(&p->lock, "process");
	INIT_LIST_HEAD(&p->threads);
	init_waitqueue_head(&p->exit_wait, "process_exit");
	p->refcount = 1;                       /* the waiter's */
	INIT_LIST_HEAD(&p->all_node);
	fs_root(&p->cwd);
	p->umask = 022;
	signals_init_process(p, NULL);
	p->start_ns = ktime_ns();
	p->files = files_create();
	struct mm_struct *mm = mm_create();
	__atomic_fetch_add(&processes_alive, 1, __ATOMIC_RELAXED);
	if (!p->files || !mm) {
		if (p->files)
			files_destroy(p->files);
		if (mm)
			mmput(mm);
		process_put(p);
		return NULL;
	}
	mmgrab(mm);                           /* the process's own, dropped by process_free */
	p->mm = mm;
	return p;
}

void process_add_thread(struct process *p, struct thread *t)
{
	process_get(p);
	t->process = p;
	spin_lock(&p->lock);
	list_add_tail(&t->process_node, &p->threads);
	p->nr_threads++;
	/* Born while the process is being killed (a clone racing exit_group):
	 * the kill loop has already passed, so it must die on its own. */
	if (p->group_exit)
		t->kill_pending = true;
	spin_unlock(&p->lock);
}

/* argv, NUL after each string, as /proc/PID/cmdline shows it; cut at PROC_CMDLINE_MAX. */
static void set_cmdline(struct process *p, const char *const argv[])
{
	size_t n = 0;

	for (int i = 0; argv && argv[i] && n < sizeof(p->cmdline); i++) {
		size_t len = MIN(strlen(argv[i]) + 1, sizeof(p->cmdline) - n);
		memcpy(p->cmdline + n, argv[i], len);
		n += len;
	}
	p->cmdline_len = n;
}

/* What the first thread of a new process needs to exec its program. */
struct exec_start {
	struct process *p;
	struct elf_image img;
	const char *const *argv, *const *envp;
};

/* The first thread: adopt the mm, load the program, go to user mode. */
static int exec_thread(void *arg)
{
	struct exec_start *s = arg;
	struct process *p = s->p;
	u64 entry, sp;

	use_mm(p->mm);                  /* mm_create's reference becomes this thread's own */
	int err = exec_load(p->mm, &s->img, s->argv, s->envp, &entry, &sp);
	kfree(s);
	if (err) {
		printk("%s: exec failed (%d)\n", p->name, err);
		process_exit_group(127);
	}
	enter_user(entry, sp);
}

struct process *process_spawn(const char *name, const void *image, size_t size,
			      const char *const argv[], const char *const envp[],
			      int *err, const char **why)
{
	struct exec_start *s = kzalloc(sizeof(*s));
	struct process *p = NULL;

	*err = s ? elf_check(image, size, &s->img, why) : -ENOMEM;
	if (*err)
		goto fail;
	*err = -ENOMEM;                 /* what any failure below means */
	if (!(p = process_alloc(name)))
		goto fail;
	s->p = p;
	s->argv = argv;
	s->envp = envp;
	struct thread *t = kthread_create(p->name, exec_thread, s, -1);
	if (!t) {
		files_destroy(p->files);
		mmput(p->mm);
		process_put(p);
		goto fail;
	}
	p->pid = p->pgid = p->sid = t->tid;
	set_cmdline(p, argv);
	process_add_thread(p, t);
	spin_lock(&process_list_lock);
	list_add_tail(&p->all_node, &process_list);
	spin_unlock(&process_list_lock);
	wake_up_new_thread(t);
	put_thread(t);
	*err = 0;
	return p;
fail:
	kfree(s);
	return NULL;
}

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

	if (last) {
		/* Every thread has dropped its mm before this point: the mm is gone too. */
		files_destroy(p->files);
		spin_lock(&p->lock);
		p->dead = true;
		spin_unlock(&p->lock);
		wake_up_all(&p->exit_wait);
	}
	t->process = NULL;
	process_put(p);
}

__noreturn void process_exit_group(int status)
{
	struct process *p = current->process;
	struct thread *t;

	spin_lock(&p->lock);
	if (!p->group_exit) {                 /* the first reason to die wins */
		p->group_exit = true;
		p->exit_status = status;
	}
	list_for_each_entry(t, &p->threads, process_node) {
		if (t == current)
			continue;
		WRITE_ONCE(t->kill_pending, true);
		wake_up_state(t, TASK_INTERRUPTIBLE);
	}
	spin_unlock(&p->lock);
	thread_exit(status);
}

__noreturn void process_exit_signal(int sig)
{
	struct process *p = current->process;

	spin_lock(&p->lock);
	if (!p->group_exit)
		p->term_signal = sig;
	spin_unlock(&p->lock);
	process_exit_group(128 + sig);
}

int process_wait(struct process *p)
{
	wait_event(p->exit_wait, READ_ONCE(p->dead));
	int status = p->exit_status;
	process_put(p);
	return status;
}
