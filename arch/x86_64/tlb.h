/*
 * TLB flushing and address-space switching on x86-64.
 *
 * The TLB and the paging-structure caches of a CPU keep translations of the
 * address space in its CR3 after the page tables change. Every change that
 * removes or restricts a translation must therefore be followed by a flush
 * on every CPU that may hold it before what it pointed to is reused: the
 * CPUs in mm_cpumask(mm), the ones that have the mm in CR3 (switch_mm keeps
 * the mask). A CPU that switched to another mm needs nothing: without PCIDs
 * a CR3 write drops every non-global translation, and user ones are never
 * global.
 *
 * Local flush: INVLPG per page up to tlb_single_page_flush_ceiling pages
 * (boot option tlb_single_page_flush_ceiling=N, default 33 as in Linux), a
 * CR3 reload beyond it, for a whole-mm flush, or when page tables were
 * freed. The reload is cheap enough because kernel mappings are global
 * (CR4.PGE): they survive it, so only user translations must be refilled.
 *
 * Remote flush: one waiting cross-CPU call to the other CPUs of the mask,
 * so one IPI per remote CPU per flush_tlb_mm_range() call, however many
 * pages the range holds. The mmu_gather batches a whole unmap into as few
 * calls as it can.
 *
 * Lazy TLB (arch/x86_64/context.c): a CPU that switches to a kernel thread
 * or to idle keeps the last user mm in CR3 and stays in its mask; the
 * kernel thread borrows it (active_mm). The policy here: NO flush skips a
 * lazy CPU; every flush_tlb_mm_range() reaches every CPU in the mask.
 *   - A flush that only changed or cleared leaf entries (freed_tables
 *     false) could skip lazy CPUs, as Linux does: kernel code does not use
 *     user addresses, so a stale entry there is harmless while the CPU is
 *     lazy. But switching back to a thread of the same mm writes no CR3,
 *     so the CPU would have to notice it missed a flush and catch up
 *     first (Linux compares per-mm and per-CPU TLB generation numbers).
 *     We keep no such generations, so we cannot skip: the saving (an IPI to
 *     a mostly idle CPU) is not worth a subtle catch-up protocol here.
 *   - A flush that freed page tables (freed_tables true) must reach lazy
 *     CPUs in any case, generation numbers or not. The lazy CPU's CR3 still
 *     points at the mm's PGD and its paging-structure caches may still hold
 *     a pointer to the unhooked table. The CPU walks page tables on its own
 *     (speculation, prefetch), in kernel mode too, so once the table page is
 *     freed and reused it could walk whatever now lies there and load
 *     garbage translations, even ones that map kernel memory to user
 *     addresses or device registers. Catching up at switch-back would be too
 *     late: the walk can happen any time while the CPU is lazy.
 * A lazy CPU leaves the mask at its next real switch_mm, when it is about
 * to halt (idle_leave_mm(), arch/x86_64/context.c), or when the mm is freed
 * (shoot_lazy_tlbs()).
 *
 * Counters (/proc/vmstat): nr_tlb_local_flush_one (each INVLPG of a user
 * page) and nr_tlb_local_flush_all (each CR3 reload that flushes user
 * translations on request) count on the CPU that does the flush, whether
 * it asked for it or received it; nr_tlb_remote_flush counts IPIs sent,
 * one per target CPU; nr_tlb_remote_flush_received counts them taken. The
 * CR3 write of a context switch is not a flush request and is not counted.
 */
#pragma once
#include "kernel/types.h"

struct mm_struct;

#define TLB_FLUSH_ALL (~0ul)

/* Above this many pages, one CR3 reload instead of INVLPG each (boot option). */
extern unsigned long tlb_single_page_flush_ceiling;

/*
 * Flush the translations of [start, end) of mm (end TLB_FLUSH_ALL: all of
 * it) on every CPU that has mm loaded, lazily or not, this one included,
 * and return when all have done it. stride_shift: log2 of the step between
 * pages to flush (PAGE_SHIFT). freed_tables: page tables were unhooked, so
 * the paging-structure caches must go too (a full flush). Interrupts must
 * be on (the call waits for other CPUs); never from an interrupt handler.
 */
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			unsigned int stride_shift, bool freed_tables);

static inline void flush_tlb_mm(struct mm_struct *mm)
{
	flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL, 0, true);
}

/*
 * Flush the kernel-half addresses [start, end) (page aligned) from every
 * online CPU, this one included, translations and paging-structure caches
 * alike, and return when all have done it: after changing or removing a
 * kernel mapping, before what it pointed to -- a page, or a page table
 * unhooked from swapper_pg_dir -- is reused (rule R1, mm/kernel_pgtable.c).
 * Counters: nr_tlb_kernel_flush (IPIs sent), nr_tlb_kernel_flush_received.
 * Interrupts on (it waits for the other CPUs); never from an interrupt.
 */
void flush_tlb_kernel_range(unsigned long start, unsigned long end);

/*
 * Load next's page tables on this CPU (NULL: swapper_pg_dir, the kernel
 * alone) and move this CPU from prev's mask to next's. prev must be the mm
 * loaded here now (this_cpu()->loaded_mm).
 */
void switch_mm(struct mm_struct *prev, struct mm_struct *next);

/* The mm loaded on this CPU (NULL: none). */
struct mm_struct *current_loaded_mm(void);
