/* Per-CPU areas: one copy of the .data.percpu template per CPU (see percpu.h). */
#include "kernel/percpu.h"
#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"

struct cpu cpus[MAX_CPUS];
int nr_cpus = 1;

extern char __percpu_start[], __percpu_end[];
extern char __percpu_areas[], __percpu_areas_end[];

void percpu_init(void)
{
	size_t size = __percpu_end - __percpu_start;

	for (int i = 0; i < MAX_CPUS; i++) {
		char *area = __percpu_areas + i * size;
		memcpy(area, __percpu_start, size);
		cpus[i].percpu_offset = area - __percpu_start;
		cpus[i].id = i;
		cpus[i].self = &cpus[i];
	}
	if ((size_t)(__percpu_areas_end - __percpu_areas) != MAX_CPUS * size)
		panic("percpu area reserved by linker.ld does not match MAX_CPUS");
}

void percpu_init_cpu(int id, u32 apic_id)
{
	struct cpu *c = &cpus[id];

	c->apic_id = apic_id;
	/* The kernel runs with its own GS; swapgs on entry from user mode trades it. */
	wrmsr(MSR_GS_BASE, (u64)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}
