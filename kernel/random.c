/*
 * A small random number generator: xorshift64* per CPU, seeded from the TSC
 * and, when the CPU has it, RDRAND. Good enough for AT_RANDOM and
 * getrandom() in tests; not a source of secrets.
 */
#include "kernel/random.h"
#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"
#include "kernel/string.h"

static DEFINE_PER_CPU(u64, rng_state);

static bool rdrand64(u64 *v)
{
	u8 ok;

	if (!(cpuid(1, 0).ecx & (1u << 30)))
		return false;
	__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
	return ok;
}

static u64 next_u64(void)
{
	unsigned long flags = irq_save();      /* the state is this CPU's */
	u64 *s = this_cpu_ptr(&rng_state);

	if (!*s) {
		u64 seed = 0;
		rdrand64(&seed);
		*s = (seed ^ rdtsc() ^ ((u64)cpu_id() << 56)) | 1;
	}
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	u64 v = *s * 0x2545f4914f6cdd1dull;
	irq_restore(flags);
	return v;
}

void get_random_bytes(void *buf, size_t n)
{
	u8 *p = buf;

	while (n) {
		u64 v = next_u64();
		size_t k = MIN(n, sizeof(v));
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}
