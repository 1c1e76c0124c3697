/*
 * Reader/writer semaphores that sleep (see rwsem.h).
 *
 * count > 0: that many readers hold it; -1: one writer; 0: free. Waiters
 * queue in arrival order, and the semaphore is handed to them in that
 * order: a releaser that makes it free grants it to the first waiter --
 * a writer alone, or the run of readers at the head of the queue,
 * together. A newcomer takes the fast path only if nobody waits, so once
 * a writer waits, new readers queue behind it: a stream of readers cannot
 * starve a writer, and a writer's release lets the readers that queued
 * meanwhile in before the next writer.
 *
 * A grant happens under sem->lock, with the waiter's `granted` set before
 * its wake-up; the waiter checks `granted` under the same lock after
 * setting its sleeping state, so no wake-up is lost (kernel/sched.c).
 */
#include "kernel/rwsem.h"
#include "kernel/printk.h"
#include "kernel/sched.h"

struct rwsem_waiter {
	struct list_head list;
	struct thread *thread;
	bool writer;
	bool granted;                  /* sem->lock: it owns the semaphore now */
};

void init_rwsem(struct rw_semaphore *sem, const char *name)
{
	spin_lock_init(&sem->lock, name);
	sem->count = 0;
	INIT_LIST_HEAD(&sem->waiters);
	sem->name = name;
}

static void grant(struct rwsem_waiter *w)
{
	list_del_init(&w->list);
	WRITE_ONCE(w->granted, true);
	wake_up_process(w->thread);
}

/* sem->lock held, after a release: hand the semaphore on in FIFO order. */
static void rwsem_wake(struct rw_semaphore *sem)
{
	while (!list_empty(&sem->waiters)) {
		struct rwsem_waiter *w = list_first_entry(&sem->waiters, struct rwsem_waiter, list);
		if (w->writer) {
			if (sem->count == 0) {
				sem->count = -1;
				grant(w);
			}
			return;
		}
		if (sem->count < 0)
			return;
		sem->count++;
		grant(w);
	}
}

/* Queue ourselves and sleep until granted. sem->lock held on entry and exit. */
static void rwsem_wait(struct rw_semaphore *sem, bool writer)
{
	struct rwsem_waiter w = { .thread = current, .writer = writer };

	list_add_tail(&w.list, &sem->waiters);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (READ_ONCE(w.granted))
			break;
		spin_unlock(&sem->lock);
		schedule();
		spin_lock(&sem->lock);
	}
	__set_current_state(TASK_RUNNING);
}

bool down_read_trylock(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);
	bool ok = sem->count >= 0 && list_empty(&sem->waiters);

	if (ok)
		sem->count++;
	spin_unlock(&sem->lock);
	return ok;
}

bool down_write_trylock(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);
	bool ok = sem->count == 0;

	if (ok)
		sem->count = -1;
	spin_unlock(&sem->lock);
	return ok;
}

void down_read(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);

	if (sem->count >= 0 && list_empty(&sem->waiters))
		sem->count++;
	else
		rwsem_wait(sem, false);   /* count raised by the grant */
	spin_unlock(&sem->lock);
}

void down_write(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);

	if (sem->count == 0 && list_empty(&sem->waiters))
		sem->count = -1;
	else
		rwsem_wait(sem, true);
	spin_unlock(&sem->lock);
}

void up_read(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);

	if (sem->count <= 0)
		panic("up_read of %s not held for reading (count %ld)", sem->name, sem->count);
	if (--sem->count == 0)
		rwsem_wake(sem);
	spin_unlock(&sem->lock);
}

void up_write(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);

	if (sem->count != -1)
		panic("up_write of %s not held for writing (count %ld)", sem->name, sem->count);
	sem->count = 0;
	rwsem_wake(sem);
	spin_unlock(&sem->lock);
}

/*
 * Writer to reader: count goes from -1 to 1 under sem->lock, so nobody can
 * slip in between. rwsem_wake then does what it does after any release
 * that leaves readers inside: it grants the run of readers at the head of
 * the queue and stops at the first writer, which needs count 0. Only the
 * head: a reader queued behind a writer stays behind it (FIFO), as it
 * would after an up_write.
 */
void downgrade_write(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);

	if (sem->count != -1)
		panic("downgrade_write of %s not held for writing (count %ld)", sem->name,
		      sem->count);
	sem->count = 1;
	rwsem_wake(sem);
	spin_unlock(&sem->lock);
}

bool rwsem_is_write_locked(const struct rw_semaphore *sem)
{
	return READ_ONCE(sem->count) < 0;
}
