/*
 * Tests of the ticket spinlocks (kernel/spinlock.c) with every CPU
 * contending. Each CPU takes the lock LOCK_MIN_LOOPS times, then goes on
 * until LOCK_LOOPS or LOCK_MS (emulated CPUs on a busy host hand a
 * contended lock over slowly); it counts its own loops, so the totals are
 * exact either way. That the CPUs really met at the lock, and that the
 * timer interrupt really took it in the middle of the loops, is counted
 * and waited for, not assumed from how long the loops ran.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"

#define LOCK_MIN_LOOPS 10
#define LOCK_LOOPS 100000
#define LOCK_MS    300

static DEFINE_SPINLOCK(test_lock);
/* test_lock must be held for these two; plain (non-atomic) increments on purpose. */
static u64 test_counter;
static u64 timer_hits;
static bool timer_took_it;     /* timer_hits > 0, as a flag the loops can watch */

static DEFINE_PER_CPU(u64, loops_done);
static DEFINE_PER_CPU(u64, found_held);    /* loops that found another CPU holding it */
static bool lock_met;                      /* some loop found another CPU holding it */

static void increment_locked(void)
{
	if (spin_is_locked(&test_lock)) {      /* not by us: we do not hold it here */
		(*this_cpu_ptr(&found_held))++;
		WRITE_ONCE(lock_met, true);
	}
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

struct contention {
	void (*step)(void);
	const bool *until;             /* also go on until this is true (or a hang) */
};

/*
 * run_on_cpus() body: repeat the step, count the loops in loops_done. The
 * loops go on past their count and time until what the test needs has
 * happened: two vCPUs on a busy host may otherwise run one after the
 * other, and meet nowhere.
 */
static void repeat_step(void *arg)
{
	const struct contention *c = arg;
	u64 end = ktime_ns() + LOCK_MS * 1000000ull, n, since = 0;

	for (n = 0; n < LOCK_MIN_LOOPS || (n < LOCK_LOOPS && ktime_ns() < end) ||
		    (!READ_ONCE(*c->until) && !ktest_hung(&since)); n++)
		c->step();
	*this_cpu_ptr(&loops_done) = n;
}

/* Every CPU runs step at once; returns the loops made in all. */
static u64 contend(void (*step)(void), const bool *until)
{
	struct contention c = { step, until };
	u64 total = 0;

	lock_met = false;
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		per_cpu(found_held, cpu) = 0;
	run_on_cpus(&cpu_online_mask, repeat_step, &c);
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		total += per_cpu(loops_done, cpu);
	return total;
}

KTEST(spinlock_contention)
{
	u64 met = 0;

	if (nr_cpus < 2)
		KT_SKIP("one CPU: nobody to contend with");
	test_counter = 0;
	u64 loops = contend(increment_locked, &lock_met);
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		met += per_cpu(found_held, cpu);
	KT_EXPECT_EQ(test_counter, loops);
	KT_EXPECT(!spin_is_locked(&test_lock));
	printk("# spinlock_contention: %llu loops, %llu found the lock held\n",
	       (unsigned long long)loops, (unsigned long long)met);
	if (!met)
		KT_SKIP("the CPUs never found the lock held by another");
}

/* Runs in every CPU's timer interrupt during the irqsave test. */
static void timer_takes_lock(void)
{
	spin_lock(&test_lock);
	test_counter++;
	timer_hits++;
	spin_unlock(&test_lock);
	WRITE_ONCE(timer_took_it, true);
}

static void nothing(void *unused)
{
}

/*
 * After the hook is reset, a tick on another CPU may still be running
 * the old one. Interrupt handlers run with interrupts off, so a call
 * that every CPU has answered proves each one's tick handler is over.
 */
static void wait_for_hook_calls(void)
{
	on_each_cpu(nothing, NULL, true);
}

/*
 * The same with the timer interrupt taking the lock too: only because the
 * loops take it with interrupts off can the interrupt never find its own
 * CPU holding it (that would be recursion, and spin_lock would panic).
 * The CPUs loop until a tick has taken the lock in the middle of them.
 */
KTEST(spinlock_irqsave_timer)
{
	test_counter = timer_hits = 0;
	timer_took_it = false;
	WRITE_ONCE(lapic_timer_hook, timer_takes_lock);
	u64 loops = contend(increment_irqsave, &timer_took_it);
	WRITE_ONCE(lapic_timer_hook, NULL);
	wait_for_hook_calls();
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

static int waiter_started, waiter_done;
static unsigned long waiter_contended;      /* its spinlock_contended before it tried */

/*
 * On the other CPU, interrupts off (a cross-CPU call): nothing else runs
 * there, so between the snapshot and our spin_lock() only this lock can
 * move the CPU's contention counter.
 */
static void take_test_lock(void *unused)
{
	waiter_contended = vm_event_this_cpu(SPINLOCK_CONTENDED);
	WRITE_ONCE(waiter_started, 1);
	spin_lock(&test_lock);
	spin_unlock(&test_lock);
	WRITE_ONCE(waiter_done, 1);
}

/*
 * A CPU that must wait for a lock is counted (/proc/vmstat
 * spinlock_contended) as soon as it starts to spin, and its spinning time
 * (spinlock_wait_ns) when it gets the lock. We hold the lock, make another
 * CPU want it, see its counter move -- the only lock it can be waiting for
 * is ours -- hold on a little longer and let go: the time counted must
 * cover at least what we held it after we saw the waiter.
 */
KTEST(spinlock_contention_counted)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	int other = cpu_id() == 0 ? 1 : 0;
	const unsigned long *contended =
		&per_cpu_ptr(&vm_events, other)->event[SPINLOCK_CONTENDED];
	u64 deadline = ktime_ns() + 30 * 1000000000ull;     /* against a hang only */

	waiter_started = waiter_done = 0;
	unsigned long wait_before = vm_event_sum(SPINLOCK_WAIT_NS);
	spin_lock(&test_lock);
	KT_EXPECT_EQ(smp_call_function_single(other, take_test_lock, NULL, false), 0);
	while (!READ_ONCE(waiter_started))
		cpu_relax();
	while (READ_ONCE(*contended) == waiter_contended && ktime_ns() < deadline)
		cpu_relax();
	bool seen = READ_ONCE(*contended) != waiter_contended;
	u64 seen_at = ktime_ns();
	mdelay(5);
	u64 held = ktime_ns() - seen_at;
	spin_unlock(&test_lock);
	while (!READ_ONCE(waiter_done))
		cpu_relax();
	KT_EXPECT(seen);
	KT_EXPECT(vm_event_sum(SPINLOCK_WAIT_NS) - wait_before >= held);
}

/*
 * A test-and-set waiter with interrupts on spins spinlock_spin_us, then
 * halts (halt_for_unlock), and the holder's spin_unlock wakes it with an
 * IPI. The holder here unlocks only once it sees the waiter halted on the
 * lock, so a wake-up is owed. A round can be spoilt without anything
 * being wrong: the host may stop the waiter's virtual CPU between its
 * announcing itself and its last look at the lock (the unlock then comes
 * first and it never halts), or a timer tick may end the hlt just before
 * the unlock. So a round counts if the waiter halted and took the wake-up
 * IPI, and one of 10 rounds must. Without the wake-up the waiter would
 * still get the lock, a tick late, and no round would ever count.
 */
static DEFINE_SPINLOCK(halt_lock);
static int halt_waiter = 1, halt_holder;
static int lock_held_round;
static bool woken_from_halt;

static u64 halts_on(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&vm_events, cpu)->event[SPINLOCK_HALTS]);
}

static void halt_test_holder(void)
{
	u64 since = 0;

	spin_lock(&halt_lock);
	__atomic_store_n(&lock_held_round, 1, __ATOMIC_RELEASE);
	while (spin_halted_on(halt_waiter) != &halt_lock && !ktest_hung(&since))
		cpu_relax();
	spin_unlock(&halt_lock);
}

static void halt_test_waiter(void)
{
	u64 since = 0;

	while (!__atomic_load_n(&lock_held_round, __ATOMIC_ACQUIRE) && !ktest_hung(&since))
		cpu_relax();
	u64 wakes = spin_wakes_received(cpu_id()), halts = halts_on(cpu_id());
	spin_lock(&halt_lock);                  /* interrupts on: it may halt */
	spin_unlock(&halt_lock);
	woken_from_halt = halts_on(cpu_id()) > halts && spin_wakes_received(cpu_id()) > wakes;
}

KTEST(spinlock_halted_waiter_is_woken)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	if (!spinlock_tas)
		KT_SKIP("needs test-and-set locks (a guest, or spinlock=tas)");
	u64 wakes = vm_event_sum(SPINLOCK_WAKES);
	int round;

	woken_from_halt = false;
	for (round = 0; round < 10 && !woken_from_halt; round++) {
		lock_held_round = 0;
		run_on_two_cpus(halt_holder, halt_test_holder, halt_waiter, halt_test_waiter);
	}
	KT_EXPECT(woken_from_halt);
	KT_EXPECT(vm_event_sum(SPINLOCK_WAKES) > wakes);
	KT_EXPECT_EQ(halt_lock.halted, 0);
	if (woken_from_halt)
		printk("# spinlock_halted_waiter_is_woken: woken from a halt in round %d\n", round);
}
