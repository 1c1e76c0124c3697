/*
 * Tests of MADV_COLLAPSE (mm/khugepaged.c):
 *
 *  - a block of small pages becomes one huge PMD with every byte kept, the
 *    holes zero; VmPTE does not move (the deposit replaces the retracted
 *    table), RSS becomes 512 pages, and the retracted table is freed only
 *    after a grace period (pte_free_defer);
 *  - the errors Linux 6.18 gives, measured on the host with the same calls;
 *  - a block that changes between the copy and the install (a write that
 *    sets a dirty bit, a fault that fills an entry, a DONTNEED that zaps
 *    one) is left as it was, with EAGAIN, and collapses on the next try;
 *  - a walker inside the table under rcu_read_lock() (R3) when the collapse
 *    retracts it still finds it whole, unpoisoned, until it leaves. Under
 *    ptbug=collapse-free-now it finds it freed (suite ptbug-collapse-free-now);
 *  - a DONTNEED whose zap was inside the table when the collapse retracted
 *    it walks again and zaps the new huge PMD.
 */
#include "kernel/fault_inject.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "mm/internal.h"
#include "mm/thp_ktest.h"

static struct page *table_at(struct mm_struct *mm, unsigned long addr)
{
	pmd_t pmd = pmd_at(mm, addr);
	return pmd_present(pmd) && !pmd_trans_huge(pmd) ? pmd_pgtable(pmd) : NULL;
}

/* 100 pages written, one read (the zero page), the rest never touched: one huge PMD. */
KTEST(collapse_copies_every_byte)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, 2 * PMD_SIZE, false));
	KT_ASSERT_EQ(fill(THP_BASE, 100 * PG), 0);
	KT_EXPECT_EQ(peek(THP_BASE + 200 * PG), 0);
	struct page *old = table_at(e.mm, THP_BASE);
	KT_ASSERT(old != NULL);
	long bytes = mm_pgtables_bytes(e.mm);
	unsigned long alloc = vm_event_sum(THP_COLLAPSE_ALLOC);
	unsigned long retract = vm_event_sum(THP_COLLAPSE_RETRACT);
	unsigned long deferred = vm_event_sum(PGTABLE_FREE_DEFERRED);

	KT_EXPECT_EQ(do_madvise(e.mm, THP_BASE, PMD_SIZE, MADV_COLLAPSE), 0);
	pmd_t pmd = pmd_at(e.mm, THP_BASE);
	KT_EXPECT(pmd_trans_huge(pmd) && pmd_present(pmd) && pmd_write(pmd));
	KT_EXPECT_EQ(vm_event_sum(THP_COLLAPSE_ALLOC) - alloc, 1);
	KT_EXPECT_EQ(vm_event_sum(THP_COLLAPSE_RETRACT) - retract, 1);
	KT_EXPECT_EQ(vm_event_sum(PGTABLE_FREE_DEFERRED) - deferred, 1);   /* pte_free_defer */
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR);
	KT_EXPECT_EQ(get_mm_thp_pmds(e.mm), 1);
	KT_EXPECT_EQ(mm_pgtables_bytes(e.mm), bytes);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE, THP_BASE + 100 * PG, THP_BASE + PMD_SIZE), -1);
	KT_EXPECT(pmd_none(pmd_at(e.mm, THP_BASE + PMD_SIZE)));   /* the next block: untouched */
	rcu_barrier();
	KT_EXPECT(!PageTable(old));                               /* freed after the grace period */
	/* The new huge page is a huge page like any other: a partial DONTNEED splits it. */
	KT_EXPECT_EQ(do_madvise(e.mm, THP_BASE + 7 * PG, PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(check_bytes(THP_BASE, 100 * PG, THP_BASE + 7 * PG, THP_BASE + 8 * PG), -1);
	env_end(t, &e);
}

/*
 * Errors, as Linux 6.18 gives them for the same calls (user/tests/thp_collapse.c
 * makes them on both kernels): EINVAL for a block never touched, any block of
 * a VMA where no page was ever written (Linux: no anon_vma), an unaligned
 * start, a range inside one block, a MADV_NOHUGEPAGE VMA; ENOMEM for a hole in
 * the range or no huge page; 0 for a range that covers no whole block without
 * lying inside one, and for a block already huge.
 */
KTEST(collapse_errors_as_linux)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, 4 * PMD_SIZE, false));
	unsigned long b0 = THP_BASE, b1 = b0 + PMD_SIZE, b2 = b1 + PMD_SIZE, b3 = b2 + PMD_SIZE;

	KT_EXPECT_EQ(do_madvise(e.mm, b0, PMD_SIZE, MADV_COLLAPSE), -EINVAL);   /* never touched */
	KT_EXPECT_EQ(peek(b1 + 5 * PG), 0);
	KT_EXPECT_EQ(do_madvise(e.mm, b1, PMD_SIZE, MADV_COLLAPSE), -EINVAL);   /* never written */
	KT_ASSERT_EQ(fill(b0, 4 * PG), 0);
	KT_EXPECT_EQ(do_madvise(e.mm, b0 + 1, PG, MADV_COLLAPSE), -EINVAL);
	KT_EXPECT_EQ(do_madvise(e.mm, b0 + PG, PG, MADV_COLLAPSE), -EINVAL);    /* inside one block */
	KT_EXPECT_EQ(do_madvise(e.mm, b0 + PG, PMD_SIZE, MADV_COLLAPSE), 0);    /* no whole block */
	KT_EXPECT(!pmd_trans_huge(pmd_at(e.mm, b0)));

	void *hoard = hoard_huge_blocks();
	unsigned long failed = vm_event_sum(THP_COLLAPSE_ALLOC_FAILED);
	KT_EXPECT_EQ(do_madvise(e.mm, b0, PMD_SIZE, MADV_COLLAPSE), -ENOMEM);
	KT_EXPECT_EQ(vm_event_sum(THP_COLLAPSE_ALLOC_FAILED) - failed, 1);
	release_huge_blocks(hoard);

	KT_EXPECT_EQ(do_madvise(e.mm, b0, PMD_SIZE + PMD_SIZE / 2, MADV_COLLAPSE), 0); /* b0 only */
	KT_EXPECT(pmd_trans_huge(pmd_at(e.mm, b0)));
	KT_EXPECT(!pmd_trans_huge(pmd_at(e.mm, b1)));
	/* b0 already huge; b1 only read, but the VMA has had a page written now. */
	KT_EXPECT_EQ(do_madvise(e.mm, b0, 2 * PMD_SIZE, MADV_COLLAPSE), 0);
	KT_EXPECT(pmd_trans_huge(pmd_at(e.mm, b1)));
	KT_EXPECT_EQ(check_bytes(b0, 4 * PG, 0, 0), -1);
	KT_EXPECT_EQ(check_bytes(b1, PMD_SIZE, b1, b1 + PMD_SIZE), -1);
	KT_EXPECT_EQ(do_madvise(e.mm, b0, 3 * PMD_SIZE, MADV_COLLAPSE), -EINVAL); /* b2 untouched */

	KT_ASSERT_EQ(do_munmap(e.mm, b2, PMD_SIZE), 0);
	KT_ASSERT_EQ(fill(b3, PG), 0);
	KT_EXPECT_EQ(do_madvise(e.mm, b1, 3 * PMD_SIZE, MADV_COLLAPSE), -ENOMEM); /* hole: b2 */
	KT_EXPECT(pmd_trans_huge(pmd_at(e.mm, b3)));              /* collapsed all the same */

	KT_EXPECT_EQ(do_madvise(e.mm, b3, PMD_SIZE, MADV_DONTNEED), 0);
	KT_ASSERT_EQ(fill(b3, PG), 0);
	KT_ASSERT_EQ(do_madvise(e.mm, b3, PMD_SIZE, MADV_NOHUGEPAGE), 0);
	KT_EXPECT_EQ(do_madvise(e.mm, b3, PMD_SIZE, MADV_COLLAPSE), -EINVAL);
	env_end(t, &e);
}

/* --- a block that changes meanwhile ---------------------------------------- */

#define CHANGED_PAGE 3                   /* written by the test, then changed meanwhile */

/* What a CPU's write does through a clean TLB entry: sets the dirty bit, then writes. */
static void write_meanwhile(struct vm_area_struct *vma, unsigned long haddr)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(vma->vm_mm, mm_find_pmd(vma->vm_mm, haddr),
					 haddr + CHANGED_PAGE * PG, &ptl);
	__atomic_or_fetch(&pte->pte, _PAGE_DIRTY, __ATOMIC_SEQ_CST);
	((char *)page_address(vm_normal_page(ptep_get(pte))))[5] = 'W';
	pte_unmap_unlock(pte, ptl);
}

static void fault_meanwhile(struct vm_area_struct *vma, unsigned long haddr)
{
	__handle_mm_fault(vma, haddr + 50 * PG, FAULT_FLAG_WRITE);
}

static void zap_meanwhile(struct vm_area_struct *vma, unsigned long haddr)
{
	zap_page_range_single(vma, haddr + CHANGED_PAGE * PG, PG);
}

/* One collapse with hook run between its copy and its install: EAGAIN, the table kept. */
static void collapse_meanwhile(struct ktest_ctx *t, struct thp_env *e,
			       void (*hook)(struct vm_area_struct *, unsigned long))
{
	struct page *table = table_at(e->mm, THP_BASE);
	unsigned long busy = vm_event_sum(THP_COLLAPSE_BUSY);

	collapse_before_install_hook = hook;
	KT_EXPECT_EQ(do_madvise(e->mm, THP_BASE, PMD_SIZE, MADV_COLLAPSE), -EAGAIN);
	collapse_before_install_hook = NULL;
	KT_EXPECT_EQ(vm_event_sum(THP_COLLAPSE_BUSY) - busy, 1);
	KT_EXPECT(table != NULL && table_at(e->mm, THP_BASE) == table);   /* put back */
}

KTEST(collapse_gives_up_when_block_changes)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, PMD_SIZE, false));
	KT_ASSERT_EQ(fill(THP_BASE, 8 * PG), 0);

	collapse_meanwhile(t, &e, write_meanwhile);
	KT_EXPECT_EQ(peek(THP_BASE + CHANGED_PAGE * PG + 5), 'W');
	collapse_meanwhile(t, &e, fault_meanwhile);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 9);
	collapse_meanwhile(t, &e, zap_meanwhile);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 8);

	KT_EXPECT_EQ(do_madvise(e.mm, THP_BASE, PMD_SIZE, MADV_COLLAPSE), 0);   /* left alone: works */
	KT_EXPECT(pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	unsigned long zapped = THP_BASE + CHANGED_PAGE * PG, rest = THP_BASE + 8 * PG;
	KT_EXPECT_EQ(check_bytes(THP_BASE, 8 * PG, zapped, zapped + PG), -1);
	KT_EXPECT_EQ(check_bytes(rest, THP_BASE + PMD_SIZE - rest, rest, THP_BASE + PMD_SIZE), -1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR);
	env_end(t, &e);
}

/* --- a walker inside the table keeps it ------------------------------------ */

#define HOLD_NS (10ul * 1000 * 1000 * 1000)   /* the reader gives up waiting after this */

static struct {
	int reader_cpu;
	struct mm_struct *mm;
	pmd_t *pmd;
	struct page *table;           /* the reader's PTE table */
	int reader_in, collapsed;     /* atomic flags */
	long ret;
	long done_before, done_inside;
	bool saw_dead;
} cr;

/* An R3 walker: inside rcu_read_lock() with the table mapped, across the whole collapse. */
static void collapse_reader(void)
{
	pte_t *pte = pte_offset_map(cr.pmd, THP_BASE, NULL);

	if (pte)
		cr.table = virt_to_page(pte);
	__atomic_store_n(&cr.reader_in, 1, __ATOMIC_RELEASE);
	if (!pte)
		return;
	for (u64 t0 = ktime_ns(); !__atomic_load_n(&cr.collapsed, __ATOMIC_ACQUIRE);)
		if (ktime_ns() - t0 > HOLD_NS)
			break;
	cr.saw_dead = pgtable_dead(cr.table);
	cr.done_inside = (long)vm_event_sum(PGTABLE_FREE_DONE);
	pte_unmap(pte);                       /* rcu_read_unlock(): now it may go */
}

static void collapser(void)
{
	while (!__atomic_load_n(&cr.reader_in, __ATOMIC_ACQUIRE))
		cpu_relax();
	cr.done_before = (long)vm_event_sum(PGTABLE_FREE_DONE);
	cr.ret = do_madvise(cr.mm, THP_BASE, PMD_SIZE, MADV_COLLAPSE);
	__atomic_store_n(&cr.collapsed, 1, __ATOMIC_RELEASE);
}

KTEST(collapse_table_not_freed_under_rcu_reader)
{
	struct thp_env e;
	int me = cpu_id();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	KT_ASSERT(env_start(&e, PMD_SIZE, false));
	KT_ASSERT_EQ(fill(THP_BASE, 16 * PG), 0);
	cr = (__typeof__(cr)){ .reader_cpu = me == 1 ? 0 : 1, .mm = e.mm };
	cr.pmd = mm_find_pmd(e.mm, THP_BASE);
	rcu_barrier();                        /* no earlier callback may run while we watch */

	run_on_two_cpus(cr.reader_cpu, collapse_reader, me, collapser);

	KT_ASSERT(cr.table != NULL);
	KT_EXPECT_EQ(cr.ret, 0);
	KT_EXPECT(pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	/* Retracted while the reader was inside: not freed, not poisoned until it left. */
	KT_EXPECT(!cr.saw_dead);
	KT_EXPECT_EQ(cr.done_inside, cr.done_before);
	rcu_barrier();
	KT_EXPECT(!PageTable(cr.table));
	KT_EXPECT_EQ(check_bytes(THP_BASE, 16 * PG, 0, 0), -1);
	env_end(t, &e);
}

/* --- a DONTNEED that finds the table gone under it ------------------------- */

static struct {
	struct mm_struct *mm;
	int dontneed_cpu;
	int go;                          /* atomic: the collapse is between copy and install */
	struct fault_inject *hold;
	unsigned long hits0;
	long collapse_ret, dontneed_ret;
} cz;

/*
 * Between the collapse's copy and its install: let the DONTNEED start and
 * wait until its zap is held in pte_offset_map_lock, inside the table the
 * install is about to retract (fault_inject=collapse_walker_hold).
 */
static void start_dontneed_meanwhile(struct vm_area_struct *vma, unsigned long haddr)
{
	__atomic_store_n(&cz.go, 1, __ATOMIC_RELEASE);
	for (u64 t0 = ktime_ns(); fault_inject_hits(cz.hold) == cz.hits0;)
		if (ktime_ns() - t0 > HOLD_NS)
			break;
}

/* The DONTNEED's CPU: start once the collapse lets it (start_dontneed_meanwhile). */
static void dontneed_role(void)
{
	while (!__atomic_load_n(&cz.go, __ATOMIC_ACQUIRE))
		cpu_relax();
	cz.dontneed_ret = do_madvise(cz.mm, THP_BASE, PMD_SIZE, MADV_DONTNEED);
}

static void collapse_role(void)
{
	collapse_before_install_hook = start_dontneed_meanwhile;
	cz.collapse_ret = do_madvise(cz.mm, THP_BASE, PMD_SIZE, MADV_COLLAPSE);
	collapse_before_install_hook = NULL;
}

/*
 * A DONTNEED whose zap mapped the PTE table just before a collapse
 * retracted it: its locked walk finds the PMD changed (R3), walks again,
 * finds a huge PMD, and must zap that (mm/memory.c: zap_one_pmd reads the
 * PMD again). Were "no table" taken for "nothing mapped", the DONTNEED
 * would return with the whole block still mapped, in the huge page.
 */
KTEST(collapse_races_dontneed)
{
	struct thp_env e;
	int me = cpu_id();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	KT_ASSERT(env_start(&e, PMD_SIZE, false));
	KT_ASSERT_EQ(fill(THP_BASE, 32 * PG), 0);
	cz = (__typeof__(cz)){ .mm = e.mm, .dontneed_cpu = me == 1 ? 0 : 1 };
	cz.hold = fault_inject_find("collapse_walker_hold");
	KT_ASSERT(cz.hold != NULL);
	cz.hits0 = fault_inject_hits(cz.hold);
	unsigned long retries = vm_event_sum(PTE_MAP_RETRY);
	fault_inject_set(cz.hold, 10000);

	run_on_two_cpus(me, collapse_role, cz.dontneed_cpu, dontneed_role);
	fault_inject_set(cz.hold, 0);

	KT_EXPECT_EQ(cz.collapse_ret, 0);
	KT_EXPECT_EQ(cz.dontneed_ret, 0);
	KT_EXPECT(fault_inject_hits(cz.hold) > cz.hits0);        /* the zap was held inside */
	KT_EXPECT(vm_event_sum(PTE_MAP_RETRY) > retries);   /* and walked again (R3) */
	KT_EXPECT(pmd_none(pmd_at(e.mm, THP_BASE)));              /* the huge PMD went too */
	KT_EXPECT_EQ(get_mm_rss(e.mm), 0);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE, THP_BASE, THP_BASE + PMD_SIZE), -1);
	env_end(t, &e);
}
