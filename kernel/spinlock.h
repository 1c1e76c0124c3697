/*
 * Spinlocks: ticket or test-and-set, chosen at boot (spinlock=ticket|tas|auto).
 *
 * Ticket: a CPU takes a ticket (atomic increment of `next`) and waits until
 * `owner` reaches it, so CPUs get the lock in the order they asked: fair,
 * no CPU starves under contention. Test-and-set: a CPU takes the lock only
 * when it sees it free (owner == next), by moving `next` on with a
 * compare-and-swap; unfair, but a waiter that is not running holds nobody
 * up -- what a guest whose virtual CPUs the host deschedules needs (see
 * spin_lock() in spinlock.c). `auto` (the default) picks test-and-set when
 * the CPUID hypervisor bit is set. Both use the same word and the same
 * unlock (owner++). Holding a spinlock disables preemption.
 *
 * Debug checks (always on; they are cheap): taking a lock this CPU already
 * holds panics ("recursion"), releasing a lock some other CPU holds panics,
 * and a CPU that spins for more than SPIN_LOCKUP_SECONDS reports who holds it.
 *
 * A lock that an interrupt handler takes must be taken everywhere with the
 * _irqsave variant; otherwise the handler can interrupt the holder on the
 * same CPU and spin on it forever.
 */
#pragma once
#include "kernel/types.h"

typedef struct spinlock {
	union {
		u32 val;
		struct {
			u16 owner;     /* ticket now being served */
			u16 next;      /* next ticket to hand out */
		};
	};
	s16 holder_cpu;            /* -1 when free; debug and lockup reports */
	u16 halted;                /* test-and-set waiters halted until the unlock */
	const char *name;
} spinlock_t;

#define SPINLOCK_INIT(n) { .val = 0, .holder_cpu = -1, .name = (n) }
#define DEFINE_SPINLOCK(x) spinlock_t x = SPINLOCK_INIT(#x)
#define SPIN_LOCKUP_SECONDS 10

/* Test-and-set instead of tickets (spinlock_setup() decides, once). */
extern bool spinlock_tas;
/* Choose the kind from the boot option; once, on the boot CPU, before the others start. */
void spinlock_setup(void);
/* For tests: the lock cpu is halted on waiting for (NULL: none), and the wake-ups it took. */
spinlock_t *spin_halted_on(int cpu);
u64 spin_wakes_received(int cpu);
/* Install the wake-up IPI's handler (halting waiters, spinlock_halt); before the APs start. */
void spinlock_wake_init(void);

void spin_lock_init(spinlock_t *l, const char *name);
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
bool spin_trylock(spinlock_t *l);
unsigned long spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);
bool spin_is_locked(const spinlock_t *l);
/* True if this CPU holds l: spin_lock panics instead of spinning forever. */
bool spin_held_by_me(const spinlock_t *l);

#define assert_spin_locked(l) \
	do { if (!spin_held_by_me(l)) panic("lock %s not held", (l)->name); } while (0)
