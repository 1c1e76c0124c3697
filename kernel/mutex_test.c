/* Tests of sleeping mutexes (kernel/mutex.c). */
#include "kernel/ktest.h"
#include "kernel/mutex.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"

#define MUTEX_THREADS_PER_CPU 2
#define MUTEX_MIN_LOOPS 8          /* each thread: at least this many */
#define MUTEX_LOOPS 300
#define MUTEX_MS    300            /* beyond the minimum, until this long: a
                                      hand-off across CPUs costs ~1 ms under
                                      emulation */

static DEFINE_MUTEX(test_mutex);
/* test_mutex must be held for these; plain, non-atomic on purpose. */
static u64 counter;
static int inside;
static int overlaps;
static int started, nr_bumpers;    /* atomic: the start gate */
static u64 contended_before;       /* test_mutex.contended when the test began */

/* Some locker had to sleep since the test began (read without the lock: it only grows). */
static bool mutex_was_contended(void)
{
	return READ_ONCE(test_mutex.contended) != contended_before;
}

/*
 * Increment under the mutex, sometimes sleeping (yield) while holding it,
 * MUTEX_MIN_LOOPS times or more, and on until the mutex was contended
 * (however the CPUs are scheduled); count our own loops in *arg. All
 * threads start together, so none can finish before another began.
 */
static int bump_counter(void *arg)
{
	u64 end, *loops = arg, since = 0;
	int i;

	__atomic_fetch_add(&started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < nr_bumpers)
		yield();
	end = ktime_ns() + MUTEX_MS * 1000000ull;
	for (i = 0; i < MUTEX_MIN_LOOPS || (i < MUTEX_LOOPS && ktime_ns() < end) ||
		    (!mutex_was_contended() && !ktest_hung(&since)); i++) {
		mutex_lock(&test_mutex);
		overlaps += inside++ != 0;
		u64 c = counter;
		if (i % 8 == 0)
			yield();                 /* a holder may sleep: others queue up */
		counter = c + 1;
		inside--;
		mutex_unlock(&test_mutex);
	}
	*loops = i;
	return 0;
}

/*
 * Threads on every CPU increment one counter under the mutex with a
 * read-yield-write: the total equals the loops made only if nobody ever
 * got in between. That threads really had to sleep for it is counted
 * (the mutex's own `contended`), and the test says so if they never did.
 */
KTEST(mutex_contention_exact)
{
	struct thread *th[MAX_CPUS * MUTEX_THREADS_PER_CPU];
	static u64 loops[MAX_CPUS * MUTEX_THREADS_PER_CPU];
	int n = nr_cpus * MUTEX_THREADS_PER_CPU;
	u64 contended = test_mutex.contended, total = 0;

	contended_before = contended;

	counter = 0;
	overlaps = 0;
	started = 0;
	nr_bumpers = n;
	for (int i = 0; i < n; i++)
		th[i] = kthread_run("mutex_bump", bump_counter, &loops[i], i % nr_cpus);
	for (int i = 0; i < n; i++) {
		kthread_join(th[i]);
		total += loops[i];
	}
	KT_EXPECT_EQ(counter, total);
	KT_EXPECT_EQ(overlaps, 0);
	KT_EXPECT(!mutex_is_locked(&test_mutex));
	printk("# mutex_contention_exact: %d threads, %llu increments, %llu contended locks\n",
	       n, (unsigned long long)counter,
	       (unsigned long long)(test_mutex.contended - contended));
	if (test_mutex.contended == contended)
		KT_SKIP("no thread ever found the mutex taken");
}

KTEST(mutex_trylock_and_owner)
{
	struct mutex m;

	mutex_init(&m, "m");
	KT_EXPECT(!mutex_is_locked(&m));
	KT_EXPECT(mutex_trylock(&m));
	KT_EXPECT(mutex_owned(&m));
	KT_EXPECT(!mutex_trylock(&m));
	mutex_unlock(&m);
	mutex_lock(&m);
	KT_EXPECT(mutex_owned(&m));
	mutex_unlock(&m);
	KT_EXPECT(!mutex_is_locked(&m));
}
