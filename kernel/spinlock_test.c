/*
 * Tests of the ticket spinlocks (kernel/spinlock.c) with every CPU
 * contending. Each CPU runs until it has taken the lock LOCK_LOOPS times or
 * LOCK_MS have passed (emulated CPUs on a busy host hand a contended lock
 * over slowly); it counts its own loops, so the totals are exact either way.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

#define LOCK_LOOPS 100000
#define LOCK_MS    300

static DEFINE_SPINLOCK(test_lock);
/* test_lock must be held for these two; plain (non-atomic) increments on purpose. */
static u64 test_counter;
static u64 timer_hits;

static DEFINE_PER_CPU(u64, loops_done);

static void increment_locked(void)
{
	spin_lock(&test_lock);
	test_counter++;
	spin_unlock(&test_lock);
}

static void increment_irqsave(void)
{
	unsigned long flags = spin_lock_irqsave(&test_lock);
	test_counter++;
	spin_unlock_irqrestore(&test_lock, flags);
}

/* run_on_cpus() body: repeat the step, count the loops in loops_done. */
static void repeat_step(void *arg)
{
	void (*step)(void) = arg;
	u64 end = ktime_ns() + LOCK_MS * 1000000ull, n;

	for (n = 0; n < LOCK_LOOPS && ktime_ns() < end; n++)
		step();
	*this_cpu_ptr(&loops_done) = n;
}

/* Every CPU runs step at once; returns the loops made in all. */
static u64 contend(void (*step)(void))
{
	u64 total = 0;

	run_on_cpus(&cpu_online_mask, repeat_step, step);
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		total += per_cpu(loops_done, cpu);
	return total;
}

KTEST(spinlock_contention)
{
	test_counter = 0;
	u64 loops = contend(increment_locked);
	KT_EXPECT(loops >= (u64)nr_cpus);
	KT_EXPECT_EQ(test_counter, loops);
	KT_EXPECT(!spin_is_locked(&test_lock));
}

/* Runs in every CPU's timer interrupt during the irqsave test. */
static void timer_takes_lock(void)
{
	spin_lock(&test_lock);
	test_counter++;
	timer_hits++;
	spin_unlock(&test_lock);
}

/*
 * The same with the timer interrupt taking the lock too: only because the
 * loops take it with interrupts off can the interrupt never find its own
 * CPU holding it (that would be recursion, and spin_lock would panic).
 */
KTEST(spinlock_irqsave_timer)
{
	test_counter = timer_hits = 0;
	WRITE_ONCE(lapic_timer_hook, timer_takes_lock);
	u64 loops = contend(increment_irqsave);
	WRITE_ONCE(lapic_timer_hook, NULL);
	mdelay(20);         /* a tick that fetched the hook before the reset is over */
	unsigned long flags = spin_lock_irqsave(&test_lock);
	u64 counter = test_counter, hits = timer_hits;
	spin_unlock_irqrestore(&test_lock, flags);
	KT_EXPECT(hits > 0);                   /* the interrupt really took the lock */
	KT_EXPECT_EQ(counter, loops + hits);
}

struct holder_view { bool held_by_me, locked; };

static void look_at_lock(void *arg)
{
	struct holder_view *v = arg;

	v->held_by_me = spin_held_by_me(&test_lock);
	v->locked = spin_is_locked(&test_lock);
}

/*
 * spin_lock() panics on recursion because spin_held_by_me() tells: check
 * that it is true exactly for the holder, without taking the lock twice.
 */
KTEST(spinlock_recursion_check)
{
	struct holder_view other = { true, false };

	KT_EXPECT(!spin_held_by_me(&test_lock));
	spin_lock(&test_lock);
	KT_EXPECT(spin_held_by_me(&test_lock));
	KT_EXPECT(!spin_trylock(&test_lock));   /* a second take from here fails */
	if (nr_cpus > 1) {
		KT_EXPECT_EQ(smp_call_function_single(1, look_at_lock, &other, true), 0);
		KT_EXPECT(!other.held_by_me);
		KT_EXPECT(other.locked);
	}
	spin_unlock(&test_lock);
	KT_EXPECT(!spin_held_by_me(&test_lock));
	KT_EXPECT(!spin_is_locked(&test_lock));
}
