/*
 * Tests of kernel/futex.c: FUTEX_WAIT and FUTEX_WAKE on a word in a user
 * mapping, from kernel threads that use the mm.
 *
 *  - wake counts: a wake of n wakes exactly n sleepers (fewer if fewer
 *    sleep), only on that word and bitset, and the others sleep on;
 *  - timeouts: relative and absolute, and a timed-out waiter leaves the
 *    queue; a waiter woken before its timeout reports the wake;
 *  - a value mismatch is EAGAIN at once, and bad arguments get Linux's
 *    errors;
 *  - the lost wake-up: a waker that changes the word and wakes while the
 *    waiter is between reading the word and queueing itself. The bucket
 *    lock, held across both, makes the waker wait for the queueing and
 *    find the waiter. The window is widened by the fault-injection point
 *    futex_wait (switched on here if the boot did not), and each round is classified by what happened, so the test counts
 *    rounds where the wake really came inside it.
 *
 * A sleeper counts as queued once its state is TASK_INTERRUPTIBLE: futex_wait
 * sets it after queueing, under the bucket lock, and nothing else a waiter
 * here does sleeps interruptibly (mutexes sleep uninterruptibly, and the
 * word is faulted in beforehand).
 */
#include "kernel/fault_inject.h"
#include "kernel/futex.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "mm/mm_ktest.h"

#define FX_BASE   0x60000000000ul        /* 6 TiB: a PGD slot of its own */
#define FX_WORD   (FX_BASE + 64)
#define FX_FOREVER (30ull * 1000 * 1000 * 1000)   /* only a lost wake-up reaches it */
#define MS        (1000ull * 1000)
#define NWAITERS  4
#define ALL       0x7fffffff             /* "wake everyone", as user code passes INT_MAX */

static struct mm_struct *fx_mm;

/* An mm with the futex page mapped and faulted in, loaded here; NULL on failure. */
static struct mm_struct *fx_setup(u32 value)
{
	fx_mm = mm_create();
	if (!fx_mm)
		return NULL;
	struct mm_struct *prev = test_use_mm(fx_mm);
	if (tmap(fx_mm, FX_BASE, PG, RW, ANON | MAP_FIXED) != (long)FX_BASE ||
	    copy_to_user((void *)FX_WORD, &value, sizeof(value))) {
		test_mm_release(fx_mm, prev);
		fx_mm = NULL;
		return NULL;
	}
	return prev;
}

struct fx_waiter {
	struct thread *t;
	u32 val;
	u64 timeout_ns;
	long ret;
	int done;                     /* atomic: futex_wait returned */
};

static int fx_wait_thread(void *arg)
{
	struct fx_waiter *w = arg;

	use_mm(fx_mm);
	w->ret = futex_wait(fx_mm, FX_WORD, w->val, w->timeout_ns, 0, FUTEX_BITSET_MATCH_ANY);
	use_mm(NULL);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void fx_start(struct fx_waiter *w, u32 val, u64 timeout_ns)
{
	*w = (struct fx_waiter){ .val = val, .timeout_ns = timeout_ns };
	w->t = kthread_run("fx_waiter", fx_wait_thread, w, -1);
}

static bool fx_asleep(const struct fx_waiter *w)
{
	return READ_ONCE(w->t->state) == TASK_INTERRUPTIBLE;
}

/* Waits let other threads run: on one CPU the waiters need ours. */
static void fx_wait_queued(const struct fx_waiter *w)
{
	while (!fx_asleep(w))
		yield();
}

static int fx_count_done(struct fx_waiter *w, int n)
{
	int done = 0;

	for (int i = 0; i < n; i++)
		done += __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
	return done;
}

static void fx_wait_done(struct fx_waiter *w, int n, int want)
{
	while (fx_count_done(w, n) < want)
		yield();
}

KTEST(futex_wake_counts)
{
	static struct fx_waiter w[NWAITERS];
	struct mm_struct *prev = fx_setup(0);
	KT_ASSERT(fx_mm != NULL);

	for (int i = 0; i < NWAITERS; i++)
		fx_start(&w[i], 0, FX_FOREVER);
	for (int i = 0; i < NWAITERS; i++)
		fx_wait_queued(&w[i]);
	/* Another word, a bitset nobody waits with: nobody wakes. */
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD + 4, ALL), 0);
	KT_EXPECT_EQ(futex_wake_bitset(fx_mm, FX_WORD, ALL, 0), -EINVAL);
	/* One, then two: exactly that many leave, the rest sleep on. */
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD, 1), 1);
	fx_wait_done(w, NWAITERS, 1);
	int asleep = 0;
	for (int i = 0; i < NWAITERS; i++)
		asleep += fx_asleep(&w[i]);
	KT_EXPECT_EQ(asleep, NWAITERS - 1);
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD, 2), 2);
	fx_wait_done(w, NWAITERS, 3);
	KT_EXPECT_EQ(fx_count_done(w, NWAITERS), 3);
	/* More asked than sleeping: the one left, then nobody. */
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD, ALL), 1);
	for (int i = 0; i < NWAITERS; i++) {
		kthread_join(w[i].t);
		KT_EXPECT_EQ(w[i].ret, 0);        /* woken, not timed out */
	}
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD, ALL), 0);
	test_mm_release(fx_mm, prev);
}

KTEST(futex_wait_timeout)
{
	static struct fx_waiter w;
	struct mm_struct *prev = fx_setup(0);
	KT_ASSERT(fx_mm != NULL);

	u64 t0 = ktime_ns();
	KT_EXPECT_EQ(futex_wait(fx_mm, FX_WORD, 0, 20 * MS, 0, FUTEX_BITSET_MATCH_ANY), -ETIMEDOUT);
	KT_EXPECT(ktime_ns() - t0 >= 20 * MS);             /* not before the time */
	/* An absolute deadline already past: at once. */
	KT_EXPECT_EQ(futex_wait(fx_mm, FX_WORD, 0, 0, ktime_ns(), FUTEX_BITSET_MATCH_ANY),
		     -ETIMEDOUT);
	/* Timed-out waiters left the queue: a wake finds nobody. */
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD, ALL), 0);
	/* Woken before its timeout: the wake is what it reports. */
	fx_start(&w, 0, FX_FOREVER);
	fx_wait_queued(&w);
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD, 1), 1);
	kthread_join(w.t);
	KT_EXPECT_EQ(w.ret, 0);
	test_mm_release(fx_mm, prev);
}

KTEST(futex_wait_value_mismatch)
{
	struct mm_struct *prev = fx_setup(5);
	KT_ASSERT(fx_mm != NULL);

	/* The word is 5, not 4: EAGAIN at once (not a sleep until the timeout), not queued. */
	KT_EXPECT_EQ(futex_wait(fx_mm, FX_WORD, 4, FX_FOREVER / 30, 0, FUTEX_BITSET_MATCH_ANY),
		     -EAGAIN);
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD, ALL), 0);
	/* Linux's errors: unaligned word, empty bitset, unmapped word. */
	KT_EXPECT_EQ(futex_wait(fx_mm, FX_WORD + 1, 5, 0, 0, FUTEX_BITSET_MATCH_ANY), -EINVAL);
	KT_EXPECT_EQ(futex_wait(fx_mm, FX_WORD, 5, 0, 0, 0), -EINVAL);
	KT_EXPECT_EQ(futex_wait(fx_mm, FX_BASE + PG, 0, 0, 0, FUTEX_BITSET_MATCH_ANY), -EFAULT);
	KT_EXPECT_EQ(futex_wake(fx_mm, FX_WORD + 2, 1), -EINVAL);
	test_mm_release(fx_mm, prev);
}

/* --- the lost wake-up ----------------------------------------------------- */

#define FX_HOLD_MS  2          /* the window, when the boot set none */
#define FX_RACED    5          /* rounds whose wake came inside the window */
#define FX_ROUNDS   200

static struct {
	int waiter_cpu;
	unsigned long hold_ms;        /* fault_inject point futex_wait */
	struct thread *waiter;
	int go, calling, returned;    /* atomic: round numbers */
	long ret;                     /* the waiter's futex_wait() this round */
	int rounds, early, raced, late, lost;
	long lost_ret, lost_woken;    /* what the first lost round saw */
} lw;

static void lw_wait(int *flag, int round)
{
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < round)
		cpu_relax();
}

static void lw_waiter(void)
{
	use_mm(fx_mm);
	lw.waiter = current;
	for (int round = 1; round <= FX_ROUNDS; round++) {
		lw_wait(&lw.go, round);
		if (round > lw.rounds)
			break;            /* the waker stopped */
		__atomic_store_n(&lw.calling, round, __ATOMIC_RELEASE);
		lw.ret = futex_wait(fx_mm, FX_WORD, 0, FX_FOREVER / 30, 0, FUTEX_BITSET_MATCH_ANY);
		__atomic_store_n(&lw.returned, round, __ATOMIC_RELEASE);
	}
	use_mm(NULL);
}

/*
 * One round, as a user unlock does it: word = 1, then FUTEX_WAKE. The
 * store comes about half-way through the waiter's window. What the waiter
 * got says where it fell: EAGAIN, it read the word after the store; woken
 * with its state still RUNNING after the store, it read 0 before the
 * store and queued itself after it -- the race; woken while already
 * asleep, the store came after the window. A timeout is a lost wake-up.
 */
static void lw_round(int round)
{
	u32 zero = 0, one = 1;

	copy_to_user((void *)FX_WORD, &zero, sizeof(zero));
	__atomic_store_n(&lw.go, round, __ATOMIC_RELEASE);
	lw_wait(&lw.calling, round);
	udelay(lw.hold_ms * 1000 / 2);
	copy_to_user((void *)FX_WORD, &one, sizeof(one));
	int state = READ_ONCE(lw.waiter->state);
	long woken = futex_wake(fx_mm, FX_WORD, 1);
	lw_wait(&lw.returned, round);
	if (lw.ret == -EAGAIN && woken == 0)
		lw.early++;
	else if (lw.ret == 0 && woken == 1 && state == TASK_RUNNING)
		lw.raced++;
	else if (lw.ret == 0 && woken == 1)
		lw.late++;
	else if (!lw.lost++) {
		lw.lost_ret = lw.ret;
		lw.lost_woken = woken;
	}
}

static void lw_waker(void)
{
	use_mm(fx_mm);
	while (lw.rounds < FX_ROUNDS && lw.raced < FX_RACED && !lw.lost) {
		lw.rounds++;
		lw_round(lw.rounds);
	}
	__atomic_store_n(&lw.go, lw.rounds + 1, __ATOMIC_RELEASE);   /* lets the waiter out */
	use_mm(NULL);
}

KTEST(futex_wake_races_waiter)
{
	struct fault_inject *fi = fault_inject_find("futex_wait");
	unsigned long hold = fi->ms;
	int me = cpu_id();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	struct mm_struct *prev = fx_setup(0);
	KT_ASSERT(fx_mm != NULL);
	lw = (__typeof__(lw)){ .waiter_cpu = me == 1 ? 0 : 1 };
	lw.hold_ms = hold ? hold : FX_HOLD_MS;
	fault_inject_set(fi, lw.hold_ms);
	run_on_two_cpus(lw.waiter_cpu, lw_waiter, me, lw_waker);
	fault_inject_set(fi, hold);

	printk("# futex_wake_races_waiter: %d rounds: the wake came before the waiter read "
	       "the word in %d, while it was between reading and queueing in %d, after in %d\n",
	       lw.rounds, lw.early, lw.raced, lw.late);
	if (lw.lost)
		printk("# futex_wake_races_waiter: %d lost wake-ups: FUTEX_WAKE woke %ld, "
		       "the waiter's FUTEX_WAIT returned %ld\n", lw.lost, lw.lost_woken, lw.lost_ret);
	KT_EXPECT_EQ(lw.lost, 0);
	KT_EXPECT(lw.raced >= FX_RACED);
	test_mm_release(fx_mm, prev);
}
