/*
 * Per-CPU GDT and TSS.
 *
 * Long mode ignores segment bases and limits for code and data, but the GDT
 * still names the privilege level of each segment, and each CPU needs a TSS
 * of its own: it holds the stack the CPU switches to when an interrupt comes
 * from user mode (rsp0) and the IST stacks for NMI, #DF and #MC, which must
 * not run on a stack that may be the broken one.
 */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "kernel/percpu.h"
#include "kernel/string.h"

#define GDT_ENTRIES 7          /* null, kcode, kdata, udata, ucode, tss (2 slots) */

struct cpu_tables {
	u64 gdt[GDT_ENTRIES];
	struct tss tss;
	u8 ist_stack[3][IST_STACK_SIZE] __aligned(16);
};
static DEFINE_PER_CPU(struct cpu_tables, cpu_tables) __aligned(64);

/* Code/data descriptors: only the access byte and the L (64-bit) flag matter. */
#define SEG_KCODE 0x00af9a000000ffffull   /* present, DPL0, code, L=1 */
#define SEG_KDATA 0x00cf92000000ffffull   /* present, DPL0, data, writable */
#define SEG_UDATA 0x00cff2000000ffffull   /* same with DPL3 */
#define SEG_UCODE 0x00affa000000ffffull

static void set_tss_descriptor(u64 *slot, struct tss *tss)
{
	u64 base = (u64)tss, limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		  (0x89ull << 40) |                 /* present, 64-bit TSS (available) */
		  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

void gdt_init_cpu(void)
{
	struct cpu_tables *t = this_cpu_ptr(&cpu_tables);

	memset(t, 0, sizeof(*t));
	t->gdt[1] = SEG_KCODE;
	t->gdt[2] = SEG_KDATA;
	t->gdt[3] = SEG_UDATA;
	t->gdt[4] = SEG_UCODE;
	set_tss_descriptor(&t->gdt[5], &t->tss);

	t->tss.ist[IST_NMI - 1] = (u64)t->ist_stack[0] + IST_STACK_SIZE;
	t->tss.ist[IST_DF - 1] = (u64)t->ist_stack[1] + IST_STACK_SIZE;
	t->tss.ist[IST_MC - 1] = (u64)t->ist_stack[2] + IST_STACK_SIZE;
	t->tss.iomap_base = sizeof(struct tss);  /* no I/O permission bitmap */
	this_cpu()->tss = &t->tss;
	this_cpu()->gdt = t->gdt;

	struct { u16 limit; u64 base; } __packed gdtr = { sizeof(t->gdt) - 1, (u64)t->gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"                 /* reload CS with a far return */
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %2, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"xorl %%eax, %%eax\n\t"
		"movl %%eax, %%fs\n\t"         /* fs/gs selectors 0: bases come from MSRs */
		: : "m"(gdtr), "i"(KERNEL_CS), "i"(KERNEL_DS) : "rax", "memory");
	/* Loading a null selector into %gs can clear the GS base on some CPUs,
	 * so %gs is left alone; its base was set by percpu_init_cpu. */
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}
