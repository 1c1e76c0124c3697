/*
 * TLB flushing and address-space switching on x86-64.
 *
 * The TLB and the paging-structure caches of a CPU keep translations of the
 * address space in its CR3 after the page tables change. Every change that
 * removes or restricts a translation must therefore be followed by a flush
 * on every CPU that may hold it before what it pointed to is reused: the
 * CPUs in mm_cpumask(mm), the ones that have the mm loaded (switch_mm keeps
 * the mask). A CPU that switched away needs nothing: without PCIDs a CR3
 * write drops every non-global translation, and user ones are never global.
 *
 * This is the simple, correct version: the local flush is INVLPG per page up
 * to a ceiling, a CR3 reload beyond it or when page tables were freed; the
 * remote one is a waiting cross-CPU call to every other CPU in the mask.
 * There is no lazy TLB: a CPU leaving an mm leaves its mask at once.
 */
#pragma once
#include "kernel/types.h"

struct mm_struct;

#define TLB_FLUSH_ALL (~0ul)
/* Above this many pages, one CR3 reload is cheaper than INVLPG each (Linux: 33). */
#define TLB_SINGLE_PAGE_FLUSH_CEILING 33

/*
 * Flush the translations of [start, end) of mm (end TLB_FLUSH_ALL: all of
 * it) on every CPU that has mm loaded, this one included, and return when
 * all have done it. stride_shift: log2 of the step between pages to flush
 * (PAGE_SHIFT). freed_tables: page tables were unhooked, so the
 * paging-structure caches must go too (a full flush). Interrupts must be on
 * (the call waits for other CPUs); never from an interrupt handler.
 */
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			unsigned int stride_shift, bool freed_tables);

static inline void flush_tlb_mm(struct mm_struct *mm)
{
	flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL, 0, true);
}

/*
 * Load next's page tables on this CPU (NULL: swapper_pg_dir, the kernel
 * alone) and move this CPU from prev's mask to next's. prev must be the mm
 * loaded here now (this_cpu()->loaded_mm).
 */
void switch_mm(struct mm_struct *prev, struct mm_struct *next);

/* The mm loaded on this CPU (NULL: none). */
struct mm_struct *current_loaded_mm(void);
