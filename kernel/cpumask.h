/*
 * CPU masks: one bit per CPU id (0 .. MAX_CPUS-1).
 *
 * Setting and clearing are atomic, so CPUs may change their own bit in a
 * shared mask (cpu_online_mask) without a lock; a reader sees each bit
 * either before or after a change, never a torn word.
 */
#pragma once
#include "kernel/percpu.h"

#define CPUMASK_LONGS DIV_ROUND_UP(MAX_CPUS, BITS_PER_LONG)

typedef struct cpumask {
	unsigned long bits[CPUMASK_LONGS];
} cpumask_t;

/* CPUs that finished coming up; each CPU sets its own bit (kernel/smp.h). */
extern cpumask_t cpu_online_mask;

static inline void cpumask_set_cpu(int cpu, cpumask_t *m)
{
	__atomic_fetch_or(&m->bits[cpu / BITS_PER_LONG], 1ul << (cpu % BITS_PER_LONG),
			  __ATOMIC_RELEASE);
}

static inline void cpumask_clear_cpu(int cpu, cpumask_t *m)
{
	__atomic_fetch_and(&m->bits[cpu / BITS_PER_LONG], ~(1ul << (cpu % BITS_PER_LONG)),
			   __ATOMIC_RELEASE);
}

static inline bool cpumask_test_cpu(int cpu, const cpumask_t *m)
{
	return (__atomic_load_n(&m->bits[cpu / BITS_PER_LONG], __ATOMIC_ACQUIRE) >>
		(cpu % BITS_PER_LONG)) & 1;
}

static inline void cpumask_clear(cpumask_t *m)
{
	for (int i = 0; i < CPUMASK_LONGS; i++)
		WRITE_ONCE(m->bits[i], 0);
}

static inline void cpumask_copy(cpumask_t *dst, const cpumask_t *src)
{
	for (int i = 0; i < CPUMASK_LONGS; i++)
		dst->bits[i] = READ_ONCE(src->bits[i]);
}

/* dst = a & b */
static inline void cpumask_and(cpumask_t *dst, const cpumask_t *a, const cpumask_t *b)
{
	for (int i = 0; i < CPUMASK_LONGS; i++)
		dst->bits[i] = READ_ONCE(a->bits[i]) & READ_ONCE(b->bits[i]);
}

/* Number of CPUs in m. (A loop: __builtin_popcount would need libgcc.) */
static inline int cpumask_weight(const cpumask_t *m)
{
	int n = 0;
	for (int i = 0; i < CPUMASK_LONGS; i++)
		for (unsigned long w = READ_ONCE(m->bits[i]); w; w &= w - 1)
			n++;
	return n;
}

static inline bool cpumask_equal(const cpumask_t *a, const cpumask_t *b)
{
	for (int i = 0; i < CPUMASK_LONGS; i++)
		if (READ_ONCE(a->bits[i]) != READ_ONCE(b->bits[i]))
			return false;
	return true;
}

/* The first CPU in m after cpu (cpu = -1: the first of all), or MAX_CPUS. */
static inline int cpumask_next(int cpu, const cpumask_t *m)
{
	for (cpu++; cpu < MAX_CPUS; cpu++)
		if (cpumask_test_cpu(cpu, m))
			return cpu;
	return MAX_CPUS;
}

#define for_each_cpu(cpu, mask) \
	for ((cpu) = cpumask_next(-1, (mask)); (cpu) < MAX_CPUS; (cpu) = cpumask_next((cpu), (mask)))
#define for_each_online_cpu(cpu) for_each_cpu(cpu, &cpu_online_mask)
