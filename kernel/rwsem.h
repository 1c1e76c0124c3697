/*
 * Reader/writer semaphores: many readers or one writer, and a task that
 * cannot get it sleeps (mm->mmap_lock is one). Writers are not starved:
 * once a writer waits, new readers queue behind it.
 *
 * Never taken in interrupt context; never held across a return to user mode.
 */
#pragma once
#include "kernel/list.h"
#include "kernel/spinlock.h"

struct rw_semaphore {
	spinlock_t lock;             /* protects count and waiters */
	long count;                  /* > 0: readers inside; -1: a writer; 0: free */
	struct list_head waiters;    /* sleeping tasks, FIFO */
	const char *name;
};

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
