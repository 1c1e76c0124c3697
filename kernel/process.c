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
 * Every process not yet freed, for /proc and kill. tasklist_lock guards
 * this list, every parent/children link (kernel/exit.c, kernel/fork.c),
 * and the last reference of each process (process_put): a process on the
 * list always has refcount >= 1 while the lock is held, so process_find
 * may take a reference under it. Lock order: tasklist_lock, then a
 * process's own lock.
 */
static LIST_HEAD(process_list);
spinlock_t tasklist_lock = SPINLOCK_INIT("tasklist");

int nr_processes(void)
{
	return __atomic_load_n(&processes_alive, __ATOMIC_RELAXED);
}

struct process *current_process(void)
{
	return current->process;
}

void process_get(struct process *p)
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
	spin_lock(&tasklist_lock);
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL)) {
		spin_unlock(&tasklist_lock);
		return;
	}
	list_del_init(&p->all_node);
	spin_unlock(&tasklist_lock);
	process_free(p);
}

struct process *process_find(int pid)
{
	struct process *p, *found = NULL;

	spin_lock(&tasklist_lock);
	list_for_each_entry(p, &process_list, all_node) {
		if (p->pid == pid) {
			process_get(p);
			found = p;
			break;
		}
	}
	spin_unlock(&tasklist_lock);
	return found;
}

int process_next_pid(int pid)
{
	struct process *p;
	int best = 0;

	spin_lock(&tasklist_lock);
	list_for_each_entry(p, &process_list, all_node)
		if (p->pid >= pid && (!best || p->pid < best))
			best = p->pid;
	spin_unlock(&tasklist_lock);
	return best;
}

struct process *process_select(long (*score)(struct process *p, void *arg), void *arg)
{
	struct process *p, *best = NULL;
	long best_score = -1;

	spin_lock(&tasklist_lock);
	list_for_each_entry(p, &process_list, all_node) {
		long s = score(p, arg);
		if (s > best_score) {
			best = p;
			best_score = s;
		}
	}
	if (best)
		process_get(best);       /* before the unlock: it cannot be reaped under us */
	spin_unlock(&tasklist_lock);
	return best;
}

unsigned long total_vm_pages(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long pages = 0;

	down_read(&mm->mmap_lock);
	for_each_vma(mm, vma)
		pages += (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	up_read(&mm->mmap_lock);
	return pages;
}

/*
 * kill(-pgid) and kill(-1): send to every process of the group, or every
 * one but except. info NULL: only look for a target. 0 or -ESRCH if none.
 * The list lock is held throughout (lock order: tasklist_lock, then
 * each process's lock inside send_signal_process).
 */
static int kill_matching(int pgid, struct process *except, const struct ksiginfo *info)
{
	struct process *p;
	int found = 0;

	spin_lock(&tasklist_lock);
	list_for_each_entry(p, &process_list, all_node) {
		if (p == except || (pgid && p->pgid != pgid) || READ_ONCE(p->dead))
			continue;
		found++;
		if (info)
			send_signal_process(p, info);
	}
	spin_unlock(&tasklist_lock);
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

/* Is there a process group pgid in session sid? tasklist_lock held. */
static bool pgrp_in_session(int pgid, int sid)
{
	struct process *p;

	list_for_each_entry(p, &process_list, all_node)
		if (p->pgid == pgid && p->sid == sid && !p->dead)
			return true;
	return false;
}

/*
 * setpgid: the caller or one of its children (ESRCH otherwise) joins the
 * group pgid (0: its own pid), which must exist in the same session
 * unless it is a new one named after the process (EPERM); a session
 * leader cannot move (EPERM). Job-control shells put each job in a group.
 */
long process_setpgid(int pid, int pgid)
{
	struct process *me = current_process(), *target = NULL, *c;
	long err = 0;

	if (pid < 0 || pgid < 0)
		return -EINVAL;
	spin_lock(&tasklist_lock);
	if (!pid || pid == me->pid)
		target = me;
	list_for_each_entry(c, &me->children, sibling)
		if (c->pid == pid)
			target = c;
	if (!target)
		err = -ESRCH;
	else if (!pgid)
		pgid = target->pid;
	if (!err && (target->sid == target->pid || target->sid != me->sid))
		err = -EPERM;
	if (!err && pgid != target->pid && !pgrp_in_session(pgid, me->sid))
		err = -EPERM;
	if (!err)
		WRITE_ONCE(target->pgid, pgid);
	spin_unlock(&tasklist_lock);
	return err;
}

/* setsid: a new session and group named after the caller, unless it leads a group (EPERM). */
long process_setsid(void)
{
	struct process *me = current_process(), *p;
	long err = me->pid;

	spin_lock(&tasklist_lock);
	list_for_each_entry(p, &process_list, all_node)
		if (p->pgid == me->pid && !p->dead)
			err = -EPERM;
	if (err > 0) {
		WRITE_ONCE(me->sid, me->pid);
		WRITE_ONCE(me->pgid, me->pid);
	}
	spin_unlock(&tasklist_lock);
	return err;
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

struct process *process_alloc(const char *name)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	set_name(p, name);
	spin_lock_init(&p->lock, "process");
	INIT_LIST_HEAD(&p->threads);
	INIT_LIST_HEAD(&p->all_node);
	INIT_LIST_HEAD(&p->children);
	INIT_LIST_HEAD(&p->sibling);
	init_waitqueue_head(&p->exit_wait, "process_exit");
	init_waitqueue_head(&p->child_wait, "child_exit");
	init_waitqueue_head(&p->vfork_wait, "vfork");
	p->refcount = 1;                       /* the waiter's: its parent, or init */
	fs_root(&p->cwd);
	p->umask = 022;
	signals_init_process(p, NULL);
	p->start_ns = ktime_ns();
	__atomic_fetch_add(&processes_alive, 1, __ATOMIC_RELAXED);
	return p;
}

void process_set_mm(struct process *p, struct mm_struct *mm)
{
	mmgrab(mm);                           /* the process's own, for /proc readers */
	/* Under tasklist_lock too: the OOM killer reads p->mm while it holds it. */
	spin_lock(&tasklist_lock);
	spin_lock(&p->lock);
	struct mm_struct *old = p->mm;
	p->mm = mm;
	spin_unlock(&p->lock);
	spin_unlock(&tasklist_lock);
	if (old)
		mmdrop(old);
}

struct mm_struct *process_get_mm(struct process *p)
{
	spin_lock(&p->lock);
	struct mm_struct *mm = p->mm;
	if (mm)
		mmgrab(mm);
	spin_unlock(&p->lock);
	return mm;
}

void process_publish(struct process *p, struct process *parent)
{
	spin_lock(&tasklist_lock);
	list_add_tail(&p->all_node, &process_list);
	if (parent) {
		p->parent = parent;
		list_add_tail(&p->sibling, &parent->children);
	}
	spin_unlock(&tasklist_lock);
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

void process_set_cmdline(struct process *p, const char *const argv[])
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

/* The first thread: load the program into a new mm, go to user mode. */
static int exec_thread(void *arg)
{
	struct exec_start *s = arg;
	struct process *p = s->p;
	u64 entry, sp;

	int err = exec_into_new_mm(p, &s->img, s->argv, s->envp, &entry, &sp);
	kfree(s);
	if (err) {
		printk("%s: exec failed (%d)\n", p->name, err);
		process_exit_group(127);
	}
	enter_user(entry, sp);
}

struct process *process_spawn(const char *path, const void *image, size_t size,
			      const char *const argv[], const char *const envp[],
			      int *err, const char **why)
{
	struct exec_start *s = kzalloc(sizeof(*s));
	struct process *p = NULL;

	*err = s ? elf_check(image, size, &s->img, why) : -ENOMEM;
	if (*err)
		goto fail;
	*err = -ENOMEM;                 /* what any failure below means */
	if (!(p = process_alloc(path)))
		goto fail;
	if (!(p->files = files_create())) {
		process_put(p);
		goto fail;
	}
	strlcpy(p->exe, path, sizeof(p->exe));
	s->p = p;
	s->argv = argv;
	s->envp = envp;
	struct thread *t = kthread_create(p->name, exec_thread, s, -1);
	if (!t) {
		files_destroy(p->files);
		process_put(p);
		goto fail;
	}
	p->pid = p->pgid = p->sid = t->tid;
	process_set_cmdline(p, argv);
	process_add_thread(p, t);
	process_publish(p, NULL);       /* no parent: init waits (process_wait) */
	wake_up_new_thread(t);
	put_thread(t);
	*err = 0;
	return p;
fail:
	kfree(s);
	return NULL;
}
