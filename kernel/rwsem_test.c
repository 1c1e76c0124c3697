/*
 * Tests of the sleeping reader/writer semaphore (kernel/rwsem.c): readers
 * share it, a writer has it alone, and a stream of readers cannot keep a
 * writer out.
 *
 * Nothing here waits a fixed time for threads to get somewhere: the tests
 * look at the semaphore itself (who is inside, who is queued) under its
 * lock, and wait until it shows what they need.
 */
#include "kernel/fault_inject.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/rwsem.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"
#include "kernel/wait.h"

static struct rw_semaphore sem;
static int readers_inside, writers_inside;   /* atomic */
static int violations;                       /* atomic */

/*
 * What the semaphore shows, read under its lock. While tasks are queued
 * count changes only under that lock, so the two agree; with nobody
 * queued, fast paths may change count right after.
 */
struct rwsem_view {
	long count;                     /* > 0: readers inside; -1: a writer */
	int queued;                     /* tasks asleep in down_read/down_write */
	bool flagged;                   /* RWSEM_WAITERS up: the fast paths fail */
};

static struct rwsem_view rwsem_look(struct rw_semaphore *s)
{
	struct rwsem_view v = { 0, 0, false };
	struct list_head *pos;

	spin_lock(&s->lock);
	long c = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
	v.count = c & RWSEM_WRITER ? -1 : rwsem_count_readers(c);
	v.flagged = c & RWSEM_WAITERS;
	for (pos = s->waiters.next; pos != &s->waiters; pos = pos->next)
		v.queued++;
	spin_unlock(&s->lock);
	return v;
}

struct reader_meeting {
	int n;                          /* readers that must be inside at once */
	int arrived;                    /* atomic: readers that got in so far */
	bool release;                   /* set by the test: leave now */
	struct wait_queue_head wq;
};

/* Take the read side and stay inside until the test says leave. */
static int meet_inside(void *arg)
{
	struct reader_meeting *m = arg;

	down_read(&sem);
	__atomic_add_fetch(&m->arrived, 1, __ATOMIC_ACQ_REL);
	wait_event(m->wq, READ_ONCE(m->release));
	up_read(&sem);
	return 0;
}

/*
 * Readers on every CPU (and two on one) are all inside at the same time:
 * nobody leaves until all n got in. With no writer about, a reader must
 * never be made to wait; a semaphore that did so (an exclusive one) shows
 * it by a reader queued while another is inside -- state, seen at once,
 * not a reader that failed to arrive within some time.
 */
KTEST(rwsem_readers_concurrent)
{
	struct thread *th[MAX_CPUS + 1];
	static struct reader_meeting m;

	m = (struct reader_meeting){ .n = nr_cpus + 1 };
	init_waitqueue_head(&m.wq, "meeting");
	init_rwsem(&sem, "test_rwsem");
	for (int i = 0; i < m.n; i++)
		th[i] = kthread_run("reader", meet_inside, &m, i % nr_cpus);
	KT_WAIT_FOR(__atomic_load_n(&m.arrived, __ATOMIC_ACQUIRE) == m.n ||
		    rwsem_look(&sem).queued > 0);
	int inside = __atomic_load_n(&m.arrived, __ATOMIC_ACQUIRE);
	struct rwsem_view v = rwsem_look(&sem);
	WRITE_ONCE(m.release, true);
	wake_up_all(&m.wq);
	for (int i = 0; i < m.n; i++)
		kthread_join(th[i]);
	KT_EXPECT_EQ(inside, m.n);
	KT_EXPECT_EQ(v.count, m.n);
	KT_EXPECT_EQ(v.queued, 0);
	KT_EXPECT(!rwsem_is_write_locked(&sem));
	KT_EXPECT(down_write_trylock(&sem));   /* free again */
	up_write(&sem);
}

#define RW_MIN_LOOPS 8                  /* each thread: at least this many */
#define RW_LOOPS 150
#define RW_MS    300                    /* beyond the minimum, until this long */
static u64 guarded;                     /* sem held for writing to change it */
static int rw_started, rw_threads;      /* atomic: the start gate */
static u64 reader_found_writer;         /* atomic: down_reads that could not get in at once */

/* All threads count in, then start together (none finishes before another began). */
static void rw_start_gate(void)
{
	__atomic_fetch_add(&rw_started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&rw_started, __ATOMIC_ACQUIRE) < rw_threads)
		yield();
}

/* At least the minimum, then on until time is up and a reader met a writer. */
static bool rw_go_on(int i, u64 end, u64 *since)
{
	return i < RW_MIN_LOOPS || (i < RW_LOOPS && ktime_ns() < end) ||
	       (!__atomic_load_n(&reader_found_writer, __ATOMIC_RELAXED) && !ktest_hung(since));
}

/* Add one to guarded, RW_MIN_LOOPS times or more; the count made goes to *arg. */
static int writer_loop(void *arg)
{
	u64 end, *made = arg, since = 0;
	int i;

	rw_start_gate();
	end = ktime_ns() + RW_MS * 1000000ull;
	for (i = 0; rw_go_on(i, end, &since); i++) {
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

/* A reader is kept out only by a writer, inside or waiting: count those times. */
static int reader_loop(void *arg)
{
	u64 end, since = 0;

	rw_start_gate();
	end = ktime_ns() + RW_MS * 1000000ull;
	for (int i = 0; rw_go_on(i, end, &since); i++) {
		if (!down_read_trylock(&sem)) {
			__atomic_fetch_add(&reader_found_writer, 1, __ATOMIC_RELAXED);
			down_read(&sem);
		}
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
 * reader sees a change while inside, and no update is lost. That readers
 * and writers really met at the semaphore is counted, not assumed.
 */
KTEST(rwsem_writer_exclusive)
{
	struct thread *th[MAX_CPUS * 2];
	static u64 made[MAX_CPUS * 2];
	int n = 2 * nr_cpus;
	u64 writes = 0;

	init_rwsem(&sem, "test_rwsem");
	guarded = reader_found_writer = 0;
	readers_inside = writers_inside = violations = 0;
	rw_started = 0;
	rw_threads = n;
	for (int i = 0; i < n; i++) {
		made[i] = 0;
		th[i] = kthread_run(i % 2 ? "rw_reader" : "rw_writer",
				    i % 2 ? reader_loop : writer_loop, &made[i], (i / 2) % nr_cpus);
	}
	for (int i = 0; i < n; i++) {
		kthread_join(th[i]);
		writes += made[i];
	}
	KT_EXPECT_EQ(violations, 0);
	KT_EXPECT_EQ(guarded, writes);
	KT_EXPECT(!rwsem_is_write_locked(&sem));
	printk("# rwsem_writer_exclusive: %llu writes; readers found a writer in the way %llu times\n",
	       (unsigned long long)writes, (unsigned long long)reader_found_writer);
	if (!reader_found_writer)
		KT_SKIP("readers and writers never met at the semaphore");
}

static bool stop_readers;
static bool writer_in;                  /* set by the writer while it holds sem */
static u64 read_entries;                /* atomic */
static u64 asked_behind_writer;         /* atomic: down_reads asked with a writer queued */
static u64 passed_writer;               /* atomic: ...that got in before the writer */

/*
 * A task is queued on sem. With no writer about nobody ever queues, and
 * once a writer waits the readers queue behind it: so a task queued means
 * the writer waits, or is in and readers wait for it.
 */
static bool someone_queued(void)
{
	return rwsem_look(&sem).queued > 0;
}

/*
 * Take the read side again and again, holding it across two yields each
 * time. Before each down_read, note whether a writer is queued; if so and
 * we get in before the writer did, we passed a waiting writer.
 */
static int reader_stream(void *arg)
{
	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
		bool behind = someone_queued() && !__atomic_load_n(&writer_in, __ATOMIC_ACQUIRE);
		down_read(&sem);
		if (behind) {
			__atomic_fetch_add(&asked_behind_writer, 1, __ATOMIC_RELAXED);
			if (!__atomic_load_n(&writer_in, __ATOMIC_ACQUIRE))
				__atomic_fetch_add(&passed_writer, 1, __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&read_entries, 1, __ATOMIC_RELAXED);
		yield();
		yield();
		up_read(&sem);
	}
	return 0;
}

/* writer_in stays true once set: a reader let in after the write sees it. */
static int one_write(void *arg)
{
	down_write(&sem);
	__atomic_store_n(&writer_in, true, __ATOMIC_RELEASE);
	up_write(&sem);
	return 0;
}

/* Reads that a semaphore letting readers pass a waiting writer would let in. */
#define STARVED_READS(n) (50ull * (n))

/*
 * Readers on every CPU overlap so that the semaphore is never free; then a
 * writer asks for it. Once it waits, every reader that asks later must
 * queue behind it: none may get in before the writer did. A semaphore
 * that lets readers in while a writer waits lets them in by the hundred,
 * so the test stops waiting for the writer after STARVED_READS reads made
 * since it was seen queued. That some reader asked while the writer
 * waited is counted, not assumed.
 */
KTEST(rwsem_writer_not_starved)
{
	struct thread *th[MAX_CPUS * 2];
	int n = 2 * nr_cpus;

	init_rwsem(&sem, "test_rwsem");
	stop_readers = writer_in = false;
	read_entries = asked_behind_writer = passed_writer = 0;
	for (int i = 0; i < n; i++)
		th[i] = kthread_run("reader_stream", reader_stream, NULL, i % nr_cpus);
	KT_WAIT_FOR(rwsem_look(&sem).count > 0);
	struct thread *w = kthread_run("writer", one_write, NULL, -1);
	KT_WAIT_FOR(someone_queued() || __atomic_load_n(&writer_in, __ATOMIC_ACQUIRE));
	u64 before = __atomic_load_n(&read_entries, __ATOMIC_RELAXED);
	KT_WAIT_FOR(__atomic_load_n(&writer_in, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&read_entries, __ATOMIC_RELAXED) - before > STARVED_READS(n));
	bool got_in = __atomic_load_n(&writer_in, __ATOMIC_ACQUIRE);
	__atomic_store_n(&stop_readers, true, __ATOMIC_RELEASE);
	kthread_join(w);
	for (int i = 0; i < n; i++)
		kthread_join(th[i]);
	printk("# rwsem_writer_not_starved: %d readers; %llu read attempts while the writer "
	       "waited, %llu of them got in before it\n", n,
	       (unsigned long long)asked_behind_writer, (unsigned long long)passed_writer);
	KT_EXPECT(got_in);
	KT_EXPECT_EQ(passed_writer, 0);
	if (!asked_behind_writer)
		KT_SKIP("no reader asked while the writer waited");
}

/* --- downgrade_write ------------------------------------------------------ */

struct dg_task {
	bool writer;
	int order;                      /* atomic: 1, 2, ...: when it got in (0: not yet) */
	bool release;                   /* set by the test: leave now */
};
static int dg_entries;                  /* atomic: tasks that got in so far */
static struct wait_queue_head dg_wq;

/* Take sem as told, note when we got in, and stay until released. */
static int dg_take(void *arg)
{
	struct dg_task *d = arg;

	if (d->writer)
		down_write(&sem);
	else
		down_read(&sem);
	__atomic_store_n(&d->order, __atomic_add_fetch(&dg_entries, 1, __ATOMIC_ACQ_REL),
			 __ATOMIC_RELEASE);
	wait_event(dg_wq, READ_ONCE(d->release));
	if (d->writer)
		up_write(&sem);
	else
		up_read(&sem);
	return 0;
}

static void dg_release(struct dg_task *d)
{
	WRITE_ONCE(d->release, true);
	wake_up_all(&dg_wq);
}

static int dg_order(struct dg_task *d)
{
	return __atomic_load_n(&d->order, __ATOMIC_ACQUIRE);
}

/*
 * The queue behind a writer holds a reader, a writer and a reader, in that
 * order (each started only once the one before is seen queued). Then the
 * holder downgrades. At once, under the lock: the first reader was granted
 * (count 2: the downgraded holder and it), the writer and the reader behind
 * it were not (2 still queued) -- so nothing here waits for an event that
 * must not happen. Then the rest is let go in turn, and the order they got
 * in is counted: reader, writer, reader. A downgrade that wakes nobody
 * leaves count 1 and three queued; one that lets every reader in, count 3;
 * one that releases the semaphore instead lets the writer in.
 */
KTEST(rwsem_downgrade_wakes_readers_not_writers)
{
	static struct dg_task d[3];
	struct thread *th[3];

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	init_rwsem(&sem, "test_rwsem");
	init_waitqueue_head(&dg_wq, "downgrade");
	dg_entries = 0;
	down_write(&sem);
	for (int i = 0; i < 3; i++) {
		d[i] = (struct dg_task){ .writer = i == 1 };
		th[i] = kthread_run(i == 1 ? "dg_writer" : "dg_reader", dg_take, &d[i],
				    1 + i % (nr_cpus - 1));
		KT_WAIT_FOR(rwsem_look(&sem).queued == i + 1);
	}
	downgrade_write(&sem);
	struct rwsem_view v = rwsem_look(&sem);
	KT_EXPECT_EQ(v.count, 2);
	KT_EXPECT_EQ(v.queued, 2);
	KT_EXPECT(!rwsem_is_write_locked(&sem));
	KT_WAIT_FOR(dg_order(&d[0]) != 0);
	KT_EXPECT_EQ(dg_order(&d[0]), 1);
	KT_EXPECT_EQ(dg_order(&d[1]), 0);         /* the writer waits for both readers */
	up_read(&sem);                            /* the downgraded holder leaves... */
	dg_release(&d[0]);                        /* ...and the first reader: the writer's turn */
	KT_WAIT_FOR(dg_order(&d[1]) != 0);
	dg_release(&d[1]);
	KT_WAIT_FOR(dg_order(&d[2]) != 0);
	dg_release(&d[2]);
	for (int i = 0; i < 3; i++)
		kthread_join(th[i]);
	KT_EXPECT_EQ(dg_order(&d[1]), 2);
	KT_EXPECT_EQ(dg_order(&d[2]), 3);
	KT_EXPECT_EQ(rwsem_look(&sem).count, 0);
}

/*
 * With nobody queued, a downgraded holder is an ordinary reader: another
 * reader gets in beside it, a writer does not, and the one up_read of each
 * reader leaves it free.
 */
KTEST(rwsem_downgrade_alone)
{
	init_rwsem(&sem, "test_rwsem");
	down_write(&sem);
	KT_EXPECT(!down_read_trylock(&sem));
	downgrade_write(&sem);
	KT_EXPECT(!rwsem_is_write_locked(&sem));
	KT_EXPECT(down_read_trylock(&sem));
	KT_EXPECT_EQ(rwsem_look(&sem).count, 2);
	KT_EXPECT(!down_write_trylock(&sem));
	up_read(&sem);
	up_read(&sem);
	KT_EXPECT(down_write_trylock(&sem));
	up_write(&sem);
}

/* --- Lost wake-ups: a reader leaving by the fast path, a writer going to sleep --- */

static struct {
	bool writer_in;                 /* set by the writer once it holds sem */
	bool release;                   /* set by the test: up_write now */
	struct wait_queue_head wq;
} lw;

static int lw_writer(void *arg)
{
	down_write(&sem);
	__atomic_store_n(&lw.writer_in, true, __ATOMIC_RELEASE);
	wait_event(lw.wq, READ_ONCE(lw.release));
	up_write(&sem);
	return 0;
}

static void lw_start(void)
{
	init_rwsem(&sem, "test_rwsem");
	lw.writer_in = lw.release = false;
	init_waitqueue_head(&lw.wq, "lost_wakeup");
}

static bool lw_writer_in(void)
{
	return __atomic_load_n(&lw.writer_in, __ATOMIC_ACQUIRE);
}

/* A writer asleep on a free semaphore: nobody is left to wake it. */
static bool lw_writer_stranded(void)
{
	struct rwsem_view v = rwsem_look(&sem);
	return v.queued == 1 && v.count == 0;
}

#define LW_HOLD_MS 10000                /* only the limit: the awaited change ends each hold */

/*
 * The start both tests share: we hold sem for reading, and a writer thread
 * on CPU 1 runs into the point fi, where it stays until the change the
 * test makes ends the hold (the point is disarmed for later passes).
 * *events0: fi's events before, to count the one the test's change causes.
 */
static struct thread *lw_writer_held_at(struct ktest_ctx *t, struct fault_inject *fi,
					unsigned long *events0)
{
	lw_start();
	down_read(&sem);
	unsigned long hits0 = fault_inject_hits(fi);
	*events0 = fault_inject_events(fi);
	fault_inject_set(fi, LW_HOLD_MS);
	struct thread *th = kthread_run("lw_writer", lw_writer, NULL, 1);
	KT_WAIT_FOR(fault_inject_hits(fi) > hits0);
	fault_inject_set(fi, 0);
	return th;
}

/*
 * The window before the flag. We hold sem for reading; a writer fails its
 * fast path and takes sem->lock, and the point rwsem_slow_take holds it
 * there, its RWSEM_WAITERS not raised yet, until count changes. We leave
 * by the fast path meanwhile -- nothing tells us anyone is coming -- and
 * that ends the hold (one event; a slow-path up_read would wait for
 * sem->lock and the hold would time out). The writer must now see us
 * gone: it decides on the value its fetch_or returns, finds the semaphore
 * free and takes it without sleeping. A writer that decided on count read
 * before raising the flag would queue for a reader already gone, and
 * sleep on a free semaphore for ever.
 */
KTEST(rwsem_up_read_races_writer_flagging)
{
	struct fault_inject *fi = fault_inject_find("rwsem_slow_take");

	KT_ASSERT(fi != NULL);
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	unsigned long events0;
	struct thread *th = lw_writer_held_at(t, fi, &events0);
	up_read(&sem);
	KT_WAIT_FOR(lw_writer_in() || lw_writer_stranded());
	KT_EXPECT_EQ(fault_inject_events(fi) - events0, 1);   /* we left inside its window */
	KT_ASSERT(lw_writer_in());                             /* else: a lost wake-up */
	KT_EXPECT_EQ(rwsem_look(&sem).queued, 0);              /* it never queued */
	WRITE_ONCE(lw.release, true);
	wake_up_all(&lw.wq);
	kthread_join(th);
	KT_EXPECT_EQ(rwsem_look(&sem).count, 0);
}

/*
 * The window after the flag. A writer queued behind our read lock has
 * dropped sem->lock and set its sleeping state, and the point rwsem_sleep
 * holds it there, before schedule(), until it is told -- granted, or
 * woken to try. We leave: the flag fails our fast path, so up_read takes
 * sem->lock and tells the writer before it returns, and that ends the hold
 * (one event); the wake-up makes its schedule() return. An up_read that
 * left by the fast path in spite of the flag would leave the writer
 * queued on a free semaphore, asleep for ever. Both ways of telling it:
 * with rwsem_handoff_us 0 our up_read grants it (the semaphore is the
 * writer's at once, no waiting needed to see it); with a handoff too far
 * off to come, it is woken and takes the free semaphore itself.
 */
/* An rwsem_handoff_us no test lives to see: a writer is only ever woken to try. */
#define HANDOFF_NEVER_US (1000ul * 1000 * 1000)

static void up_read_tells_writer_about_to_sleep(struct ktest_ctx *t, bool handoff)
{
	struct fault_inject *fi = fault_inject_find("rwsem_sleep");

	KT_ASSERT(fi != NULL);
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	unsigned long saved = rwsem_handoff_us, events0;
	unsigned long handoffs0 = vm_event_sum(RWSEM_HANDOFF);
	rwsem_handoff_us = handoff ? 0 : HANDOFF_NEVER_US;
	struct thread *th = lw_writer_held_at(t, fi, &events0);
	KT_EXPECT(rwsem_look(&sem).flagged);
	up_read(&sem);
	if (handoff)
		KT_EXPECT(rwsem_is_write_locked(&sem));       /* granted by our up_read */
	KT_WAIT_FOR(lw_writer_in());
	rwsem_handoff_us = saved;
	KT_EXPECT_EQ(fault_inject_events(fi) - events0, 1);   /* telling it ended the hold */
	KT_EXPECT_EQ(vm_event_sum(RWSEM_HANDOFF) - handoffs0, (unsigned long)handoff);
	WRITE_ONCE(lw.release, true);
	wake_up_all(&lw.wq);
	kthread_join(th);
	struct rwsem_view v = rwsem_look(&sem);
	KT_EXPECT_EQ(v.count, 0);
	KT_EXPECT(!v.flagged);                                 /* the fast paths are open again */
}

KTEST(rwsem_up_read_wakes_writer_about_to_sleep)
{
	up_read_tells_writer_about_to_sleep(t, false);
}

KTEST(rwsem_up_read_hands_off_to_writer_about_to_sleep)
{
	up_read_tells_writer_about_to_sleep(t, true);
}

/* --- Lock stealing: a running writer before a woken one ------------------ */

static bool thief_in;                   /* atomic: the stealing writer holds sem */
static bool thief_release;

static int thief(void *arg)
{
	(void)arg;
	down_write(&sem);
	__atomic_store_n(&thief_in, true, __ATOMIC_RELEASE);
	wait_event(lw.wq, READ_ONCE(thief_release));
	up_write(&sem);
	return 0;
}

/*
 * A writer W sleeps queued behind our read lock. Our up_read wakes it to
 * take the free semaphore, and the point rwsem_woken holds it, awake but
 * not yet trying, until some writer holds sem. Another writer, the thief,
 * asks meanwhile: it must get in at once, past W (rwsem_steal counts it),
 * and W, trying then, must find it taken and sleep again, still queued
 * first -- not get in beside the thief. When the thief leaves, its up_write
 * wakes W again and W gets in. Without stealing, the thief queues behind
 * W, W waits out the hold (LW_HOLD_MS) and gets in first: the test sees W
 * in, not the thief.
 */
KTEST(rwsem_writer_steals_from_woken)
{
	struct fault_inject *woken = fault_inject_find("rwsem_woken");

	KT_ASSERT(woken != NULL);
	if (nr_cpus < 3)
		KT_SKIP("needs 3 CPUs");
	unsigned long saved = rwsem_handoff_us, events0;
	unsigned long steals0 = vm_event_sum(RWSEM_STEAL);
	rwsem_handoff_us = HANDOFF_NEVER_US;
	lw_start();
	thief_in = thief_release = false;
	down_read(&sem);
	struct thread *w = kthread_run("lw_writer", lw_writer, NULL, 1);
	KT_WAIT_FOR(rwsem_look(&sem).queued == 1);
	unsigned long hits0 = fault_inject_hits(woken);
	events0 = fault_inject_events(woken);
	fault_inject_set(woken, LW_HOLD_MS);
	up_read(&sem);                             /* W is woken to try, and held */
	KT_WAIT_FOR(fault_inject_hits(woken) > hits0);
	fault_inject_set(woken, 0);
	struct thread *th = kthread_run("thief", thief, NULL, 2);
	KT_WAIT_FOR(__atomic_load_n(&thief_in, __ATOMIC_ACQUIRE) || lw_writer_in());
	bool stole = __atomic_load_n(&thief_in, __ATOMIC_ACQUIRE);
	KT_EXPECT(stole);
	KT_EXPECT_EQ(vm_event_sum(RWSEM_STEAL) - steals0, (unsigned long)stole);
	KT_EXPECT_EQ(fault_inject_events(woken) - events0, 1);   /* the theft ended W's hold */
	/* W has tried and gone back to sleep, first in the queue, not beside the thief. */
	KT_WAIT_FOR(!READ_ONCE(w->on_rq) || lw_writer_in());
	KT_EXPECT(!lw_writer_in());
	KT_EXPECT_EQ(rwsem_look(&sem).queued, 1);
	WRITE_ONCE(thief_release, true);
	wake_up_all(&lw.wq);
	KT_WAIT_FOR(lw_writer_in());
	rwsem_handoff_us = saved;
	WRITE_ONCE(lw.release, true);
	wake_up_all(&lw.wq);
	kthread_join(th);
	kthread_join(w);
	KT_EXPECT_EQ(rwsem_look(&sem).count, 0);
}
