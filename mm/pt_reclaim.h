/*
 * Reclaim of empty PTE tables by MADV_DONTNEED (rule R6; mm/pt_reclaim.c).
 *
 * A DONTNEED zaps entries under the PTE lock with mmap_lock held only for
 * reading, so faults on other CPUs go on meanwhile. When a zap leaves a PTE
 * table with no entry in use (page->pt_count, exact under the PTE lock),
 * the table itself goes too:
 *
 *   fast path  reclaim_pt_fast(): still under the PTE lock, try-lock the
 *              PMD lock (taking it outright would invert the lock order),
 *              check the PMD still points at this table, clear it;
 *   slow path  reclaim_pt_slow(): the try-lock failed, so after the zap
 *              dropped the PTE lock: PMD lock, then PTE lock, recheck the
 *              PMD and the count (both may have changed while no lock was
 *              held), clear the PMD.
 *
 * Either way the cleared table goes to the mmu_gather (pte_free_tlb), which
 * flushes every CPU of the mm, lazy ones included, and frees the table from
 * an RCU callback after a grace period, destroying its split lock only then
 * (R1). A fault that later needs the range installs a fresh table, and
 * pmd_install flushes first if this gather has not yet (R4).
 *
 * Beyond Linux: Linux reclaims a table only when one DONTNEED covers its
 * whole 2 MiB and then scans all 512 entries. Here any zap that brings the
 * count to zero reclaims the table, whatever the range's size and
 * alignment, in O(1).
 */
#pragma once
#include "arch/x86_64/pgtable.h"
#include "kernel/types.h"

struct mmu_gather;
struct page;

/* What a zap should do beyond clearing entries (Linux's struct zap_details). */
struct zap_details {
	bool reclaim_pt;        /* MADV_DONTNEED: reclaim tables the zap leaves empty */
};

/* Boot option ptreclaim=on|off (default on). */
bool reclaim_pt_enabled(void);

/* Fault injection (boot option ptreclaim.force_slow; tests set it). See also fault_inject=reclaim_slow. */
extern bool ptreclaim_force_slow;
/* Tests only: run at the same point, to make "meanwhile, another CPU ..." happen for sure. */
extern void (*ptreclaim_slow_hook)(struct mmu_gather *tlb, unsigned long addr);

/*
 * Fast path. Called with the PTE lock of `table` held, after a zap brought
 * its count to zero; pmd is the entry that points at it, addr an address
 * it maps. Returns true if the PMD was cleared (into tlb's debt: R4): the
 * caller, after dropping the PTE lock, hands the table to pte_free_tlb().
 * False: the slow path must try.
 */
bool reclaim_pt_fast(struct mmu_gather *tlb, pmd_t *pmd, struct page *table, unsigned long addr);

/*
 * Slow path. No page-table lock held. table is the one the zap emptied;
 * addr an address it maps. Reclaims it into the gather if it is still
 * hooked at pmd and still empty; counts what it found otherwise.
 */
void reclaim_pt_slow(struct mmu_gather *tlb, pmd_t *pmd, struct page *table,
		     unsigned long addr);
