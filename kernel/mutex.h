/*
 * Sleeping mutexes: one owner at a time; a thread that finds it taken
 * sleeps until the owner hands it over.
 *
 * Fair by hand-off: mutex_unlock() gives the mutex directly to the thread
 * that has waited longest (FIFO), instead of freeing it for whoever comes
 * first. So no waiter starves, at the price of a context switch per
 * contended hand-off.
 *
 * Process context only (a holder may sleep), never from an interrupt
 * handler, never with a spinlock held. Not recursive: locking a mutex one
 * already owns, or unlocking one owned by another thread, panics.
 */
#pragma once
#include "kernel/list.h"
#include "kernel/spinlock.h"

struct thread;

struct mutex {
	spinlock_t wait_lock;          /* protects owner and waiters */
	struct thread *owner;          /* NULL: free */
	struct list_head waiters;      /* struct mutex_waiter, oldest first */
	const char *name;
	u64 contended;                 /* wait_lock: lock calls that had to sleep */
};

#define MUTEX_INIT(m, n) \
	{ .wait_lock = SPINLOCK_INIT(n), .waiters = LIST_HEAD_INIT((m).waiters), .name = (n) }
#define DEFINE_MUTEX(m) struct mutex m = MUTEX_INIT(m, #m)

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
/* True if it was free and is now ours. Never sleeps. */
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_is_locked(const struct mutex *m);
/* True if the running thread owns m (for assertions). */
bool mutex_owned(const struct mutex *m);
