/* TLB flushes and switch_mm (see tlb.h). */
#include "arch/x86_64/tlb.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pgtable.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"
#include "mm/mm.h"
#include "mm/ptcheck.h"

unsigned long tlb_single_page_flush_ceiling = 33;
BOOT_OPTION_ULONG("tlb_single_page_flush_ceiling", tlb_single_page_flush_ceiling,
		  "local range flushes: INVLPG up to N pages, a CR3 reload beyond (33)");

/* What one flush asks of every CPU; lives on the flusher's stack while it waits. */
struct flush_tlb_info {
	struct mm_struct *mm;
	unsigned long start, end;
	unsigned int stride_shift;
	bool freed_tables;
};

/*
 * Drop every non-global translation and paging-structure cache entry of
 * this CPU. Kernel mappings are global and survive it; user ones never are.
 */
static void flush_tlb_local_all(void)
{
	write_cr3(read_cr3());
	count_vm_event(NR_TLB_LOCAL_FLUSH_ALL);
}

/*
 * Run on each CPU of the mask, interrupts off. A CPU that has switched to
 * another mm since the mask was read has nothing to flush: its CR3 write
 * already dropped the old translations.
 */
static void flush_tlb_func(void *arg)
{
	const struct flush_tlb_info *f = arg;

	if (READ_ONCE(this_cpu()->loaded_mm) != f->mm)
		return;
	if (f->freed_tables || f->end == TLB_FLUSH_ALL ||
	    (f->end - f->start) >> f->stride_shift > READ_ONCE(tlb_single_page_flush_ceiling)) {
		flush_tlb_local_all();
		return;
	}
	unsigned long n = 0;
	for (unsigned long addr = f->start; addr < f->end; addr += 1ul << f->stride_shift, n++)
		invlpg(addr);
	count_vm_events(NR_TLB_LOCAL_FLUSH_ONE, n);
}

/* The same, run for another CPU's flush_tlb_mm_range() (in the IPI handler). */
static void flush_tlb_func_remote(void *arg)
{
	count_vm_event(NR_TLB_REMOTE_FLUSH_RECEIVED);
	flush_tlb_func(arg);
}

void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			unsigned int stride_shift, bool freed_tables)
{
	struct flush_tlb_info info = { mm, start, end, stride_shift, freed_tables };
	cpumask_t targets;

	ptcheck_flushed(mm, start, end);          /* a checker's note, before anyone may free */

	preempt_disable();
	/*
	 * The entry changes above must be visible before we read the mask: a
	 * CPU that sets its bit after our read loads CR3 after our changes
	 * (switch_mm sets the bit, a locked instruction, before its CR3 write)
	 * and so walks the new tables. One that set it before, we see.
	 */
	smp_mb();
	cpumask_and(&targets, mm_cpumask(mm), &cpu_online_mask);
	if (cpumask_test_cpu(cpu_id(), &targets)) {
		unsigned long flags = irq_save();
		flush_tlb_func(&info);
		irq_restore(flags);
		cpumask_clear_cpu(cpu_id(), &targets);
	}
	/*
	 * The others, lazy ones included (tlb.h), with one call: one IPI to
	 * each, whatever the size of the range, and we wait for all of them.
	 */
	int nr_remote = cpumask_weight(&targets);
	if (nr_remote) {
		u64 start = ktime_ns();
		count_vm_events(NR_TLB_REMOTE_FLUSH, nr_remote);
		count_vm_event(NR_TLB_REMOTE_FLUSH_CALLS);
		smp_call_function_many(&targets, flush_tlb_func_remote, &info, true);
		count_vm_events(TLB_REMOTE_FLUSH_WAIT_NS, ktime_ns() - start);
	}
	preempt_enable();
}

/*
 * Drop every translation of this CPU, global ones (the kernel half)
 * included: clearing CR4.PGE flushes the whole TLB and every
 * paging-structure cache, setting it again turns global pages back on.
 */
static void flush_tlb_local_global(void)
{
	u64 cr4 = read_cr4();

	if (!(cr4 & CR4_PGE)) {
		write_cr3(read_cr3());            /* no global pages: this drops all */
		return;
	}
	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4);
}

/*
 * One CPU's part of flush_tlb_kernel_range(), interrupts off. INVLPG drops
 * the page's translation even if it is global, and with it every
 * paging-structure cache entry of this CPU (SDM 4.10.4.1), so a CPU cannot
 * walk into a kernel table that was unhooked; beyond the ceiling, a global
 * flush.
 */
static void flush_kernel_range_local(const struct flush_tlb_info *f)
{
	if ((f->end - f->start) >> PAGE_SHIFT > READ_ONCE(tlb_single_page_flush_ceiling)) {
		flush_tlb_local_global();
		return;
	}
	for (unsigned long addr = f->start; addr < f->end; addr += PAGE_SIZE)
		invlpg(addr);
}

static void flush_kernel_range_remote(void *arg)
{
	count_vm_event(NR_TLB_KERNEL_FLUSH_RECEIVED);
	flush_kernel_range_local(arg);
}

void flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	struct flush_tlb_info info = { .start = start, .end = end, .stride_shift = PAGE_SHIFT };
	cpumask_t targets;

	preempt_disable();
	/*
	 * The cleared entries are visible before any CPU flushes: one that
	 * walks again after its flush finds them gone. Every online CPU is a
	 * target, idle ones included: the kernel half is in every CR3, and a
	 * CPU caches translations and table entries of it on its own
	 * (speculation, prefetch), whatever it runs.
	 */
	smp_mb();
	unsigned long flags = irq_save();
	flush_kernel_range_local(&info);
	irq_restore(flags);
	cpumask_copy(&targets, &cpu_online_mask);
	cpumask_clear_cpu(cpu_id(), &targets);
	int nr_remote = cpumask_weight(&targets);
	if (nr_remote) {
		count_vm_events(NR_TLB_KERNEL_FLUSH, nr_remote);
		smp_call_function_many(&targets, flush_kernel_range_remote, &info, true);
	}
	preempt_enable();
}

void switch_mm(struct mm_struct *prev, struct mm_struct *next)
{
	/* Interrupts off: a flush IPI must find loaded_mm and CR3 in agreement. */
	unsigned long flags = irq_save();
	struct cpu *c = this_cpu();

	if (c->loaded_mm != prev)
		panic("switch_mm: cpu %d has mm %p loaded, not %p", c->id, c->loaded_mm, prev);
	if (prev != next) {
		/* Join next's mask before loading it: from then on its flushes reach us. */
		if (next)
			cpumask_set_cpu(c->id, mm_cpumask(next));
		write_cr3(virt_to_phys(next ? (void *)next->pgd : (void *)swapper_pg_dir));
		count_vm_event(NR_SWITCH_MM_CR3);
		WRITE_ONCE(c->loaded_mm, next);
		/* Leave prev's mask only after the CR3 write dropped its translations. */
		if (prev)
			cpumask_clear_cpu(c->id, mm_cpumask(prev));
	}
	irq_restore(flags);
}

struct mm_struct *current_loaded_mm(void)
{
	return READ_ONCE(this_cpu()->loaded_mm);
}
