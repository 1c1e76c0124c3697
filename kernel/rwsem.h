/*
 * Reader/writer semaphores: many readers or one writer, and a task that
 * cannot get it sleeps (mm->mmap_lock is one). Writers are not starved:
 * once a writer waits, new readers queue behind it. A sleeping writer is
 * woken to take a free semaphore, not handed it, and a running writer may
 * take it first -- for at most rwsem_handoff_us, then it is handed over.
 *
 * Taking and releasing it is one compare-and-swap on count while nobody
 * waits; only a task that must sleep, and whoever then releases it, take
 * the inner spinlock (kernel/rwsem.c).
 *
 * Never taken in interrupt context; never held across a return to user mode.
 */
#pragma once
#include "kernel/list.h"
#include "kernel/spinlock.h"

/*
 * count, one word changed only by atomic operations:
 *   bit 0   RWSEM_WRITER     a writer holds it
 *   bit 1   RWSEM_WAITERS    the queue is not empty (set and cleared
 *                            under lock): every fast path fails
 *   bits 8- readers inside, in units of RWSEM_READER_BIAS
 */
#define RWSEM_WRITER        1L
#define RWSEM_WAITERS       2L
#define RWSEM_READER_SHIFT  8
#define RWSEM_READER_BIAS   (1L << RWSEM_READER_SHIFT)

struct rw_semaphore {
	long count;                  /* see above */
	spinlock_t lock;             /* protects waiters; the slow paths' count changes */
	struct list_head waiters;    /* sleeping tasks, FIFO */
	const char *name;            /* the lock class in the lock statistics */
};

/* The readers inside, from a value of count. */
static inline long rwsem_count_readers(long count)
{
	return count >> RWSEM_READER_SHIFT;
}

/* Boot option rwsem_handoff_us (kernel/rwsem.c); tests change it. */
extern unsigned long rwsem_handoff_us;

void init_rwsem(struct rw_semaphore *sem, const char *name);
void down_read(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);
bool down_read_trylock(struct rw_semaphore *sem);
bool down_write_trylock(struct rw_semaphore *sem);
/*
 * The writer that holds sem becomes one of its readers, without a moment
 * in which sem is free: what it saw and changed under the write lock stays
 * as it left it. The readers queued at the head of the queue get in with
 * it; a writer queued keeps waiting (and the readers behind that writer
 * with it), until the last reader leaves. munmap uses it (mm/mmap.c):
 * change the VMA set as a writer, then zap as one reader among faults.
 */
void downgrade_write(struct rw_semaphore *sem);
/* True if some task holds sem for writing (for assertions). */
bool rwsem_is_write_locked(const struct rw_semaphore *sem);
