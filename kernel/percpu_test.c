/* Tests of per-CPU data (kernel/percpu.h), written by each CPU on itself. */
#include "kernel/ktest.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"

#define PERCPU_MAGIC 0x5eed0000

static DEFINE_PER_CPU(int, percpu_test_var);
static int *seen_ptr[MAX_CPUS];          /* this_cpu_ptr as each CPU saw it */
static struct cpu *seen_cpu[MAX_CPUS];

static void write_own_id(void *arg)
{
	int id = cpu_id();

	*this_cpu_ptr(&percpu_test_var) = PERCPU_MAGIC + id;
	seen_ptr[id] = this_cpu_ptr(&percpu_test_var);
	seen_cpu[id] = this_cpu();
}

KTEST(percpu_data)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		per_cpu(percpu_test_var, cpu) = 0;
	run_on_cpus(&cpu_online_mask, write_own_id, NULL);
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		KT_EXPECT_EQ(per_cpu(percpu_test_var, cpu), PERCPU_MAGIC + cpu);
		KT_EXPECT(seen_ptr[cpu] == per_cpu_ptr(&percpu_test_var, cpu));
		KT_EXPECT(seen_cpu[cpu] == &cpus[cpu]);
		KT_EXPECT(per_cpu_ptr(&percpu_test_var, cpu) != &percpu_test_var);  /* not the template */
		for (int other = 0; other < cpu; other++)
			KT_EXPECT(per_cpu_ptr(&percpu_test_var, cpu) !=
				  per_cpu_ptr(&percpu_test_var, other));
	}
	KT_EXPECT_EQ(percpu_test_var, 0);        /* the template itself stays untouched */
}
