/*
 * cpu.c - the CPUs a thread may run on, and pinning a thread to one.
 *
 * A CPU set is a bitmap of unsigned longs, bit N for CPU N, as the
 * sched_{get,set}affinity system calls take it. CPU_MAX bits is more than
 * either Quiesce or a test machine has.
 */
#include "user.h"

#define LONG_BITS (8 * sizeof(unsigned long))

struct cpu_mask {
	unsigned long bits[CPU_MAX / LONG_BITS];
};

int cpu_allowed(int *cpus, int max)
{
	struct cpu_mask m = { { 0 } };
	int n = 0;

	if (sys_sched_getaffinity(0, sizeof(m), &m) < 0)
		return 0;
	for (int cpu = 0; cpu < CPU_MAX && n < max; cpu++)
		if (m.bits[cpu / LONG_BITS] & (1UL << (cpu % LONG_BITS)))
			cpus[n++] = cpu;
	return n;
}

/* tid 0 means the calling thread, not the whole process. */
long pin_to_cpu(int cpu)
{
	struct cpu_mask m = { { 0 } };

	m.bits[cpu / LONG_BITS] = 1UL << (cpu % LONG_BITS);
	return sys_sched_setaffinity(0, sizeof(m), &m);
}

int current_cpu(void)
{
	unsigned cpu = 0;

	sys_getcpu(&cpu, 0);
	return (int)cpu;
}
