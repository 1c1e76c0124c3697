/* Tests of AP bring-up (arch/x86_64/smp.c) and of every CPU's LAPIC timer. */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/time.h"

/* What a CPU reports about itself, from itself. */
struct self_report {
	int id;
	u32 apic_id;
	u64 cr4, efer;
	bool gs_ok;
};

static void report_self(void *arg)
{
	struct self_report *r = arg;

	r->id = cpu_id();
	r->apic_id = lapic_id();
	r->cr4 = read_cr4();
	r->efer = rdmsr(MSR_EFER);
	r->gs_ok = this_cpu() == &cpus[cpu_id()];
}

KTEST(smp_all_cpus_online)
{
	u64 cr4 = read_cr4(), efer = rdmsr(MSR_EFER);

	KT_EXPECT_EQ(nr_cpus, MAX(MIN((unsigned long)acpi_madt.nr_enabled, maxcpus), 1ul));
	KT_EXPECT_EQ(cpumask_weight(&cpu_online_mask), nr_cpus);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		KT_EXPECT_EQ(cpumask_test_cpu(cpu, &cpu_online_mask), cpu < nr_cpus);
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct self_report r = { .id = -1 };
		KT_EXPECT(cpus[cpu].online);
		KT_EXPECT_EQ(apic_id_to_cpu(cpus[cpu].apic_id), cpu);
		KT_ASSERT_EQ(smp_call_function_single(cpu, report_self, &r, true), 0);
		KT_EXPECT_EQ(r.id, cpu);
		KT_EXPECT_EQ(r.apic_id, cpus[cpu].apic_id);
		KT_EXPECT(r.gs_ok);
		KT_EXPECT_EQ(r.cr4, cr4);           /* same PGE/SMEP/SMAP as the boot CPU */
		KT_EXPECT_EQ(r.efer, efer);
		for (int other = 0; other < cpu; other++)
			KT_EXPECT(cpus[other].apic_id != cpus[cpu].apic_id);
	}
}

#define TICKS_TO_SEE 20

/* The fewest ticks any CPU took since before[]. */
static u64 fewest_ticks_since(const u64 *before)
{
	u64 fewest = ~0ull;

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		fewest = MIN(fewest, READ_ONCE(cpus[cpu].ticks) - before[cpu]);
	return fewest;
}

/*
 * Every CPU's timer ticks, and not too fast. The test waits until each CPU
 * took TICKS_TO_SEE ticks -- a dead timer never does -- then checks that no
 * CPU took more than three times what HZ allows in the time that took. Only that bound
 * is safe under emulation: a stalled virtual CPU misses ticks (QEMU merges
 * them, it does not catch up) but never gets extra ones. A timer set far
 * too slow shows as a wait that never ends, not as a count.
 */
KTEST(lapic_timer_ticks)
{
	u64 before[MAX_CPUS];

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		before[cpu] = READ_ONCE(cpus[cpu].ticks);
	u64 start = ktime_ns(), since = 0;
	/* Spin, not sleep: sleeping needs the very ticks under test. */
	while (fewest_ticks_since(before) < TICKS_TO_SEE)
		if (ktest_hung(&since)) {
			ktest_fail(t, __FILE__, __LINE__, "a CPU took %llu ticks in %llu s",
				   (unsigned long long)fewest_ticks_since(before), KT_HANG_NS / 1000000000ull);
			return;
		}
	u64 ns = ktime_ns() - start;
	u64 most = ns / (1000000000ull / HZ) * 3 + 2;   /* 3 x HZ, and the two ends */
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		u64 ticks = READ_ONCE(cpus[cpu].ticks) - before[cpu];
		if (ticks > most)
			ktest_fail(t, __FILE__, __LINE__, "cpu %d: %llu ticks in %llu ms, at most %llu at %d Hz",
				   cpu, (unsigned long long)ticks, (unsigned long long)ns / 1000000,
				   (unsigned long long)most, HZ);
	}
}
