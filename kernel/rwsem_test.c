/*
 * Tests of the sleeping reader/writer semaphore (kernel/rwsem.c): readers
 * share it, a writer has it alone, and a stream of readers cannot keep a
 * writer out.
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/rwsem.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/wait.h"

static struct rw_semaphore sem;
static int readers_inside, writers_inside;   /* atomic */
static int violations;                       /* atomic */

struct reader_meeting {
	int n;                          /* readers that must be inside at once */
	int arrived;                    /* atomic: readers that got in so far */
	int met;                        /* atomic: readers that saw all n inside */
	struct wait_queue_head wq;
};

/*
 * Take the read side, then wait (2 s at most) until all n readers got in
 * before leaving: since nobody leaves before the n-th arrives, all n hold
 * it together at that moment. With an exclusive lock the second reader
 * could not get in, and the first would give up after 2 s.
 */
static int meet_inside(void *arg)
{
	struct reader_meeting *m = arg;

	down_read(&sem);
	if (__atomic_add_fetch(&m->arrived, 1, __ATOMIC_ACQ_REL) == m->n)
		wake_up_all(&m->wq);
	if (wait_event_timeout(m->wq, __atomic_load_n(&m->arrived, __ATOMIC_ACQUIRE) >= m->n,
			       2000000000ull))
		__atomic_fetch_add(&m->met, 1, __ATOMIC_RELAXED);
	up_read(&sem);
	return 0;
}

/* Readers on every CPU (and two on one) are all inside at the same time. */
KTEST(rwsem_readers_concurrent)
{
	struct thread *th[MAX_CPUS + 1];
	static struct reader_meeting m;

	m = (struct reader_meeting){ .n = nr_cpus + 1 };
	init_waitqueue_head(&m.wq, "meeting");
	init_rwsem(&sem, "test_rwsem");
	for (int i = 0; i < m.n; i++)
		th[i] = kthread_run("reader", meet_inside, &m, i % nr_cpus);
	for (int i = 0; i < m.n; i++)
		kthread_join(th[i]);
	KT_EXPECT_EQ(m.met, m.n);
	KT_EXPECT(!rwsem_is_write_locked(&sem));
	KT_EXPECT(down_write_trylock(&sem));   /* free again */
	up_write(&sem);
}

#define RW_LOOPS 150
#define RW_MS    300                    /* or until this long (emulation is slow) */
static u64 guarded;                     /* sem held for writing to change it */

/* Add one to guarded RW_LOOPS times or for RW_MS; the count made goes to *arg. */
static int writer_loop(void *arg)
{
	u64 end = ktime_ns() + RW_MS * 1000000ull, *made = arg;
	int i;

	for (i = 0; i < RW_LOOPS && ktime_ns() < end; i++) {
		down_write(&sem);
		if (__atomic_fetch_add(&writers_inside, 1, __ATOMIC_ACQ_REL) ||
		    __atomic_load_n(&readers_inside, __ATOMIC_ACQUIRE))
			__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
		u64 v = guarded;
		if (i % 4 == 0)
			yield();                /* a writer may sleep holding it */
		guarded = v + 1;
		__atomic_fetch_sub(&writers_inside, 1, __ATOMIC_ACQ_REL);
		up_write(&sem);
	}
	*made = i;
	return 0;
}

static int reader_loop(void *arg)
{
	u64 end = ktime_ns() + RW_MS * 1000000ull;

	for (int i = 0; i < RW_LOOPS && ktime_ns() < end; i++) {
		down_read(&sem);
		__atomic_fetch_add(&readers_inside, 1, __ATOMIC_ACQ_REL);
		u64 v = READ_ONCE(guarded);
		yield();
		if (READ_ONCE(guarded) != v || __atomic_load_n(&writers_inside, __ATOMIC_ACQUIRE))
			__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&readers_inside, 1, __ATOMIC_ACQ_REL);
		up_read(&sem);
	}
	return 0;
}

/*
 * Writers and readers on every CPU: no writer ever overlaps anyone, no
 * reader sees a change while inside, and no update is lost.
 */
KTEST(rwsem_writer_exclusive)
{
	struct thread *th[MAX_CPUS * 2];
	static u64 made[MAX_CPUS * 2];
	int n = 2 * nr_cpus;
	u64 writes = 0;

	init_rwsem(&sem, "test_rwsem");
	guarded = 0;
	readers_inside = writers_inside = violations = 0;
	for (int i = 0; i < n; i++) {
		made[i] = 0;
		th[i] = kthread_run(i % 2 ? "rw_reader" : "rw_writer",
				    i % 2 ? reader_loop : writer_loop, &made[i], i % nr_cpus);
	}
	for (int i = 0; i < n; i++) {
		kthread_join(th[i]);
		writes += made[i];
	}
	KT_EXPECT_EQ(violations, 0);
	KT_EXPECT(writes > 0);
	KT_EXPECT_EQ(guarded, writes);
	KT_EXPECT(!rwsem_is_write_locked(&sem));
}

static bool stop_readers;
static u64 read_entries;                /* atomic */

/* Take the read side again and again, holding it across two yields each time. */
static int reader_stream(void *arg)
{
	u64 deadline = ktime_ns() + 1000000000ull;

	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE) && ktime_ns() < deadline) {
		down_read(&sem);
		__atomic_fetch_add(&read_entries, 1, __ATOMIC_RELAXED);
		yield();
		yield();
		up_read(&sem);
	}
	return 0;
}

/*
 * Readers on every CPU overlap so that the semaphore is never free; then a
 * writer asks for it. Once it waits, readers that come later queue behind
 * it, so it gets in after only the few readers already on their way
 * (bounded: at most two per reader thread). A semaphore that lets readers
 * in while a writer waits lets them in by the hundred, until the readers'
 * one-second deadline stops them.
 */
KTEST(rwsem_writer_not_starved)
{
	struct thread *th[MAX_CPUS * 2];
	int n = 2 * nr_cpus;

	init_rwsem(&sem, "test_rwsem");
	stop_readers = false;
	read_entries = 0;
	for (int i = 0; i < n; i++)
		th[i] = kthread_run("reader_stream", reader_stream, NULL, i % nr_cpus);
	sleep_ns(30000000);
	u64 before = __atomic_load_n(&read_entries, __ATOMIC_RELAXED);
	u64 t0 = ktime_ns();
	down_write(&sem);
	u64 during = __atomic_load_n(&read_entries, __ATOMIC_RELAXED) - before;
	u64 waited = ktime_ns() - t0;
	up_write(&sem);
	__atomic_store_n(&stop_readers, true, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		kthread_join(th[i]);
	KT_EXPECT(before > 0);
	KT_EXPECT(during <= 2ull * n);
	printk("# rwsem_writer_not_starved: %d readers, %llu reads before; the writer waited "
	       "%llu us while %llu more reads got in\n", n, (unsigned long long)before,
	       (unsigned long long)waited / 1000, (unsigned long long)during);
}
