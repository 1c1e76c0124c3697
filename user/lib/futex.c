/*
 * futex.c - sleeping on a memory word, and a mutex and barrier built on it.
 *
 * A futex lets the uncontended case stay in user space: an atomic
 * instruction takes the lock, and the kernel is entered only to sleep when
 * it is taken, or to wake a sleeper. FUTEX_WAIT sleeps only if the word
 * still holds the value the caller saw, checked by the kernel under its
 * lock; that check is what makes "test, then sleep" free of lost wake-ups.
 *
 * All futexes here are PRIVATE: the word is in this process only, so the
 * kernel may key it by (mm, address).
 */
#include "user.h"

#define PRIVATE(op) ((op) | FUTEX_PRIVATE_FLAG)

/* Returns 0 when woken, -EAGAIN if *addr != val already, -ETIMEDOUT,
 * -EINTR. A wake-up may be spurious: callers re-check their condition. */
long futex_wait(int *addr, int val, const struct timespec *timeout)
{
	return sys_futex(addr, PRIVATE(FUTEX_WAIT), val, timeout);
}

/* Wakes up to n sleepers; returns how many were woken. */
long futex_wake(int *addr, int n)
{
	return sys_futex(addr, PRIVATE(FUTEX_WAKE), n, 0);
}

static int cmpxchg(int *p, int old, int new)
{
	__atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQUIRE,
				    __ATOMIC_RELAXED);
	return old;
}

static int xchg(int *p, int v, int order)
{
	return __atomic_exchange_n(p, v, order);
}

/*
 * The mutex of Drepper's "Futexes Are Tricky" (mutex 3). State 2 means
 * "someone may be asleep", so only then does unlock pay for a system call.
 * A locker that has to sleep sets 2 with an exchange; if the exchange
 * returns 0 the lock was free at that instant and is now ours (left at 2,
 * which costs at worst one needless wake).
 */
void mutex_lock(struct mutex *m)
{
	int c = cmpxchg(&m->state, 0, 1);

	if (c == 0)
		return;                         /* fast path: it was free */
	if (c != 2)
		c = xchg(&m->state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		__atomic_add_fetch(&m->waits, 1, __ATOMIC_RELAXED);
		futex_wait(&m->state, 2, 0);
		c = xchg(&m->state, 2, __ATOMIC_ACQUIRE);
	}
}

void mutex_unlock(struct mutex *m)
{
	if (xchg(&m->state, 0, __ATOMIC_RELEASE) == 2)
		futex_wake(&m->state, 1);
}

/*
 * The last thread to arrive resets the count and bumps the generation; the
 * others sleep until the generation differs from the one they arrived in.
 * The count is reset before the bump, so a thread released early that comes
 * straight back to the barrier counts towards the next round, not this one.
 */
void barrier_wait(struct barrier *b)
{
	int gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == b->count) {
		__atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&b->generation, 1, __ATOMIC_RELEASE);
		futex_wake(&b->generation, 0x7fffffff);
		return;
	}
	while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen)
		futex_wait(&b->generation, gen, 0);
}
