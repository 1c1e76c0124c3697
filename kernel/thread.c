/*
 * Threads: creation, exit, reaping and joining (see thread.h).
 */
#include "kernel/thread.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/tlb.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/fault_inject.h"
#include "kernel/printk.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/wait.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

static int next_tid = 1;               /* atomic */
static int threads_alive;              /* atomic */

/* kthread_join() sleeps here; every reap wakes all joiners, each checks its own thread. */
static DECLARE_WAIT_QUEUE_HEAD(thread_exit_wq);

int nr_threads(void)
{
	return __atomic_load_n(&threads_alive, __ATOMIC_RELAXED);
}

/* A thread struct with its FPU image, without a stack: TASK_NEW, may run anywhere. */
static struct thread *thread_alloc(const char *name)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->fpu = fpu_alloc();
	if (!t->fpu) {
		kfree(t);
		return NULL;
	}
	strlcpy(t->name, name, sizeof(t->name));
	t->refcount = 1;                    /* its own, dropped by thread_reap() */
	t->state = TASK_NEW;
	t->cpu = cpu_id();                  /* any valid CPU: place_thread() moves it */
	INIT_LIST_HEAD(&t->run_list);
	INIT_LIST_HEAD(&t->process_node);
	for (int i = 0; i < CPUMASK_LONGS; i++)
		t->cpus_allowed.bits[i] = ~0ul;
	return t;
}

static void thread_free(struct thread *t)
{
	fpu_free(t->fpu);
	kfree(t);
}

/*
 * A 16 KiB stack from the page allocator, zeroed (as Linux's THREADINFO_GFP
 * asks with __GFP_ZERO), its lowest word a canary.
 *
 * Zeroing also matters for speed under an emulator. The block often held
 * the text of the program that just exited: exit_mmap frees its pages and
 * a 1-CPU machine hands the same block to the next fork. QEMU's TCG keeps
 * the code it translated from a physical page until a store lands on the
 * translated bytes, and checks every store to such a page in its slow
 * self-modifying-code path. A stack only ever writes its top few hundred
 * bytes, so without this memset the old translations below them stayed
 * for good and every push and call of the new thread took that path:
 * pt_reclaim after mmap_semantics under -smp 1 ran 20-60 times slower.
 * Writing every byte once drops them all.
 */
static bool thread_alloc_stack(struct thread *t)
{
	struct page *p = alloc_pages(THREAD_STACK_ORDER);

	if (!p)
		return false;
	t->stack = page_address(p);
	memset(t->stack, 0, THREAD_STACK_SIZE);
	t->stack_top = (u64)t->stack + THREAD_STACK_SIZE;
	t->owns_stack = true;
	*(u64 *)t->stack = STACK_END_MAGIC;
	return true;
}

/* The last reference goes either after the reap or before the thread ever ran. */
void put_thread(struct thread *t)
{
	if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	if (t->state == TASK_NEW) {
		free_pages((unsigned long)t->stack, THREAD_STACK_ORDER);
		__atomic_fetch_sub(&threads_alive, 1, __ATOMIC_RELAXED);
	} else if (!t->reaped) {
		panic("last reference to thread %s dropped while it lives", t->name);
	}
	thread_free(t);
}

struct thread *kthread_create(const char *name, int (*fn)(void *arg), void *arg, int cpu)
{
	struct thread *t = thread_alloc(name);

	if (!t)
		return NULL;
	if (!thread_alloc_stack(t)) {
		thread_free(t);
		return NULL;
	}
	__atomic_fetch_add(&threads_alive, 1, __ATOMIC_RELAXED);
	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	if (cpu >= 0) {
		cpumask_clear(&t->cpus_allowed);
		cpumask_set_cpu(cpu, &t->cpus_allowed);
	}
	arch_init_kthread_stack(t, fn, arg);
	get_thread(t);                      /* the caller's reference */
	return t;
}

struct thread *kthread_run(const char *name, int (*fn)(void *arg), void *arg, int cpu)
{
	struct thread *t = kthread_create(name, fn, arg, cpu);

	if (!t)
		panic("kthread_run: no memory for thread %s", name);
	wake_up_new_thread(t);
	return t;
}

/*
 * The first code of a thread made by thread_create_user(): off to user
 * mode. CLONE_CHILD_SETTID's tid is written here, by the new thread in its
 * own address space (a forked child's copy, not its parent's).
 */
static int user_thread_start(void *unused)
{
	u32 *tidp = current->set_child_tid;

	if (tidp)
		(void)put_user((u32)current->tid, tidp);   /* Linux ignores a bad pointer here */
	return_to_user(task_pt_regs(current));
}

struct thread *thread_create_user(const char *name, const struct trap_frame *regs,
				  struct mm_struct *mm, int cpu)
{
	struct thread *t = kthread_create(name, user_thread_start, NULL, cpu);

	if (t) {
		memcpy(task_pt_regs(t), regs, sizeof(*regs));
		mmget(mm);                   /* its own; exit_mm() drops it (kernel/process.c) */
		t->mm = mm;
	}
	return t;
}

/*
 * exit_delay widens the window between a thread leaving its process and
 * its last schedule(), in which it still runs on its CPU with an mm loaded
 * there (issue 9, bug 1; user/tests/exit_race.c): it holds the thread
 * until that mm is no longer loaded on this CPU -- the last mmput()
 * elsewhere made it let go -- or until the time runs out.
 */
DEFINE_FAULT_INJECT(fi_exit_delay, "exit_delay",
		    "hold an exiting thread after it left its process, until its CPU drops its mm");

static bool mm_unloaded_here(void *mm)
{
	return current_loaded_mm() != mm;
}

__noreturn void thread_exit(int code)
{
	struct thread *t = current;

	if (t->is_idle)
		panic("the idle thread of cpu %d tried to exit", cpu_id());
	t->exit_code = code;
	if (t->process) {
		process_thread_exit(t);         /* may sleep: still a live thread here */
		struct mm_struct *mm = current_loaded_mm();
		if (mm)
			fault_inject_hold_until(&fi_exit_delay, mm_unloaded_here, mm);
	}
	set_current_state(TASK_DEAD);
	schedule();
	panic("thread %s ran after it exited", t->name);
}

/*
 * Run by the scheduler on the thread that ran after t (finish_task_switch),
 * so t's stack is no longer anyone's. The canary is checked one last time.
 */
void thread_reap(struct thread *t)
{
	if (*(u64 *)t->stack != STACK_END_MAGIC)
		panic("kernel stack overflow in thread %s (tid %d)", t->name, t->tid);
	free_pages((unsigned long)t->stack, THREAD_STACK_ORDER);
	t->stack = NULL;
	__atomic_fetch_sub(&threads_alive, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&t->reaped, true, __ATOMIC_RELEASE);
	wake_up_all(&thread_exit_wq);
	put_thread(t);
}

int kthread_join(struct thread *t)
{
	wait_event(thread_exit_wq, __atomic_load_n(&t->reaped, __ATOMIC_ACQUIRE));
	int code = t->exit_code;
	put_thread(t);
	return code;
}

/*
 * The boot context of a CPU becomes its idle thread: it already runs, on
 * a stack that is not ours to free. The canary goes in its lowest word,
 * unused so far (boot stacks are 16 KiB too).
 */
struct thread *idle_thread_create(int cpu, u64 stack_top)
{
	struct thread *t = thread_alloc("idle");

	if (!t)
		panic("no memory for the idle thread of cpu %d", cpu);
	snprintf(t->name, sizeof(t->name), "idle/%d", cpu);
	t->stack = (void *)(stack_top - THREAD_STACK_SIZE);
	t->stack_top = stack_top;
	*(u64 *)t->stack = STACK_END_MAGIC;
	t->is_idle = true;
	t->state = TASK_RUNNING;
	t->cpu = cpu;
	t->on_cpu = 1;
	cpumask_clear(&t->cpus_allowed);
	cpumask_set_cpu(cpu, &t->cpus_allowed);
	__atomic_fetch_add(&threads_alive, 1, __ATOMIC_RELAXED);
	return t;
}
