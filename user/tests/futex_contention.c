/*
 * futex_contention - futex WAIT and WAKE, under load and at their edges.
 *
 * Threads (at least 4, more than the CPUs when there are few) add to one
 * counter under the futex mutex; the total must be exact, which fails if a
 * wake is lost (a hang, caught by the runner's timeout) or two threads get
 * the lock at once (a short count). Then the single-call semantics: WAIT
 * returns EAGAIN when the word no longer holds the expected value, and
 * ETIMEDOUT after its relative timeout; WAKE reports how many it woke.
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

static int sleeper_woken;

static int sleep_on_word(void *arg)
{
	int *word = arg;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0)
		futex_wait(word, 0, 0);
	sleeper_woken = 1;
	return 0;
}

/* WAKE until it reports having woken the sleeper: until then the sleeper
 * may not have reached FUTEX_WAIT yet, or seen word == 1 and not slept. */
static void check_wake(void)
{
	static int word;
	struct thread *t;
	long woken = 0;

	CHECK(thread_create(&t, sleep_on_word, &word) > 0);
	sleep_ms(20);
	__atomic_store_n(&word, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 100 && woken == 0; i++, sleep_ms(1))
		woken = CHECK_OK(futex_wake(&word, 1));
	CHECK_EQ(thread_join(t), 0);
	check_section("WAKE woke %ld sleeper", woken);
	CHECK(sleeper_woken);
	CHECK(woken <= 1);
	CHECK_EQ(futex_wake(&word, 1), 0);        /* nobody left to wake */
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
	CHECK(waited_ms < 5000);
	CHECK_ERRNO(futex_wait(&word, 5, &(struct timespec){ 0, -1 }), EINVAL);
}

int main(void)
{
	check_counter();
	check_wake();
	check_wait_edges();
	return check_pass();
}
