/*
 * Tests of the sampling profiler (kernel/profile.c). They need the boot
 * option profile (suite profile-ktest) and skip without it.
 */
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/percpu.h"
#include "kernel/profile.h"
#include "kernel/time.h"

#define SAMPLES_WANTED 5
#define SPIN_LIMIT_NS (30 * 1000000000ull)   /* a bound against a hang, not a window */

/*
 * Spin until SAMPLES_WANTED samples of this CPU were taken; returns the
 * index of the first. Every one of them was taken while the loop ran, so
 * inside this function or one it calls: the sample's caller chain names
 * us -- except in the first instructions of a callee, before its prologue
 * pushed its frame pointer, where the chain skips us and only the
 * interrupted address (in profile_nr_samples or ktime_ns) shows where it was.
 */
static __attribute__((noinline)) unsigned long irqs_off_spin(int cpu)
{
	unsigned long from = profile_nr_samples(cpu);
	u64 deadline = ktime_ns() + SPIN_LIMIT_NS;

	while (profile_nr_samples(cpu) < from + SAMPLES_WANTED && ktime_ns() < deadline)
		cpu_relax();
	return from;
}

/*
 * Code that runs with interrupts off is sampled where it runs: the sample
 * is an NMI, which interrupts it anyway. A profiler driven by the timer
 * interrupt gets no sample here at all (the spin ends at its time limit),
 * and would blame whatever runs after irq_restore().
 */
KTEST(profile_samples_code_with_interrupts_off)
{
	if (!profile_hz)
		KT_SKIP("needs the boot option profile");
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs: the neighbour CPU sends the sampling NMIs");
	preempt_disable();
	int cpu = cpu_id();
	unsigned long flags = irq_save();
	unsigned long from = irqs_off_spin(cpu);
	irq_restore(flags);
	preempt_enable();
	KT_ASSERT(profile_nr_samples(cpu) >= from + SAMPLES_WANTED);
	int inside = 0;
	for (unsigned long i = from; i < from + SAMPLES_WANTED; i++)
		inside += profile_sample_in(cpu, i, "irqs_off_spin") ||
			  profile_sample_in(cpu, i, "profile_nr_samples") ||
			  profile_sample_in(cpu, i, "ktime_ns");
	KT_EXPECT_EQ(inside, SAMPLES_WANTED);
}
