/*
 * Per-CPU data.
 *
 * Each CPU's GS base points at its `struct cpu` (so `this_cpu()` is one
 * load from %gs:0). Variables declared with DEFINE_PER_CPU live in the
 * .data.percpu section, which is only a template: at boot every CPU gets its
 * own copy of it (percpu_init, areas reserved in .bss by linker.ld), and
 * `this_cpu_ptr(&var)` adds this CPU's offset to the template address.
 *
 * A per-CPU variable is only ever written by its own CPU with interrupts or
 * preemption off, unless its comment says otherwise; others may read it.
 */
#pragma once
#include "kernel/types.h"

#define MAX_CPUS 64

struct tss;
struct thread;
struct mm_struct;

/*
 * The first five fields are at fixed offsets: assembly reaches them through
 * %gs (kernel/thread.h for current_thread, syscall_entry.asm for the stack
 * fields; arch/x86_64/syscall.c checks the offsets at compile time).
 */
struct cpu {
	struct cpu *self;              /* %gs:0, so this_cpu() is one load */
	unsigned long percpu_offset;   /* %gs:8: this CPU's copy minus the template */
	struct thread *current_thread; /* %gs:16: the thread running here (`current`) */
	u64 kernel_rsp;                /* %gs:24: top of its kernel stack (= TSS.rsp0) */
	u64 user_rsp;                  /* %gs:32: user rsp, parked by the syscall entry */
	int id;                        /* 0 .. nr_cpus-1, dense */
	u32 apic_id;                   /* local APIC id (x2APIC id in x2APIC mode) */
	int preempt_count;             /* > 0: this CPU must not switch threads */
	int irq_depth;                 /* nesting of interrupt handlers */
	int locks_held;                /* spinlocks held (debug: sleeping with one is a bug) */
	bool online;                   /* set by the CPU itself once fully up */
	bool in_panic_stop;            /* parked by another CPU's panic */
	struct tss *tss;
	void *gdt;
	void *stack_top;               /* this CPU's boot/idle stack */
	volatile u64 ticks;            /* local APIC timer interrupts taken */
	/* The user address space in CR3, NULL for swapper_pg_dir; written by switch_mm() only. */
	struct mm_struct *loaded_mm;
};

extern struct cpu cpus[MAX_CPUS];
extern int nr_cpus;                /* CPUs brought online so far */

static __always_inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

static __always_inline int cpu_id(void)
{
	int id;
	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(offsetof(struct cpu, id)));
	return id;
}

#define DEFINE_PER_CPU(type, name) __section(".data.percpu") __typeof__(type) name
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name

#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((char *)(ptr) + cpus[(cpu)].percpu_offset))
#define this_cpu_ptr(ptr) \
	((__typeof__(ptr))((char *)(ptr) + this_cpu()->percpu_offset))
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), cpu))
#define this_cpu_read(var) (*this_cpu_ptr(&(var)))

/* Give CPU `id` its struct cpu and per-CPU area and point GS at them. */
void percpu_init_cpu(int id, u32 apic_id);
/* Copy the template into every CPU's area. Called once, first thing in kmain. */
void percpu_init(void);

static __always_inline void preempt_disable(void)
{
	__asm__ volatile("incl %%gs:%c0" : : "i"(offsetof(struct cpu, preempt_count)) : "memory");
}

static __always_inline void preempt_enable(void)
{
	__asm__ volatile("decl %%gs:%c0" : : "i"(offsetof(struct cpu, preempt_count)) : "memory");
}
