/*
 * Tests of empty-PTE-table reclaim (R6, mm/pt_reclaim.c) and of the R4
 * flush it makes necessary. Each names the path it drives and checks it
 * through the counters, the mm's table bytes (VmPTE) and the PMD itself:
 *
 *  - a DONTNEED that empties a table, whatever its size and alignment,
 *    unhooks it (fast path) and the page goes back after a grace period;
 *  - a partial DONTNEED keeps the table and the other pages' data;
 *  - the slow path reclaims, and refuses a table that was refilled
 *    (pt_reclaim_busy) or replaced (pt_reclaim_raced) since the zap;
 *  - R4: a fault that installs a new table where a reclaimed one was
 *    unhooked, while that gather has not flushed yet, flushes first; it
 *    does so with the PMD lock dropped, and flushes again if another CPU
 *    cleared the same PMD meanwhile.
 */
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "mm/internal.h"
#include "mm/mm_ktest.h"
#include "mm/pt_reclaim.h"
#include "mm/tlb.h"

#define RECLAIM_BASE 0x30000000000ul    /* 3 TiB: 1 GiB aligned, a PGD slot of its own */
#define PTES_PER_TABLE 512

/* The PTE table mapping addr, or NULL. */
static struct page *table_at(struct mm_struct *mm, unsigned long addr)
{
	pmd_t *pmd = mm_find_pmd(mm, addr);
	if (!pmd || !pmd_present(*pmd) || pmd_leaf(*pmd))
		return NULL;
	return pmd_pgtable(*pmd);
}

struct reclaim_env {
	struct mm_struct *mm, *prev;
	long tables0;                    /* NR_PAGE_TABLE_PAGES, settled, before */
	unsigned long fast, slow, raced, busy;
};

static bool env_start(struct reclaim_env *e, unsigned long len)
{
	e->tables0 = settled_pgtable_pages();
	e->mm = mm_create();
	if (!e->mm)
		return false;
	e->prev = test_use_mm(e->mm);
	e->fast = vm_event_sum(PT_RECLAIM_FAST);
	e->slow = vm_event_sum(PT_RECLAIM_SLOW);
	e->raced = vm_event_sum(PT_RECLAIM_RACED);
	e->busy = vm_event_sum(PT_RECLAIM_BUSY);
	return tmap(e->mm, RECLAIM_BASE, len, RW, ANON | MAP_FIXED) == (long)RECLAIM_BASE;
}

#define DELTA(e, ctr, field) ((long)(vm_event_sum(ctr) - (e)->field))

/* Every reclaim test starts so: skipped without reclaim, a fresh mm with len mapped. */
#define RECLAIM_TEST_START(e, len) do {                                       \
	if (!reclaim_pt_enabled())                                            \
		KT_SKIP("booted with ptreclaim=off");                          \
	KT_ASSERT(env_start(e, len));                                         \
} while (0)

/* The slow path alone, in a gather of its own, on a table the test chose. */
static void slow_path_on(struct mm_struct *mm, pmd_t *pmd, struct page *table)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	reclaim_pt_slow(&tlb, pmd, table, RECLAIM_BASE);
	tlb_finish_mmu(&tlb);
}

static void env_end(struct ktest_ctx *t, struct reclaim_env *e)
{
	test_mm_release(e->mm, e->prev);
	KT_EXPECT_EQ(settled_pgtable_pages(), e->tables0);   /* every reclaimed table freed */
}

/* Write one byte in each of pages [first, first + n) of the region. */
static int touch(unsigned long first, int n, char c)
{
	for (int i = 0; i < n; i++)
		if (poke(RECLAIM_BASE + (first + i) * PG, c))
			return -1;
	return 0;
}

/* One whole table: fast path; the PMD is none, VmPTE loses one page, and it is freed. */
KTEST(pt_reclaim_whole_table)
{
	struct reclaim_env e;
	RECLAIM_TEST_START(&e, 2 * PMD_SIZE);
	if (ptreclaim_force_slow)
		KT_SKIP("booted with ptreclaim.force_slow: no fast path");
	KT_ASSERT_EQ(touch(0, PTES_PER_TABLE, 'a'), 0);
	long bytes = mm_pgtables_bytes(e.mm);
	KT_EXPECT_EQ(table_at(e.mm, RECLAIM_BASE)->pt_count, PTES_PER_TABLE);

	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE, PMD_SIZE, MADV_DONTNEED), 0);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) == NULL);
	KT_EXPECT_EQ(mm_pgtables_bytes(e.mm), bytes - (long)PG);
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_FAST, fast), 1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 0);
	KT_EXPECT_EQ(peek(RECLAIM_BASE + 77 * PG), 0);       /* a new table, the zero page */
	env_end(t, &e);
}

/*
 * Partial DONTNEEDs, 1 MiB off the table's alignment: the first keeps the
 * table and the other half's data; the one that takes the last entry (it
 * also covers half of the next table, which it leaves alone) reclaims it.
 * Linux would keep the table: no single call covered its 2 MiB.
 */
KTEST(pt_reclaim_any_alignment)
{
	struct reclaim_env e;
	RECLAIM_TEST_START(&e, 2 * PMD_SIZE);
	if (ptreclaim_force_slow)
		KT_SKIP("booted with ptreclaim.force_slow: no fast path");
	KT_ASSERT_EQ(touch(0, 2 * PTES_PER_TABLE, 'b'), 0);
	long bytes = mm_pgtables_bytes(e.mm);

	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE, PMD_SIZE / 2, MADV_DONTNEED), 0);
	struct page *first = table_at(e.mm, RECLAIM_BASE);
	KT_EXPECT(first != NULL);
	if (first)
		KT_EXPECT_EQ(first->pt_count, PTES_PER_TABLE / 2);
	KT_EXPECT_EQ(peek(RECLAIM_BASE + 300 * PG), 'b');    /* the kept half kept its data */
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_FAST, fast), 0);

	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE + PMD_SIZE / 2, PMD_SIZE, MADV_DONTNEED), 0);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) == NULL);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE + PMD_SIZE) != NULL);
	KT_EXPECT_EQ(peek(RECLAIM_BASE + PMD_SIZE + 400 * PG), 'b');
	KT_EXPECT_EQ(mm_pgtables_bytes(e.mm), bytes - (long)PG);
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_FAST, fast), 1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), PTES_PER_TABLE / 2);
	env_end(t, &e);
}

/* A table that held only zero-page entries (reads) is reclaimed the same way. */
KTEST(pt_reclaim_zero_page_entries)
{
	struct reclaim_env e;
	RECLAIM_TEST_START(&e, PMD_SIZE);
	if (ptreclaim_force_slow)
		KT_SKIP("booted with ptreclaim.force_slow: no fast path");
	for (int i = 0; i < 8; i++)
		KT_EXPECT_EQ(peek(RECLAIM_BASE + i * PG), 0);
	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE, 8 * PG, MADV_DONTNEED), 0);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) == NULL);
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_FAST, fast), 1);
	env_end(t, &e);
}

/* munmap does not go through reclaim: its tables leave by free_pgtables. */
KTEST(pt_reclaim_not_on_munmap)
{
	struct reclaim_env e;
	KT_ASSERT(env_start(&e, 2 * PMD_SIZE));
	KT_ASSERT_EQ(touch(0, 4, 'c'), 0);
	KT_EXPECT_EQ(do_munmap(e.mm, RECLAIM_BASE, 4 * PG), 0);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) != NULL);     /* the VMA above still covers it */
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_FAST, fast) + DELTA(&e, PT_RECLAIM_SLOW, slow), 0);
	env_end(t, &e);
}

/* With the fast path's try-lock made to fail, the slow path reclaims. */
KTEST(pt_reclaim_slow_path)
{
	struct reclaim_env e;
	RECLAIM_TEST_START(&e, PMD_SIZE);
	KT_ASSERT_EQ(touch(0, 16, 'd'), 0);
	bool saved = ptreclaim_force_slow;
	ptreclaim_force_slow = true;
	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE, 16 * PG, MADV_DONTNEED), 0);
	ptreclaim_force_slow = saved;
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) == NULL);
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_SLOW, slow), 1);
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_FAST, fast), 0);
	env_end(t, &e);
}

/*
 * The slow path trusts nothing it saw before: handed a table that has an
 * entry again (a fault refilled it after the zap), it leaves it (busy);
 * handed a table that is no longer at the PMD (reclaimed by another
 * DONTNEED, a new table faulted in), it leaves the new one (raced). Remove
 * either recheck and the table is unhooked with an entry in use (a panic
 * in pte_free_tlb) or the wrong table goes.
 */
KTEST(pt_reclaim_slow_path_rechecks)
{
	struct reclaim_env e;
	RECLAIM_TEST_START(&e, PMD_SIZE);
	KT_ASSERT_EQ(touch(0, 1, 'e'), 0);
	pmd_t *pmd = mm_find_pmd(e.mm, RECLAIM_BASE);
	struct page *old = table_at(e.mm, RECLAIM_BASE);
	KT_ASSERT(old != NULL);

	slow_path_on(e.mm, pmd, old);                        /* refilled: one entry */
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_BUSY, busy), 1);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) == old);

	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE, PG, MADV_DONTNEED), 0);   /* old goes */
	KT_ASSERT_EQ(touch(1, 1, 'f'), 0);                   /* a new table */
	struct page *new = table_at(e.mm, RECLAIM_BASE);
	KT_EXPECT(new != NULL && new != old);                /* old waits for its grace period */
	slow_path_on(e.mm, pmd, old);                        /* replaced: another table */
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_RACED, raced), 1);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) == new);
	KT_EXPECT_EQ(peek(RECLAIM_BASE + PG), 'f');
	env_end(t, &e);
}

/*
 * R4 with reclaim: a gather unhooked a table and has not flushed yet (as
 * a DONTNEED on another CPU between its zap and tlb_finish_mmu). A fault
 * in that 2 MiB installs a new table: pmd_install must flush the range
 * first, or a CPU could still hold translations through the old table
 * beside new ones through the new table.
 */
KTEST(r4_flush_before_reinstall_after_reclaim)
{
	struct reclaim_env e;
	struct mmu_gather tlb;
	RECLAIM_TEST_START(&e, PMD_SIZE);
	KT_ASSERT_EQ(touch(0, 1, 'g'), 0);
	pmd_t *pmd = mm_find_pmd(e.mm, RECLAIM_BASE);
	struct page *table = table_at(e.mm, RECLAIM_BASE);

	/* DONTNEED's zap, its gather left open: the table is unhooked, not yet flushed. */
	tlb_gather_mmu(&tlb, e.mm);
	struct zap_details details = { .reclaim_pt = true };
	unmap_page_range(&tlb, RECLAIM_BASE, RECLAIM_BASE + PG, &details);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) == NULL);
	KT_EXPECT(pmd_none(*pmd));

	unsigned long r4 = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD);
	KT_EXPECT_EQ(handle_mm_fault(e.mm, RECLAIM_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD) - r4, 1);
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) != NULL && table_at(e.mm, RECLAIM_BASE) != table);
	tlb_finish_mmu(&tlb);

	r4 = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD);         /* no gather open: no flush owed */
	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE, PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(handle_mm_fault(e.mm, RECLAIM_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD) - r4, 0);
	env_end(t, &e);
}

/*
 * R4's flush is made with the PMD lock dropped, and rechecked. A gather
 * owes the clear of a 2 MiB (its table reclaimed, not flushed yet); a
 * fault there flushes for it and, holding no lock, reaches r4_relock_hook,
 * which holds it there until another CPU has faulted a table into the
 * same 2 MiB (taking the PMD lock) and reclaimed that one too (the fast
 * path's try-lock of the PMD lock must succeed), its gather left open. On
 * taking the PMD lock again the first fault must see that a clear came
 * after its flush (tlb_flush_before_set_pmd_retry), flush again, and only
 * then set its table; under ptcheck, setting it without the second flush
 * is reported as R4. The first flush must have left the PMD lock free:
 * flushing under it, the other CPU could not have got in.
 */
#define R4W_BOUND_NS (30ul * 1000 * 1000 * 1000)   /* a bound: a broken kernel fails, not hangs */

static struct {
	struct mm_struct *mm;
	int faulter_cpu;
	int windows;                  /* R4 windows of the faulter (hook calls on its CPU) */
	bool lock_free;               /* the PMD lock was free in the first one */
	int in_window, meanwhile_done, fault_done;   /* atomic: the events between the CPUs */
	long errors;
} r4w;

/* Wait for *flag, or *stop if given; false if stop (or the bound) came first. */
static bool r4w_wait(const int *flag, const int *stop)
{
	u64 end = ktime_ns() + R4W_BOUND_NS;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if ((stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)) || ktime_ns() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static void r4w_window(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	(void)addr;
	if (mm != r4w.mm || cpu_id() != r4w.faulter_cpu || r4w.windows++)
		return;               /* the other CPU's own R4 flush, or our flush after the recheck */
	r4w.lock_free = !spin_is_locked(pmd_lockptr(pmd));
	if (!r4w.lock_free)
		return;               /* flushing under the lock: the other CPU would spin on it */
	__atomic_store_n(&r4w.in_window, 1, __ATOMIC_RELEASE);
	if (!r4w_wait(&r4w.meanwhile_done, NULL))
		r4w.errors++;
}

static void r4w_faulter(void)
{
	struct mm_struct *prev = test_use_mm(r4w.mm);
	struct zap_details reclaim = { .reclaim_pt = true };
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, r4w.mm);                   /* a DONTNEED: reclaimed, flush owed */
	unmap_page_range(&tlb, RECLAIM_BASE, RECLAIM_BASE + PG, &reclaim);
	r4_relock_hook = r4w_window;
	if (handle_mm_fault(r4w.mm, RECLAIM_BASE, FAULT_FLAG_WRITE))
		r4w.errors++;
	r4_relock_hook = NULL;
	__atomic_store_n(&r4w.fault_done, 1, __ATOMIC_RELEASE);
	tlb_finish_mmu(&tlb);
	test_unuse_mm(r4w.mm, prev);
}

static void r4w_other(void)
{
	struct mm_struct *prev = test_use_mm(r4w.mm);
	struct zap_details reclaim = { .reclaim_pt = true };
	struct mmu_gather tlb;

	if (r4w_wait(&r4w.in_window, &r4w.fault_done)) {
		if (handle_mm_fault(r4w.mm, RECLAIM_BASE + PG, FAULT_FLAG_WRITE))
			r4w.errors++;                   /* a table in the same 2 MiB ... */
		tlb_gather_mmu(&tlb, r4w.mm);
		unmap_page_range(&tlb, RECLAIM_BASE + PG, RECLAIM_BASE + 2 * PG, &reclaim);
		__atomic_store_n(&r4w.meanwhile_done, 1, __ATOMIC_RELEASE);   /* ... reclaimed */
		r4w_wait(&r4w.fault_done, NULL);        /* our clear stays owed meanwhile */
		tlb_finish_mmu(&tlb);
	}
	test_unuse_mm(r4w.mm, prev);
}

KTEST(r4_flush_unlocked_then_rechecks)
{
	struct reclaim_env e;
	int me = cpu_id();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	RECLAIM_TEST_START(&e, PMD_SIZE);
	KT_ASSERT_EQ(touch(0, 1, 'r'), 0);
	r4w = (__typeof__(r4w)){ .mm = e.mm, .faulter_cpu = me };
	unsigned long r4 = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD);
	unsigned long retry = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD_RETRY);

	run_on_two_cpus(me, r4w_faulter, me == 1 ? 0 : 1, r4w_other);
	KT_EXPECT_EQ(r4w.errors, 0);
	KT_EXPECT(r4w.lock_free);                            /* the flush left the PMD lock free */
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_FAST, fast) + DELTA(&e, PT_RECLAIM_SLOW, slow), 2);
	KT_EXPECT_EQ(vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD_RETRY) - retry, 1);   /* the recheck */
	KT_EXPECT_EQ(r4w.windows, 2);                        /* so the faulter flushed again */
	KT_EXPECT_EQ(vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD) - r4, 3);   /* and the other CPU once */
	KT_EXPECT(table_at(e.mm, RECLAIM_BASE) != NULL);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 1);
	env_end(t, &e);
}

/*
 * The 6.14-rc1 bug, made to happen: the zap empties the table and its
 * fast path fails; before the slow path runs, a fault writes a page of the
 * table again (the hook stands in for another CPU). The slow path must
 * find the table busy and keep it, with the new page's data. Under
 * ptbug=stale-scan it trusts what the zap saw and reclaims a table in use
 * (suite ptbug-stale-scan: ptcheck reports R6).
 */
static void refill_meanwhile(struct mmu_gather *tlb, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(tlb->mm, addr);   /* mmap_lock held by madvise */
	__handle_mm_fault(vma, RECLAIM_BASE + 5 * PG, FAULT_FLAG_WRITE);
}

KTEST(pt_reclaim_refilled_before_slow_path)
{
	struct reclaim_env e;
	RECLAIM_TEST_START(&e, PMD_SIZE);
	KT_ASSERT_EQ(touch(0, 4, 'h'), 0);
	bool saved = ptreclaim_force_slow;
	ptreclaim_force_slow = true;
	ptreclaim_slow_hook = refill_meanwhile;
	KT_EXPECT_EQ(do_madvise(e.mm, RECLAIM_BASE, 4 * PG, MADV_DONTNEED), 0);
	ptreclaim_slow_hook = NULL;
	ptreclaim_force_slow = saved;
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_BUSY, busy), 1);
	KT_EXPECT_EQ(DELTA(&e, PT_RECLAIM_SLOW, slow), 0);
	struct page *table = table_at(e.mm, RECLAIM_BASE);
	KT_EXPECT(table != NULL);
	if (table)
		KT_EXPECT_EQ(table->pt_count, 1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 1);
	env_end(t, &e);
}
