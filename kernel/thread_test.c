/*
 * Tests of kernel threads (kernel/thread.c): they run where they are told,
 * exit with a code, and give back every page once joined.
 */
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/timer.h"
#include "kernel/wait.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

#define THREADS_PER_CPU 3

struct where {
	int cpu;                       /* cpu_id() as the thread saw it */
	int tid;                       /* current->tid as the thread saw it */
};

static int record_where(void *arg)
{
	struct where *w = arg;

	w->cpu = cpu_id();
	w->tid = current->tid;
	return 1000 + w->cpu;
}

/*
 * Join t and wait until its struct and FPU image are freed too, so that
 * free pages can be counted exactly. kthread_join() returns once t's stack
 * is freed, but the reaping CPU drops t's own reference just after waking
 * the joiner: hold a reference of our own across the join and wait for
 * that one to be the last (an event, whatever the CPUs' speed), then drop
 * it. Returns t's exit code.
 */
static int join_and_free(struct ktest_ctx *t, struct thread *th)
{
	get_thread(th);
	int code = kthread_join(th);
	KT_WAIT_FOR(__atomic_load_n(&th->refcount, __ATOMIC_ACQUIRE) == 1);
	put_thread(th);
	return code;
}

/*
 * THREADS_PER_CPU threads bound to each CPU: each runs there, exits with a
 * code made of its CPU, and once all are joined the pages of their stacks,
 * structs and FPU images are all back (a leak shows as a lower count).
 */
KTEST(kthread_every_cpu_stacks_freed)
{
	static struct where seen[MAX_CPUS * THREADS_PER_CPU];
	struct thread *threads[MAX_CPUS * THREADS_PER_CPU];
	int n = nr_cpus * THREADS_PER_CPU, alive = nr_threads();
	unsigned long before = nr_free_pages_settled();

	for (int i = 0; i < n; i++) {
		seen[i] = (struct where){ -1, -1 };
		threads[i] = kthread_create("kt_every_cpu", record_where, &seen[i], i % nr_cpus);
		KT_ASSERT(threads[i] != NULL);
		KT_EXPECT(threads[i]->state == TASK_NEW);
	}
	KT_EXPECT_EQ(nr_threads(), alive + n);
	for (int i = 0; i < n; i++)
		wake_up_new_thread(threads[i]);
	for (int i = 0; i < n; i++) {
		int tid = threads[i]->tid;
		KT_EXPECT_EQ(join_and_free(t, threads[i]), 1000 + i % nr_cpus);
		KT_EXPECT_EQ(seen[i].cpu, i % nr_cpus);
		KT_EXPECT_EQ(seen[i].tid, tid);
	}
	KT_EXPECT_EQ(nr_threads(), alive);
	KT_EXPECT_EQ(nr_free_pages_settled(), before);
}

/* A thread never started is freed whole by its last put_thread(). */
KTEST(kthread_never_started_freed)
{
	unsigned long before = nr_free_pages_settled();
	int alive = nr_threads();
	struct thread *th = kthread_create("kt_unstarted", record_where, NULL, -1);

	KT_ASSERT(th != NULL);
	KT_EXPECT(nr_free_pages_settled() < before);
	put_thread(th);                         /* its creator's reference */
	put_thread(th);                         /* its own: never ran, so never reaped */
	KT_EXPECT_EQ(nr_threads(), alive);
	KT_EXPECT_EQ(nr_free_pages_settled(), before);
}

/*
 * A new thread's stack is all zeros below its first frame, even when its
 * pages held something else a moment ago. Besides not leaking old data,
 * this is what makes QEMU drop any code it translated from those pages (a
 * program's text, freed at its exit): see thread_alloc_stack(). We dirty a
 * block of the stack's size and free it, so that the buddy allocator, last
 * freed first out, hands that same block to the thread; if it handed out
 * another one the test proves nothing and says so.
 */
KTEST(kthread_stack_starts_zeroed)
{
	struct page *dirty = alloc_pages(THREAD_STACK_ORDER);

	KT_ASSERT(dirty != NULL);
	void *block = page_address(dirty);
	memset(block, 0xa5, THREAD_STACK_SIZE);
	__free_pages(dirty, THREAD_STACK_ORDER);

	struct thread *th = kthread_create("kt_zeroed", record_where, NULL, -1);
	KT_ASSERT(th != NULL);
	bool reused = th->stack == block;
	u64 *word = th->stack, *frame = (u64 *)th->rsp;
	long nonzero = 0;
	for (u64 *w = word + 1; w < frame; w++)   /* word[0] is the canary */
		nonzero += *w != 0;
	put_thread(th);                         /* its creator's reference */
	put_thread(th);                         /* its own: never ran */
	if (!reused)
		KT_SKIP("the allocator gave the thread another block than the dirtied one");
	KT_EXPECT_EQ(nonzero, 0);
}

static DECLARE_WAIT_QUEUE_HEAD(release_wq);
static bool released;

static int wait_for_release(void *arg)
{
	wait_event(release_wq, READ_ONCE(released));
	return 7;
}

/*
 * kthread_join() sleeps until the thread is reaped, not merely until it
 * has decided to exit: the thread's stack is freed when join returns.
 * The thread is first seen asleep on release_wq -- waited for, not
 * assumed after a sleep: an emulated CPU may not have started it yet.
 */
KTEST(kthread_join_waits_for_reap)
{
	WRITE_ONCE(released, false);
	struct thread *th = kthread_run("kt_join", wait_for_release, NULL, -1);
	get_thread(th);                          /* keep the struct to look at */
	KT_WAIT_FOR(waitqueue_active(&release_wq) &&
		    READ_ONCE(th->state) == TASK_UNINTERRUPTIBLE);
	KT_EXPECT(!th->reaped);                  /* blocked: not reaped */
	KT_EXPECT(th->stack != NULL);
	WRITE_ONCE(released, true);
	wake_up(&release_wq);
	KT_EXPECT_EQ(kthread_join(th), 7);
	KT_EXPECT(th->reaped);
	KT_EXPECT(th->stack == NULL);
	KT_EXPECT(th->state == TASK_DEAD);
	put_thread(th);
}
