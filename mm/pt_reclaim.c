/*
 * Reclaiming the PTE tables a MADV_DONTNEED leaves empty (R6). The protocol
 * is in pt_reclaim.h; this file is its two paths and the switches that let
 * a test widen the windows between them.
 */
#include "mm/pt_reclaim.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "kernel/vmstat.h"
#include "mm/pgtable.h"
#include "mm/ptcheck.h"
#include "mm/tlb.h"

static bool ptreclaim = true;
BOOT_OPTION_BOOL("ptreclaim", ptreclaim,
		 "on|off: MADV_DONTNEED frees the PTE tables it leaves empty (default on)");

/*
 * Fault injection for the race tests (user/tests/pt_reclaim_race.c and
 * mm/pt_reclaim_test.c, which also set these directly): force_slow makes
 * every fast-path try-lock "fail", so each reclaim takes the slow path;
 * the point reclaim_slow (fault_inject=reclaim_slow:MS) holds the DONTNEED
 * between the zap and the slow path, with no page-table lock held, so that
 * a fault can refill the table (pt_reclaim_busy) or another DONTNEED
 * reclaim it first (pt_reclaim_raced).
 */
bool ptreclaim_force_slow;
BOOT_OPTION_BOOL("ptreclaim.force_slow", ptreclaim_force_slow,
		 "fault injection: the reclaim fast path always fails its try-lock");
DEFINE_FAULT_INJECT(fi_reclaim_slow, "reclaim_slow",
		    "hold a DONTNEED between the zap that emptied a PTE table and its "
		    "slow-path reclaim (no page-table lock held)");
void (*ptreclaim_slow_hook)(struct mmu_gather *tlb, unsigned long addr);

bool reclaim_pt_enabled(void)
{
	return ptreclaim;
}

/* LAB reclaim: begin */
/* Does the PMD entry still point at this PTE table? */
static bool pmd_holds(pmd_t pmdval, struct page *table)
{
	return pmd_present(pmdval) && !pmd_leaf(pmdval) && pmd_pgtable(pmdval) == table;
}

bool reclaim_pt_fast(struct mmu_gather *tlb, pmd_t *pmd, struct page *table, unsigned long addr)
{
	spinlock_t *pml = pmd_lockptr(pmd);

	/*
	 * Lock order is PMD lock, then PTE lock; we hold the PTE lock, so we
	 * may only try. Whoever holds the PMD lock may be about to take our
	 * lock (a slow-path reclaim of this very table): waiting would deadlock.
	 */
	if (ptreclaim_force_slow || !spin_trylock(pml))
		return false;
	bool cleared = false;
	/*
	 * R6: empty, counted under the PTE lock we hold, so no fault can be
	 * filling it: a fault takes this lock to set an entry. And the PMD
	 * cannot have moved: every path that unhooks a PTE table holds its
	 * PTE lock (reclaim), or unhooks only tables no VMA overlaps
	 * (free_pgtables, after munmap detached them), and our DONTNEED's
	 * range is in a VMA. We check both anyway: they are what makes
	 * clearing the PMD safe.
	 */
	if (table->pt_count == 0 && pmd_holds(pmdp_get(pmd), table)) {
		ptcheck_reclaim(table, addr);
		/* R1 step 1: unhook under the parent's lock; R4: the gather owes its flush */
		tlb_pmdp_get_and_clear(tlb, pmd, addr);
		cleared = true;
	}
	spin_unlock(pml);
	if (cleared)
		count_vm_event(PT_RECLAIM_FAST);
	return cleared;
}
/* LAB reclaim: end */

void reclaim_pt_slow(struct mmu_gather *tlb, pmd_t *pmd, struct page *table,
		     unsigned long addr)
{
	fault_inject_delay(&fi_reclaim_slow);              /* fault injection, see above */
	if (ptreclaim_slow_hook)
		ptreclaim_slow_hook(tlb, addr);                   /* a test's "meanwhile" */

	/* LAB reclaim: begin */
	spinlock_t *pml = pmd_lock(pmd);
	pmd_t pmdval = pmdp_get(pmd);
	/*
	 * No lock was held since the zap saw the table empty: a fault may have
	 * filled it again, or another DONTNEED reclaimed it and a fault put a
	 * new table in its place (whose page may even be this one, reused).
	 * Nothing seen before is trusted: the PMD is read again under the PMD
	 * lock, which keeps it still, ...
	 */
	if (!pmd_holds(pmdval, table)) {
		spin_unlock(pml);
		count_vm_event(PT_RECLAIM_RACED);
		return;
	}
	/* ... and the count again under the PTE lock, which keeps it still. */
	spinlock_t *ptl = pte_lockptr(tlb->mm, pmdval);
	spin_lock(ptl);
	bool empty = table->pt_count == 0;     /* R6: reclaim only what is empty */
	if (ptbug_is(PTBUG_STALE_SCAN))
		empty = true;                  /* ptbug: trusts what the zap saw, lock since dropped */
	if (empty) {
		ptcheck_reclaim(table, addr);
		tlb_pmdp_get_and_clear(tlb, pmd, addr);   /* R1 step 1, R4 */
	}
	spin_unlock(ptl);
	spin_unlock(pml);
	if (!empty) {
		count_vm_event(PT_RECLAIM_BUSY);
		return;
	}
	count_vm_event(PT_RECLAIM_SLOW);
	mm_add_pgtable(tlb->mm, -1);
	pte_free_tlb(tlb, table, addr);        /* R1 steps 2 and 3: flush, then a grace period */
	/* LAB reclaim: end */
}
