/*
 * Tests of mm/pgtable.c: rule R3, the locked recheck of pte_offset_map_lock().
 *
 * A walker maps a PTE table holding only rcu_read_lock(), reads the pmd
 * once, and then takes the table's PTE lock. Between the read and the lock
 * a MADV_DONTNEED on another CPU may empty the table and reclaim it: clear
 * the pmd holding the PMD lock and the table's own PTE lock (R6,
 * mm/pt_reclaim.c), and queue it to be freed after a grace period. The
 * walker then holds the lock of a table nobody reaches any more; anything
 * it writes there is lost. R3: under the lock, compare the pmd with the
 * value read; if it changed, unlock and walk again.
 *
 * The window is a few instructions wide, so the test widens it with the
 * fault-injection point pte_map_lock (switched on here for the test's
 * duration if the boot did not) and counts pte_map_retry to prove the
 * retry ran. Suite r3-recheck (tools/suites.py) boots with the point on.
 */
#include "kernel/fault_inject.h"
#include "kernel/ktest.h"
#include "kernel/rwsem.h"
#include "kernel/smp.h"
#include "mm/mm_ktest.h"
#include "mm/pt_reclaim.h"

#define R3_BASE       0x30000000000ul   /* 3 TiB: a PGD slot of its own */
#define R3_HOLD_MS    1                 /* the window, when the boot set none */
#define R3_RETRIES    8                 /* retries to see before we stop */
#define R3_MAX_CYCLES 4000              /* reclaims without a retry: give up */

static struct {
	int walker_cpu;
	struct mm_struct *mm;
	pmd_t *pmd;                   /* the pmd whose PTE table comes and goes */
	unsigned long retry0;         /* PTE_MAP_RETRY before the test */
	unsigned long reclaim0;       /* PT_RECLAIM_FAST + _SLOW before */
	int stop;                     /* atomic: the walker has seen enough */
	int reclaimer_done;           /* atomic */
	long walks, locked, wrong;    /* the walker's tally */
	long cycles;                  /* the reclaimer's */
	long fault_err;
} r3;

static unsigned long r3_retries(void)
{
	return vm_event_sum(PTE_MAP_RETRY) - r3.retry0;
}

static unsigned long r3_reclaimed(void)
{
	return vm_event_sum(PT_RECLAIM_FAST) + vm_event_sum(PT_RECLAIM_SLOW) - r3.reclaim0;
}

/*
 * The walker: map and lock the table over and over, as a fault would.
 * Holding the PTE lock, the pmd must point at the table locked: that is
 * the whole promise of pte_offset_map_lock (a reclaimer needs this lock to
 * clear the pmd, so it cannot change while we hold it).
 */
static void r3_walker(void)
{
	while (!__atomic_load_n(&r3.stop, __ATOMIC_ACQUIRE)) {
		spinlock_t *ptl;
		down_read(&r3.mm->mmap_lock);
		pte_t *pte = pte_offset_map_lock(r3.mm, r3.pmd, R3_BASE, &ptl);
		if (pte) {
			pmd_t now = pmdp_get(r3.pmd);
			struct page *table = virt_to_page(pte);
			if (!pmd_present(now) || pmd_pgtable(now) != table || ptl != &table->ptl)
				r3.wrong++;
			r3.locked++;
			pte_unmap_unlock(pte, ptl);
		}
		up_read(&r3.mm->mmap_lock);
		r3.walks++;
		if (r3_retries() >= R3_RETRIES || r3.wrong ||
		    __atomic_load_n(&r3.reclaimer_done, __ATOMIC_ACQUIRE))
			__atomic_store_n(&r3.stop, 1, __ATOMIC_RELEASE);
	}
}

/*
 * The reclaimer: fault a page in (a table appears), DONTNEED it: the zap
 * leaves the table empty and the DONTNEED reclaims it (the pmd goes none).
 */
static void r3_reclaimer(void)
{
	while (!__atomic_load_n(&r3.stop, __ATOMIC_ACQUIRE) && r3.cycles < R3_MAX_CYCLES) {
		if (handle_mm_fault(r3.mm, R3_BASE, FAULT_FLAG_WRITE) ||
		    do_madvise(r3.mm, R3_BASE, PG, MADV_DONTNEED)) {
			r3.fault_err++;
			break;
		}
		r3.cycles++;
	}
	__atomic_store_n(&r3.reclaimer_done, 1, __ATOMIC_RELEASE);
}

KTEST(r3_pte_map_lock_recheck)
{
	struct fault_inject *fi = fault_inject_find("pte_map_lock");
	unsigned long hold = fi->ms;
	int me = cpu_id();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	if (!reclaim_pt_enabled())
		KT_SKIP("ptreclaim=off: nothing clears the pmd under the walker");
	r3 = (__typeof__(r3)){ .walker_cpu = me == 1 ? 0 : 1 };
	r3.mm = mm_create();
	KT_ASSERT(r3.mm != NULL);
	KT_ASSERT_EQ(tmap(r3.mm, R3_BASE, PMD_SIZE, RW, ANON | MAP_FIXED), (long)R3_BASE);
	KT_ASSERT_EQ(handle_mm_fault(r3.mm, R3_BASE, FAULT_FLAG_WRITE), 0);
	r3.pmd = mm_find_pmd(r3.mm, R3_BASE);      /* the PMD table stays: only PTE tables go */
	KT_ASSERT(r3.pmd != NULL);

	if (!hold)
		fault_inject_set(fi, R3_HOLD_MS);
	r3.retry0 = vm_event_sum(PTE_MAP_RETRY);
	r3.reclaim0 = vm_event_sum(PT_RECLAIM_FAST) + vm_event_sum(PT_RECLAIM_SLOW);
	run_on_two_cpus(r3.walker_cpu, r3_walker, me, r3_reclaimer);
	fault_inject_set(fi, hold);

	printk("# r3_pte_map_lock_recheck: window %lu ms, %ld walks (%ld locked), "
	       "%lu tables reclaimed, pte_map_retry +%lu\n", hold ? hold : R3_HOLD_MS,
	       r3.walks, r3.locked, r3_reclaimed(), r3_retries());
	KT_EXPECT_EQ(r3.fault_err, 0);
	/* R3: never a lock on a table the pmd no longer points to... */
	KT_EXPECT_EQ(r3.wrong, 0);
	/* ...because the walk saw the pmd change and retried (proof the race was run). */
	KT_EXPECT(r3_retries() >= R3_RETRIES);
	KT_EXPECT(r3_reclaimed() > 0);
	mmput(r3.mm);
}
