/* Ticket spinlocks with debug checks (see spinlock.h). */
#include "kernel/spinlock.h"
#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/lockstat.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"

void spin_lock_init(spinlock_t *l, const char *name)
{
	*l = (spinlock_t)SPINLOCK_INIT(name);
}

bool spin_held_by_me(const spinlock_t *l)
{
	return READ_ONCE(l->holder_cpu) == cpu_id();
}

bool spin_is_locked(const spinlock_t *l)
{
	u32 v = READ_ONCE(l->val);
	return (u16)v != (u16)(v >> 16);
}

static void lock_acquired(spinlock_t *l)
{
	WRITE_ONCE(l->holder_cpu, cpu_id());
	this_cpu()->locks_held++;
}

/*
 * Spin until our ticket comes up, complaining once if it takes far too
 * long. start: when we began to wait. Returns the spin iterations.
 */
static u64 wait_for_ticket(spinlock_t *l, u16 ticket, u64 start)
{
	bool warned = false;
	u64 spins = 0;

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
		cpu_relax();
		if (++spins % 4096 || warned)
			continue;
		if (ktime_ns() - start > SPIN_LOCKUP_SECONDS * 1000000000ull) {
			warned = true;
			printk("spinlock lockup? %s held by cpu %d for %us\n",
			       l->name, READ_ONCE(l->holder_cpu), SPIN_LOCKUP_SECONDS);
		}
	}
	return spins;
}

/*
 * We had to wait. The contention is counted when the wait begins (so a
 * holder can see that someone waits: /proc/vmstat spinlock_contended), the
 * time when it ends (spinlock_wait_ns), and the class's line in the lock
 * statistics once we hold the lock.
 */
static u64 lock_wait_begin(void)
{
	count_vm_event(SPINLOCK_CONTENDED);
	return ktime_ns();
}

static void lock_wait_end(const spinlock_t *l, u64 spins, u64 start)
{
	u64 ns = ktime_ns() - start;

	count_vm_events(SPINLOCK_WAIT_NS, ns);
	if (lockstat_enabled)
		lockstat_note(l, spins ? spins : 1, ns ? ns : 1);
}

void spin_lock(spinlock_t *l)
{
	preempt_disable();
	if (unlikely(spin_held_by_me(l)))
		panic("recursion on lock %s", l->name);
	u16 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
		u64 start = lock_wait_begin();
		lock_wait_end(l, wait_for_ticket(l, ticket, start), start);
	} else if (unlikely(lockstat_enabled)) {
		lockstat_note(l, 0, 0);
	}
	lock_acquired(l);
}

bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	u32 old = READ_ONCE(l->val);
	u16 owner = (u16)old, next = (u16)(old >> 16);

	/* Free means owner == next; take the ticket only if nobody moved. */
	if (owner == next &&
	    __atomic_compare_exchange_n(&l->val, &old, old + 0x10000, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		if (unlikely(lockstat_enabled))
			lockstat_note(l, 0, 0);
		lock_acquired(l);
		return true;
	}
	preempt_enable();
	return false;
}

void spin_unlock(spinlock_t *l)
{
	if (unlikely(!spin_held_by_me(l)))
		panic("unlock of %s held by cpu %d", l->name, l->holder_cpu);
	this_cpu()->locks_held--;
	WRITE_ONCE(l->holder_cpu, -1);
	/* Only the holder writes owner, so a plain increment with release is enough. */
	__atomic_store_n(&l->owner, (u16)(l->owner + 1), __ATOMIC_RELEASE);
	preempt_enable();
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = irq_save();
	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	irq_restore(flags);
}
