/* Read the CPU features Quiesce cares about from CPUID, once, at boot. */
#include "arch/x86_64/cpu.h"
#include "kernel/string.h"

struct cpu_features cpu_has;

void cpu_features_init(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	u32 max_leaf = r.eax;

	memcpy(cpu_has.vendor + 0, &r.ebx, 4);
	memcpy(cpu_has.vendor + 4, &r.edx, 4);
	memcpy(cpu_has.vendor + 8, &r.ecx, 4);

	r = cpuid(1, 0);
	cpu_has.x2apic = r.ecx & (1u << 21);
	cpu_has.tsc_deadline = r.ecx & (1u << 24);
	cpu_has.xsave = r.ecx & (1u << 26);
	cpu_has.avx = r.ecx & (1u << 28);
	cpu_has.hypervisor = r.ecx & (1u << 31);
	cpu_has.pcid = r.ecx & (1u << 17);
	cpu_has.pge = r.edx & (1u << 13);

	if (max_leaf >= 7) {
		r = cpuid(7, 0);
		cpu_has.fsgsbase = r.ebx & (1u << 0);
		cpu_has.smep = r.ebx & (1u << 7);
		cpu_has.invpcid = r.ebx & (1u << 10);
		cpu_has.smap = r.ebx & (1u << 20);
	}

	r = cpuid(0x80000000, 0);
	u32 max_ext = r.eax;
	if (max_ext >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		cpu_has.nx = r.edx & (1u << 20);
		cpu_has.pdpe1gb = r.edx & (1u << 26);
	}
	if (max_ext >= 0x80000004) {
		for (u32 i = 0; i < 3; i++) {
			r = cpuid(0x80000002 + i, 0);
			memcpy(cpu_has.brand + 16 * i, &r, 16);
		}
	}
}
