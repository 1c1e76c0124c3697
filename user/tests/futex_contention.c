/*
 * futex_contention - futex WAIT and WAKE, under load and at their edges.
 *
 * Threads (at least 4, more than the CPUs when there are few) add to one
 * counter under the futex mutex; the total must be exact, which fails if a
 * wake is lost (a hang, caught by the runner's timeout) or two threads get
 * the lock at once (a short count). Then a contended lock shown to sleep
 * in the kernel and be woken, and the single-call semantics: WAIT returns
 * EAGAIN when the word no longer holds the expected value, and ETIMEDOUT
 * after its relative timeout; WAKE reports how many it woke.
 *
 * Whether a thread is asleep in FUTEX_WAIT is never assumed after a sleep:
 * a FUTEX_WAKE that reports one sleeper woken is the proof. The woken
 * thread finds nothing changed and goes back to sleep.
 */
#include "check.h"

#define ROUNDS 100000
#define MAX_THREADS 64

static struct mutex lock;
static long counter;

static int add_many(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&lock);
		counter++;
		mutex_unlock(&lock);
	}
	return 0;
}

static void check_counter(void)
{
	int cpus[MAX_THREADS];
	int n = 2 * cpu_allowed(cpus, MAX_THREADS / 2);
	struct thread *t[MAX_THREADS];

	n = n < 4 ? 4 : n;
	for (int i = 0; i < n; i++)
		CHECK(thread_create(&t[i], add_many, 0) > 0);
	for (int i = 0; i < n; i++)
		CHECK_EQ(thread_join(t[i]), 0);
	check_section("%d threads x %d locked increments: %ld, %ld futex sleeps",
		      n, ROUNDS, counter, lock.waits);
	CHECK_EQ(counter, (long)n * ROUNDS);
	CHECK_EQ(lock.state, 0);
}

/* FUTEX_WAKE the word, one at a time, until it reports a sleeper woken. */
static long wake_a_sleeper(int *word)
{
	long woken = 0;

	WAIT_FOR((woken = CHECK_OK(futex_wake(word, 1))) != 0);
	return woken;
}

static int sleeper_wakeups;            /* atomic: FUTEX_WAIT returned 0 */

static int sleep_on_word(void *arg)
{
	int *word = arg;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0)
		if (futex_wait(word, 0, 0) == 0)
			__atomic_fetch_add(&sleeper_wakeups, 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * WAKE with the word unchanged until it reports the sleeper: exactly one,
 * and the sleeper saw a real wake-up (WAIT returned 0). Then the word
 * changes and one more WAKE lets it go (it is asleep again, or about to
 * find the word changed and not sleep).
 */
static void check_wake(void)
{
	static int word;
	struct thread *t;

	CHECK(thread_create(&t, sleep_on_word, &word) > 0);
	long woken = wake_a_sleeper(&word);
	check_section("WAKE woke %ld sleeper", woken);
	CHECK_EQ(woken, 1);
	__atomic_store_n(&word, 1, __ATOMIC_RELEASE);
	CHECK_OK(futex_wake(&word, 1));
	CHECK_EQ(thread_join(t), 0);
	CHECK(__atomic_load_n(&sleeper_wakeups, __ATOMIC_ACQUIRE) >= 1);
	CHECK_EQ(futex_wake(&word, 1), 0);        /* nobody left to wake */
}

static struct mutex held;
static int contender_got_it;

static int take_held(void *arg)
{
	(void)arg;
	mutex_lock(&held);
	__atomic_store_n(&contender_got_it, 1, __ATOMIC_RELEASE);
	mutex_unlock(&held);
	return 0;
}

/*
 * A locker that finds the mutex taken sleeps in the kernel until the
 * unlock wakes it: the main thread holds the mutex while a second thread
 * asks for it, sees it asleep on the mutex word (a WAKE that reports it),
 * then unlocks, and the second thread gets the mutex.
 */
static void check_contended_sleep(void)
{
	struct thread *t;

	mutex_lock(&held);
	CHECK(thread_create(&t, take_held, 0) > 0);
	long woken = wake_a_sleeper(&held.state);
	check_section("a contended lock sleeps in FUTEX_WAIT (WAKE woke %ld) until the unlock",
		      woken);
	CHECK_EQ(woken, 1);
	CHECK(!__atomic_load_n(&contender_got_it, __ATOMIC_ACQUIRE));
	CHECK(held.waits >= 1);
	mutex_unlock(&held);
	CHECK_EQ(thread_join(t), 0);
	CHECK(__atomic_load_n(&contender_got_it, __ATOMIC_ACQUIRE));
	CHECK_EQ(held.state, 0);
}

static void check_wait_edges(void)
{
	int word = 5;
	struct timespec timeout = { 0, 50 * 1000000L };

	check_section("WAIT on a changed value: EAGAIN; with a timeout: ETIMEDOUT");
	CHECK_ERRNO(futex_wait(&word, 4, 0), EAGAIN);
	CHECK_ERRNO(sys_futex(&word, FUTEX_WAIT, 4, 0), EAGAIN);

	long t0 = now_ns();
	CHECK_ERRNO(futex_wait(&word, 5, &timeout), ETIMEDOUT);
	long waited_ms = (now_ns() - t0) / 1000000;
	check_section("a 50 ms timeout returned after %ld ms", waited_ms);
	CHECK(waited_ms >= 49);
	/* Only a hang bound: a timeout read in the wrong unit takes 50 s or more. */
	CHECK(waited_ms < HANG_NS / 1000000);
	CHECK_ERRNO(futex_wait(&word, 5, &(struct timespec){ 0, -1 }), EINVAL);
}

int main(void)
{
	check_counter();
	check_contended_sleep();
	check_wake();
	check_wait_edges();
	return check_pass();
}
