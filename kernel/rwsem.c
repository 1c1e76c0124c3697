/*
 * TEMPORARY reader/writer semaphore that spins instead of sleeping, until
 * the scheduler exists; the interface (rwsem.h) is final.
 */
#include "kernel/rwsem.h"
#include "arch/x86_64/cpu.h"

void init_rwsem(struct rw_semaphore *sem, const char *name)
{
	spin_lock_init(&sem->lock, name);
	sem->count = 0;
	INIT_LIST_HEAD(&sem->waiters);
	sem->name = name;
}

bool down_read_trylock(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);
	bool ok = sem->count >= 0;
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
	while (!down_read_trylock(sem))
		cpu_relax();
}

void down_write(struct rw_semaphore *sem)
{
	while (!down_write_trylock(sem))
		cpu_relax();
}

void up_read(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);
	sem->count--;
	spin_unlock(&sem->lock);
}

void up_write(struct rw_semaphore *sem)
{
	spin_lock(&sem->lock);
	sem->count = 0;
	spin_unlock(&sem->lock);
}

bool rwsem_is_write_locked(const struct rw_semaphore *sem)
{
	return READ_ONCE(sem->count) < 0;
}
