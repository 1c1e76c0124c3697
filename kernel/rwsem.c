/*
 * Reader/writer semaphores that sleep (see rwsem.h for count's bits).
 *
 * Fast path. While nobody waits, a reader gets in with one
 * compare-and-swap that adds RWSEM_READER_BIAS to count, and leaves with
 * one that takes it off; a writer swaps 0 for RWSEM_WRITER and back. No
 * lock: faults on every CPU enter mmap_lock for reading together and
 * touch nothing but this one word. Buys: each down_read and up_read used
 * to take the inner spinlock, the most acquired lock of the 4-thread fault
 * benchmark (page_fault1 threads=4 ms=3000: 1.8-1.9 M acquisitions, 57-62 k
 * of them contended, 0.8 s spent spinning -- under vCPU overcommit a
 * preempted holder makes the others spin a host time slice); with the fast
 * path the inner lock is taken 4.5 k times in the same run.
 *
 * Slow path. A task that cannot get in takes sem->lock, raises
 * RWSEM_WAITERS and queues. The flag makes every fast path fail -- a
 * newcomer's, and a releaser's -- so from then on count changes only
 * under sem->lock, and whoever releases it last finds the flag, takes the
 * lock and hands the semaphore on. Waiters are served in arrival order:
 * the run of readers at the head of the queue is granted the semaphore
 * together, by the release that lets them in. Since a newcomer can take
 * the fast path only while nobody waits, once a writer waits new readers
 * queue behind it: a stream of readers cannot starve a writer.
 *
 * A writer at the head is not granted a free semaphore; it is woken to
 * take it itself, and a writer that is running and asks meanwhile may
 * take it first (lock stealing, Linux's rwsem does the same). Why: a
 * granted semaphore belongs to its new owner from the grant on, and the
 * owner is asleep -- its CPU halted, on an overcommitted host perhaps not
 * even running. Nobody can use the semaphore until the owner's CPU has
 * taken the wake-up IPI and scheduled it, and everyone who asks meanwhile
 * queues behind it and sleeps too: a convoy. Measured: page_fault1
 * threads=4 (mmap, madvise and munmap each take mmap_lock for writing,
 * 4 vCPUs on 2 host cores) spent 0.78 of its 1.85 s asleep on mmap_lock
 * between its grants and its owners running -- 0.5 ms a grant. Buys
 * (rwsem_handoff_us=0 against the default, 6 alternating boots each):
 * page_fault1 threads=4 548-566 k -> 561-575 k faults/s, mmap_lock asleep
 * 1.7 -> 1.4 s in 3 s. Less than the sleep saved: a halted vCPU gives its
 * host core to the others, so what a convoy wastes is mostly its extra
 * wake-ups and switches, not the time asleep. A woken
 * writer that finds the semaphore taken again sleeps again, still first
 * in the queue; so that stealers cannot starve it, once it has waited
 * rwsem_handoff_us nobody steals and the next release grants it as above
 * (Linux's handoff bit, after 4 ms as in Linux). Readers never steal: a
 * reader passing a waiting writer is what the queue is there to prevent.
 * Counters: rwsem_steal, rwsem_handoff.
 *
 * Lost wake-ups. The fast path opens one race the spinlock used to close:
 * a reader leaving by the fast path while a writer decides to sleep. The
 * writer decides on the value that its fetch_or of RWSEM_WAITERS returns
 * -- the flag raised and the value read in one instruction -- so a reader
 * that left just before is already out of that value, and one that
 * leaves just after finds the flag, fails its compare-and-swap and takes
 * the slow path, which waits for sem->lock and grants. A writer that read
 * count first and raised the flag after would sleep for a reader already
 * gone (rwsem_test.c: rwsem_up_read_races_writer_flagging; and
 * rwsem_up_read_wakes_writer_about_to_sleep for the releaser's side).
 * After queueing, the grant is decided under sem->lock (count set for
 * the waiter); the waiter is told (`granted`) and woken after the lock
 * is dropped, and checks `granted` after setting its sleeping state
 * (kernel/sched.c), with no lock: a woken reader does not queue on
 * sem->lock again behind its waker. A writer woken to try (`woken`) takes
 * sem->lock to try; told while it was still awake, it sees `woken` after
 * setting its sleeping state and tries again instead of sleeping.
 *
 * Lock statistics (kernel/lockstat.h): class sem->name counts every
 * acquisition, and one that slept as contended, with the time asleep as
 * its wait; the inner lock is class "rwsem.wait_lock".
 */
#include "kernel/rwsem.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "kernel/lockstat.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"

/*
 * Fault injection for the lost-wake-up tests (kernel/rwsem_test.c, which
 * switch them on themselves). rwsem_slow_take holds a task in the slow
 * path, sem->lock held, before it raises RWSEM_WAITERS, until count
 * changes (a fast-path release). rwsem_sleep holds a queued waiter after
 * it dropped sem->lock, its sleeping state set, before schedule(), until
 * it is granted or woken to try. rwsem_woken holds a writer woken to try,
 * before it takes sem->lock to try, until a writer has taken the
 * semaphore (a stealer: rwsem_test.c, rwsem_writer_steals_from_woken).
 */
DEFINE_FAULT_INJECT(fi_rwsem_slow_take, "rwsem_slow_take",
		    "hold an rwsem's slow path before it raises the waiters flag, until count "
		    "changes");
DEFINE_FAULT_INJECT(fi_rwsem_woken, "rwsem_woken",
		    "hold a queued rwsem writer woken to take the semaphore, before it tries, "
		    "until another writer takes it");
DEFINE_FAULT_INJECT(fi_rwsem_sleep, "rwsem_sleep",
		    "hold a queued rwsem waiter between dropping the wait lock and schedule(), "
		    "until it is granted");

struct rwsem_waiter {
	struct list_head list;
	struct thread *thread;
	bool writer;
	bool granted;                  /* it owns the semaphore now (set last, released) */
	bool woken;                    /* writer: it went free, come and try (under sem->lock) */
	u64 queued_ns;                 /* when it queued: rwsem_handoff_us counts from here */
};

/*
 * How long a writer first in the queue may lose the race for a free
 * semaphore before a release grants it instead (see the top of the file).
 * 0: every release grants, strict FIFO -- the convoy, for a student to
 * watch. Tests set it (rwsem_test.c).
 */
unsigned long rwsem_handoff_us = 4000;
BOOT_OPTION_ULONG("rwsem_handoff_us", rwsem_handoff_us, "a writer first in an rwsem's queue "
		  "is woken to take it and may be beaten to it for this long, then it is handed "
		  "the semaphore (0: always handed, strict FIFO; 4000)");

void init_rwsem(struct rw_semaphore *sem, const char *name)
{
	sem->count = 0;
	spin_lock_init(&sem->lock, "rwsem.wait_lock");
	INIT_LIST_HEAD(&sem->waiters);
	sem->name = name;
}

/* One acquisition for the lock statistics; slept_ns > 0 if it slept. */
static inline void rwsem_stat(const struct rw_semaphore *sem, u64 slept_ns)
{
	if (unlikely(lockstat_enabled))
		lockstat_note_class(sem->name, 0, slept_ns);
}

/* --- Fast paths: one compare-and-swap, only while RWSEM_WAITERS is clear -- */

static bool read_trylock_fast(struct rw_semaphore *sem)
{
	long c = __atomic_load_n(&sem->count, __ATOMIC_RELAXED);

	/* Acquire: pairs with the release of the last writer's up_write. */
	while (!(c & (RWSEM_WRITER | RWSEM_WAITERS)))
		if (__atomic_compare_exchange_n(&sem->count, &c, c + RWSEM_READER_BIAS, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;                 /* a writer inside, or someone queued */
}

static bool write_trylock_fast(struct rw_semaphore *sem)
{
	long free = 0;

	return __atomic_compare_exchange_n(&sem->count, &free, RWSEM_WRITER, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* --- Slow paths: sem->lock --------------------------------------------- */

/* Has waiter w, first in the queue, waited long enough to be handed the semaphore? */
static bool handoff_due(const struct rwsem_waiter *w)
{
	return ktime_ns() - w->queued_ns >= READ_ONCE(rwsem_handoff_us) * 1000;
}

/* The waiters to wake once sem->lock is dropped. */
struct rwsem_wake {
	struct list_head granted;      /* granted, off the queue */
	struct thread *writer;         /* the writer still queued, woken to try (or NULL),
					* referenced under sem->lock */
};

#define RWSEM_WAKE_INIT(name) { LIST_HEAD_INIT(name.granted), NULL }

/* Off the queue, for *w to own; the flag goes down with the last waiter. */
static long dequeue_owner(struct rw_semaphore *sem, struct rwsem_waiter *w, long c)
{
	list_del_init(&w->list);
	return list_empty(&sem->waiters) ? c & ~RWSEM_WAITERS : c;
}

/*
 * sem->lock held, RWSEM_WAITERS set (so count is ours to change), after a
 * release: hand the semaphore on in FIFO order. The run of readers at the
 * head is granted -- count first, then they move to wake->granted, to be
 * told once sem->lock is dropped (rwsem_wake_up). A writer at the head of
 * a free semaphore is only woken to try (woken, and wake->writer; see the
 * top of the file), unless its handoff is due: then it is granted too.
 */
static void rwsem_mark_wake(struct rw_semaphore *sem, struct rwsem_wake *wake)
{
	long c = __atomic_load_n(&sem->count, __ATOMIC_RELAXED);

	while (!list_empty(&sem->waiters)) {
		struct rwsem_waiter *w = list_first_entry(&sem->waiters, struct rwsem_waiter, list);
		if (w->writer && (c & ~RWSEM_WAITERS))
			break;                /* a writer needs it free */
		if (!w->writer && (c & RWSEM_WRITER))
			break;
		if (w->writer && !handoff_due(w)) {
			WRITE_ONCE(w->woken, true);
			wake->writer = w->thread;
			get_thread(w->thread);    /* it may take the semaphore and exit before we wake it */
			break;
		}
		if (w->writer)
			count_vm_event(RWSEM_HANDOFF);
		c = dequeue_owner(sem, w, c + (w->writer ? RWSEM_WRITER : RWSEM_READER_BIAS));
		list_add_tail(&w->list, &wake->granted);
		if (w->writer)
			break;
	}
	if (list_empty(&sem->waiters))
		c &= ~RWSEM_WAITERS;          /* the fast paths are open again */
	__atomic_store_n(&sem->count, c, __ATOMIC_RELEASE);
}

/*
 * sem->lock dropped: tell each waiter on wake that the semaphore is its
 * own, and wake it. Outside the lock, so that the wake-up IPIs and the
 * woken tasks do not keep others waiting for it (Linux's wake_q). Setting
 * granted is the last touch of a waiter: it may return from down_* and
 * its stack frame -- *w -- be gone, and its thread even exit, before
 * wake_up_process: hence the thread pointer read first and the reference.
 */
static void rwsem_wake_up(struct rwsem_wake *wake)
{
	struct rwsem_waiter *w, *next;

	list_for_each_entry_safe(w, next, &wake->granted, list) {
		struct thread *t = w->thread;
		get_thread(t);
		/* Release: pairs with rwsem_wait's acquire; the count we set is seen. */
		__atomic_store_n(&w->granted, true, __ATOMIC_RELEASE);
		wake_up_process(t);
		put_thread(t);
	}
	if (wake->writer) {                   /* told under sem->lock: its waiter may be gone */
		wake_up_process(wake->writer);
		put_thread(wake->writer);
	}
}

struct count_watch {
	const long *count;
	long seen;
};

static bool count_changed(void *arg)
{
	const struct count_watch *w = arg;
	return __atomic_load_n(w->count, __ATOMIC_RELAXED) != w->seen;
}

/*
 * sem->lock held. Raise RWSEM_WAITERS and decide on the value it replaced
 * (see the top of the file): take the semaphore now, and return true, if
 * nobody is queued and it is free enough (lowering the flag again), or if
 * we are a writer, it is free and the writer first in the queue is not
 * due its handoff (stealing: the flag stays up for those queued); else
 * return false with the flag up, for the caller to queue.
 */
static bool take_or_flag(struct rw_semaphore *sem, bool writer)
{
	if (READ_ONCE(fi_rwsem_slow_take.ms)) {               /* fault injection */
		struct count_watch w = { &sem->count, __atomic_load_n(&sem->count, __ATOMIC_RELAXED) };
		fault_inject_hold_until(&fi_rwsem_slow_take, count_changed, &w);
	}
	long c = __atomic_fetch_or(&sem->count, RWSEM_WAITERS, __ATOMIC_ACQUIRE);

	if (!list_empty(&sem->waiters)) {
		/* A writer may steal a free semaphore from sleepers, unless the first is due. */
		struct rwsem_waiter *first =
			list_first_entry(&sem->waiters, struct rwsem_waiter, list);
		if (!writer || (c & ~RWSEM_WAITERS) || handoff_due(first))
			return false;         /* FIFO: behind those */
		__atomic_store_n(&sem->count, RWSEM_WRITER | RWSEM_WAITERS, __ATOMIC_RELAXED);
		count_vm_event(RWSEM_STEAL);
		return true;
	}
	if (writer ? c != 0 : (c & RWSEM_WRITER))
		return false;
	/* The flag we raised fails every fast path: count is still c, ours to set. */
	__atomic_store_n(&sem->count, writer ? RWSEM_WRITER : c + RWSEM_READER_BIAS,
			 __ATOMIC_RELAXED);
	return true;
}

/*
 * sem->lock held: writer w, queued and woken, tries to take the semaphore
 * (free, or a stealer was quicker). True if it now holds it, off the queue.
 */
static bool woken_writer_takes(struct rw_semaphore *sem, struct rwsem_waiter *w)
{
	long c = __atomic_load_n(&sem->count, __ATOMIC_RELAXED);

	WRITE_ONCE(w->woken, false);
	if (c & ~RWSEM_WAITERS)
		return false;
	__atomic_store_n(&sem->count, dequeue_owner(sem, w, c | RWSEM_WRITER), __ATOMIC_RELAXED);
	return true;
}

static bool waiter_granted(void *arg)
{
	return __atomic_load_n(&((struct rwsem_waiter *)arg)->granted, __ATOMIC_ACQUIRE);
}

static bool sem_write_locked(void *arg)
{
	return rwsem_is_write_locked(arg);
}

static bool waiter_told(void *arg)
{
	struct rwsem_waiter *w = arg;
	return waiter_granted(w) || READ_ONCE(w->woken);
}

/*
 * Sleep until w holds sem (queued, sem->lock dropped). No lock to sleep:
 * the releaser sets granted or woken, then wakes us; we set our sleeping
 * state (a full barrier), then look at both -- one of the two sees the
 * other (kernel/sched.c, the wake-up race). Woken to try, we take
 * sem->lock and try; failing, we sleep again, first in the queue.
 */
static void rwsem_wait(struct rw_semaphore *sem, struct rwsem_waiter *w)
{
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (waiter_granted(w))
			break;
		if (READ_ONCE(w->woken)) {
			__set_current_state(TASK_RUNNING);
			if (READ_ONCE(fi_rwsem_woken.ms))                 /* fault injection */
				fault_inject_hold_until(&fi_rwsem_woken, sem_write_locked, sem);
			spin_lock(&sem->lock);
			bool in = waiter_granted(w) || woken_writer_takes(sem, w);
			spin_unlock(&sem->lock);
			if (in)
				return;
			continue;
		}
		fault_inject_hold_until(&fi_rwsem_sleep, waiter_told, w);   /* fault injection */
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

/* Get in by the slow path, sleeping if we must. */
static void down_slow(struct rw_semaphore *sem, bool writer)
{
	struct rwsem_waiter w = { .thread = current, .writer = writer };

	spin_lock(&sem->lock);
	if (take_or_flag(sem, writer)) {
		spin_unlock(&sem->lock);
		rwsem_stat(sem, 0);
		return;
	}
	u64 t0 = ktime_ns();
	w.queued_ns = t0;
	list_add_tail(&w.list, &sem->waiters);
	spin_unlock(&sem->lock);
	rwsem_wait(sem, &w);                  /* count raised by the grant, or by us */
	rwsem_stat(sem, MAX(ktime_ns() - t0, 1ull));
}

/* --- The calls ----------------------------------------------------------- */

bool down_read_trylock(struct rw_semaphore *sem)
{
	bool ok = read_trylock_fast(sem);

	if (ok)
		rwsem_stat(sem, 0);
	return ok;
}

bool down_write_trylock(struct rw_semaphore *sem)
{
	bool ok = write_trylock_fast(sem);

	if (ok)
		rwsem_stat(sem, 0);
	return ok;
}

void down_read(struct rw_semaphore *sem)
{
	if (read_trylock_fast(sem))
		rwsem_stat(sem, 0);
	else
		down_slow(sem, false);
}

void down_write(struct rw_semaphore *sem)
{
	if (write_trylock_fast(sem))
		rwsem_stat(sem, 0);
	else
		down_slow(sem, true);
}

static __noreturn void rwsem_misuse(struct rw_semaphore *sem, const char *what, long c)
{
	panic("%s of %s not held that way (count %#lx)", what, sem->name, c);
}

void up_read(struct rw_semaphore *sem)
{
	long c = __atomic_load_n(&sem->count, __ATOMIC_RELAXED);

	/* Release: what we read inside happens before a writer's entry. */
	while (!(c & RWSEM_WAITERS)) {
		if (rwsem_count_readers(c) <= 0)
			rwsem_misuse(sem, "up_read", c);
		if (__atomic_compare_exchange_n(&sem->count, &c, c - RWSEM_READER_BIAS, false,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
	/* Someone waits: the last reader out must hand it on. */
	struct rwsem_wake wake = RWSEM_WAKE_INIT(wake);
	spin_lock(&sem->lock);
	c = __atomic_sub_fetch(&sem->count, RWSEM_READER_BIAS, __ATOMIC_RELEASE);
	if (rwsem_count_readers(c) < 0)
		rwsem_misuse(sem, "up_read", c);
	if (rwsem_count_readers(c) == 0 && (c & RWSEM_WAITERS))
		rwsem_mark_wake(sem, &wake);
	spin_unlock(&sem->lock);
	rwsem_wake_up(&wake);
}

void up_write(struct rw_semaphore *sem)
{
	long c = RWSEM_WRITER;

	if (__atomic_compare_exchange_n(&sem->count, &c, 0, false, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	if (!(c & RWSEM_WRITER))
		rwsem_misuse(sem, "up_write", c);
	struct rwsem_wake wake = RWSEM_WAKE_INIT(wake);
	spin_lock(&sem->lock);                /* RWSEM_WAITERS is up: hand it on */
	__atomic_fetch_and(&sem->count, ~RWSEM_WRITER, __ATOMIC_RELEASE);
	rwsem_mark_wake(sem, &wake);
	spin_unlock(&sem->lock);
	rwsem_wake_up(&wake);
}

/*
 * Writer to reader: count goes from RWSEM_WRITER to one reader in one
 * step, so nobody can slip in between. With waiters, rwsem_mark_wake then does
 * what it does after any release that leaves readers inside: it grants
 * the run of readers at the head of the queue and stops at the first
 * writer, which needs the semaphore free. Only the head: a reader queued
 * behind a writer stays behind it (FIFO), as it would after an up_write.
 */
void downgrade_write(struct rw_semaphore *sem)
{
	long c = RWSEM_WRITER;

	if (__atomic_compare_exchange_n(&sem->count, &c, RWSEM_READER_BIAS, false,
					__ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;
	if (!(c & RWSEM_WRITER))
		rwsem_misuse(sem, "downgrade_write", c);
	struct rwsem_wake wake = RWSEM_WAKE_INIT(wake);
	spin_lock(&sem->lock);
	__atomic_fetch_add(&sem->count, RWSEM_READER_BIAS - RWSEM_WRITER, __ATOMIC_RELEASE);
	rwsem_mark_wake(sem, &wake);
	spin_unlock(&sem->lock);
	rwsem_wake_up(&wake);
}

bool rwsem_is_write_locked(const struct rw_semaphore *sem)
{
	return __atomic_load_n(&sem->count, __ATOMIC_RELAXED) & RWSEM_WRITER;
}
