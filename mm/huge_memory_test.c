/*
 * Tests of transparent huge pages (mm/huge_memory.c): the huge fault and
 * its fallback, the deposit in VmPTE, zap of a whole huge PMD, split by a
 * partial DONTNEED, munmap, mprotect and VMA split with every byte checked,
 * and R4 before setting a huge PMD where a flush is still owed.
 *
 * Each test maps its own VMA at THP_BASE in a fresh mm, asks for huge
 * pages with MADV_HUGEPAGE (so it runs under the default thp=madvise and
 * under thp=always), and checks the leak: free pages and page-table pages
 * come back once the mm is gone.
 */
#include "mm/internal.h"
#include "mm/pt_reclaim.h"
#include "mm/thp_ktest.h"
#include "mm/tlb.h"

/* A write fault in an aligned block of a MADV_HUGEPAGE VMA maps it with one huge PMD. */
KTEST(thp_fault_maps_huge_pmd)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, 2 * PMD_SIZE, true));
	long bytes = mm_pgtables_bytes(e.mm);

	KT_ASSERT_EQ(poke(THP_BASE + 5 * PG + 3, 'h'), 0);
	pmd_t pmd = pmd_at(e.mm, THP_BASE);
	KT_EXPECT(pmd_trans_huge(pmd) && pmd_present(pmd) && pmd_write(pmd));
	KT_EXPECT(pmd_val(pmd) & _PAGE_USER);
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_ALLOC, alloc), 1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR);
	KT_EXPECT_EQ(get_mm_thp_pmds(e.mm), 1);
	KT_EXPECT_EQ(vm_state_read(NR_ANON_THPS) - e.thps0, 1);
	/* PUD and PMD tables, and the PTE table deposited with the huge PMD. */
	KT_EXPECT_EQ(mm_pgtables_bytes(e.mm) - bytes, 3 * (long)PG);
	KT_EXPECT_EQ(peek(THP_BASE + 5 * PG + 3), 'h');
	KT_EXPECT_EQ(peek(THP_BASE + PMD_SIZE - 1), 0);     /* the whole 2 MiB, zeroed */
	pte_t pte = mm_get_pte(e.mm, THP_BASE + 7 * PG);
	KT_EXPECT_EQ(pte_pfn(pte), pmd_pfn(pmd) + 7);
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_ALLOC, alloc), 1); /* one fault for all of it */
	env_end(t, &e);
}

/*
 * A read fault maps the huge zero page: read-only, in nobody's RSS or
 * AnonHugePages, with its deposit in VmPTE. A write then maps a huge page
 * of its own in its place (clear, flush, set); a zap frees only the deposit;
 * a split gives 512 PTEs of the 4 KiB zero page.
 */
KTEST(thp_read_fault_maps_huge_zero_page)
{
	struct thp_env e;
	char zero_page[4];

	thp_use_zero_page_show(zero_page, sizeof(zero_page));
	if (zero_page[0] != '1')
		KT_SKIP("no huge zero page");
	KT_ASSERT(env_start(&e, 3 * PMD_SIZE, true));
	long bytes = mm_pgtables_bytes(e.mm);
	KT_EXPECT_EQ(peek(THP_BASE + 77), 0);
	pmd_t zero = pmd_at(e.mm, THP_BASE);
	KT_EXPECT(pmd_trans_huge(zero) && pmd_present(zero) && !pmd_write(zero));
	KT_EXPECT_EQ(get_mm_rss(e.mm) + get_mm_thp_pmds(e.mm), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(e.mm) - bytes, 3 * (long)PG);   /* PUD, PMD, deposit */
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_ALLOC, alloc), 0);

	KT_EXPECT_EQ(poke(THP_BASE + 77, 'z'), 0);                      /* copy on write */
	pmd_t own = pmd_at(e.mm, THP_BASE);
	KT_EXPECT(pmd_trans_huge(own) && pmd_write(own) && pmd_pfn(own) != pmd_pfn(zero));
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR);
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_ALLOC, alloc), 1);
	KT_EXPECT_EQ(peek(THP_BASE + 77), 'z');
	KT_EXPECT_EQ(peek(THP_BASE + 78), 0);

	KT_EXPECT_EQ(peek(THP_BASE + PMD_SIZE), 0);                     /* a second zero PMD */
	KT_EXPECT_EQ(do_madvise(e.mm, THP_BASE + PMD_SIZE, PG, MADV_DONTNEED), 0);   /* split */
	pte_t pte = mm_get_pte(e.mm, THP_BASE + PMD_SIZE + 5 * PG);
	KT_EXPECT(pte_present(pte) && pte_pfn(pte) == zero_pfn() && !pte_write(pte));
	KT_EXPECT_EQ(peek(THP_BASE + 2 * PMD_SIZE), 0);                 /* a third one, zapped */
	KT_EXPECT_EQ(do_madvise(e.mm, THP_BASE + 2 * PMD_SIZE, PMD_SIZE, MADV_DONTNEED), 0);
	KT_EXPECT(pmd_none(pmd_at(e.mm, THP_BASE + 2 * PMD_SIZE)));
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR);
	KT_EXPECT_EQ(vm_state_read(NR_ANON_THPS) - e.thps0, 1);
	env_end(t, &e);
}

/* No huge page where the VMA does not ask (thp=madvise), refuses, or cannot hold a block. */
KTEST(thp_fault_only_where_eligible)
{
	struct thp_env e;
	char mode[32];

	thp_enabled_show(mode, sizeof(mode));
	if (strcmp(mode, "always [madvise] never\n"))
		KT_SKIP("booted with thp other than madvise");
	KT_ASSERT(env_start(&e, 3 * PMD_SIZE, false));
	KT_ASSERT_EQ(do_madvise(e.mm, THP_BASE + PMD_SIZE, PMD_SIZE, MADV_NOHUGEPAGE), 0);
	KT_ASSERT_EQ(tmap(e.mm, THP_BASE + 2 * PMD_SIZE + PG, PMD_SIZE, RW, ANON | MAP_FIXED),
		     (long)(THP_BASE + 2 * PMD_SIZE + PG));
	KT_ASSERT_EQ(do_madvise(e.mm, THP_BASE + 2 * PMD_SIZE + PG, PMD_SIZE, MADV_HUGEPAGE), 0);
	KT_EXPECT_EQ(poke(THP_BASE, 1), 0);                       /* not asked for */
	KT_EXPECT_EQ(poke(THP_BASE + PMD_SIZE, 1), 0);            /* MADV_NOHUGEPAGE */
	KT_EXPECT_EQ(poke(THP_BASE + 2 * PMD_SIZE + PG, 1), 0);   /* no aligned block inside */
	for (int i = 0; i < 3; i++)
		KT_EXPECT(!pmd_trans_huge(pmd_at(e.mm, THP_BASE + i * PMD_SIZE + PG)));
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_ALLOC, alloc), 0);
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_FALLBACK, fallback), 0);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 3);
	env_end(t, &e);
}

/*
 * With no free block of order 9 or more, the fault falls back to a 4 KiB
 * page (thp_fault_fallback) and the program does not notice.
 */
KTEST(thp_fault_falls_back_without_huge_page)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, PMD_SIZE, true));
	void *hoard = hoard_huge_blocks();
	KT_EXPECT_EQ(poke(THP_BASE + 9, 'f'), 0);
	KT_EXPECT(!pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_FALLBACK, fallback), 1);
	KT_EXPECT_EQ(DELTA(&e, THP_FAULT_ALLOC, alloc), 0);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 1);
	release_huge_blocks(hoard);
	KT_EXPECT_EQ(peek(THP_BASE + 9), 'f');
	env_end(t, &e);
}

/*
 * DONTNEED of the whole block: the huge PMD goes whole (no split), the page
 * and the deposited table go back, and the range reads zeroes again.
 */
KTEST(thp_zap_whole_huge_pmd)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, PMD_SIZE, true));
	KT_ASSERT_EQ(fill(THP_BASE, PMD_SIZE), 0);
	KT_ASSERT(pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	long bytes = mm_pgtables_bytes(e.mm);
	unsigned long free1 = nr_free_pages_settled();

	KT_EXPECT_EQ(do_madvise(e.mm, THP_BASE, PMD_SIZE, MADV_DONTNEED), 0);
	KT_EXPECT(pmd_none(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(DELTA(&e, THP_SPLIT_PMD, split), 0);
	KT_EXPECT_EQ(get_mm_rss(e.mm), 0);
	KT_EXPECT_EQ(get_mm_thp_pmds(e.mm), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(e.mm), bytes - (long)PG);   /* the deposit */
	KT_EXPECT_EQ(nr_free_pages_settled(), free1 + HPAGE_PMD_NR + 1);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE, THP_BASE, THP_BASE + PMD_SIZE), -1);
	env_end(t, &e);
}

/*
 * DONTNEED of one page in the middle splits the block: the deposited table
 * maps the 511 other pages, which keep every byte; VmPTE does not change
 * (the deposit became the table) and the page is freed alone.
 */
KTEST(thp_split_on_partial_dontneed)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, PMD_SIZE, true));
	KT_ASSERT_EQ(fill(THP_BASE, PMD_SIZE), 0);
	long bytes = mm_pgtables_bytes(e.mm);
	unsigned long hole = THP_BASE + 100 * PG;

	KT_EXPECT_EQ(do_madvise(e.mm, hole, PG, MADV_DONTNEED), 0);
	pmd_t pmd = pmd_at(e.mm, THP_BASE);
	KT_ASSERT(!pmd_trans_huge(pmd) && pmd_present(pmd));
	KT_EXPECT_EQ(pmd_pgtable(pmd)->pt_count, HPAGE_PMD_NR - 1);
	KT_EXPECT_EQ(DELTA(&e, THP_SPLIT_PMD, split), 1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR - 1);
	KT_EXPECT_EQ(get_mm_thp_pmds(e.mm), 0);
	KT_EXPECT_EQ(vm_state_read(NR_ANON_THPS), e.thps0);
	KT_EXPECT_EQ(mm_pgtables_bytes(e.mm), bytes);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE, hole, hole + PG), -1);
	pte_t pte = mm_get_pte(e.mm, THP_BASE + 101 * PG);
	KT_EXPECT(pte_present(pte) && pte_write(pte) && !(pte_val(pte) & _PAGE_PSE));
	env_end(t, &e);
}

/* munmap of the upper half: split, the lower half keeps its bytes, the upper pages go. */
KTEST(thp_split_on_partial_munmap)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, PMD_SIZE, true));
	KT_ASSERT_EQ(fill(THP_BASE, PMD_SIZE), 0);
	unsigned long free1 = nr_free_pages_settled();

	KT_EXPECT_EQ(do_munmap(e.mm, THP_BASE + PMD_SIZE / 2, PMD_SIZE / 2), 0);
	KT_EXPECT(!pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(DELTA(&e, THP_SPLIT_PMD, split), 1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR / 2);
	KT_EXPECT_EQ(nr_free_pages_settled(), free1 + HPAGE_PMD_NR / 2);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE / 2, 0, 0), -1);
	KT_EXPECT_EQ(peek(THP_BASE + PMD_SIZE / 2), -EFAULT);
	env_end(t, &e);
}

/*
 * mprotect of the whole block keeps it huge; of one page, it splits it
 * (through the VMA split) and only that page changes.
 */
KTEST(thp_mprotect_whole_and_part)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, PMD_SIZE, true));
	KT_ASSERT_EQ(fill(THP_BASE, PMD_SIZE), 0);

	KT_EXPECT_EQ(do_mprotect(e.mm, THP_BASE, PMD_SIZE, PROT_READ), 0);
	pmd_t pmd = pmd_at(e.mm, THP_BASE);
	KT_EXPECT(pmd_trans_huge(pmd) && pmd_present(pmd) && !pmd_write(pmd));
	KT_EXPECT_EQ(poke(THP_BASE + 8, 'x'), -EFAULT);
	KT_EXPECT_EQ(do_mprotect(e.mm, THP_BASE, PMD_SIZE, RW), 0);
	KT_EXPECT(pmd_write(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(DELTA(&e, THP_SPLIT_PMD, split), 0);

	KT_EXPECT_EQ(do_mprotect(e.mm, THP_BASE + 3 * PG, PG, PROT_NONE), 0);
	KT_EXPECT(!pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(DELTA(&e, THP_SPLIT_PMD, split), 1);
	KT_EXPECT(pte_protnone(mm_get_pte(e.mm, THP_BASE + 3 * PG)));
	KT_EXPECT_EQ(peek(THP_BASE + 3 * PG), -EFAULT);
	KT_EXPECT_EQ(do_mprotect(e.mm, THP_BASE + 3 * PG, PG, RW), 0);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE, 0, 0), -1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR);
	env_end(t, &e);
}

/* PROT_NONE keeps a huge PMD (protnone); a split of it keeps every page, protnone too. */
KTEST(thp_protnone_huge_pmd_split)
{
	struct thp_env e;
	KT_ASSERT(env_start(&e, PMD_SIZE, true));
	KT_ASSERT_EQ(fill(THP_BASE, PMD_SIZE), 0);

	KT_EXPECT_EQ(do_mprotect(e.mm, THP_BASE, PMD_SIZE, PROT_NONE), 0);
	pmd_t pmd = pmd_at(e.mm, THP_BASE);
	KT_EXPECT(pmd_trans_huge(pmd) && !pmd_present(pmd));
	KT_EXPECT_EQ(peek(THP_BASE + 9), -EFAULT);
	KT_EXPECT_EQ(do_mprotect(e.mm, THP_BASE, PMD_SIZE / 2, RW), 0);   /* splits it */
	KT_EXPECT(!pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(DELTA(&e, THP_SPLIT_PMD, split), 1);
	KT_EXPECT(pte_protnone(mm_get_pte(e.mm, THP_BASE + PMD_SIZE / 2)));
	KT_EXPECT_EQ(peek(THP_BASE + PMD_SIZE / 2), -EFAULT);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE / 2, 0, 0), -1);
	KT_EXPECT_EQ(do_mprotect(e.mm, THP_BASE + PMD_SIZE / 2, PMD_SIZE / 2, RW), 0);
	KT_EXPECT_EQ(check_bytes(THP_BASE, PMD_SIZE, 0, 0), -1);
	KT_EXPECT_EQ(get_mm_rss(e.mm), HPAGE_PMD_NR);
	env_end(t, &e);
}

/*
 * R4, the huge half: a gather cleared this PMD (a DONTNEED that reclaimed
 * the PTE table, or zapped a huge PMD) and has not flushed yet. A fault
 * that sets a huge PMD there must flush the 2 MiB first, or a CPU could
 * hold a 4 KiB translation from the old table next to the new 2 MiB one
 * (TLB multihit). With ptbug=no-r4, ptcheck reports it (suite ptbug-no-r4).
 */
KTEST(r4_flush_before_huge_pmd)
{
	struct thp_env e;
	struct mmu_gather tlb;
	struct zap_details details = { .reclaim_pt = true };
	if (!reclaim_pt_enabled())
		KT_SKIP("booted with ptreclaim=off");
	KT_ASSERT(env_start(&e, PMD_SIZE, false));
	KT_ASSERT_EQ(poke(THP_BASE, 'a'), 0);                  /* a PTE table: no hugepage yet */
	KT_ASSERT(!pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	KT_ASSERT_EQ(do_madvise(e.mm, THP_BASE, PMD_SIZE, MADV_HUGEPAGE), 0);

	tlb_gather_mmu(&tlb, e.mm);                             /* DONTNEED's zap, gather open */
	unmap_page_range(&tlb, THP_BASE, THP_BASE + PG, &details);
	KT_EXPECT(pmd_none(pmd_at(e.mm, THP_BASE)));           /* the table was reclaimed */
	unsigned long r4 = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD);
	KT_EXPECT_EQ(handle_mm_fault(e.mm, THP_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT(pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD) - r4, 1);

	unmap_page_range(&tlb, THP_BASE, THP_BASE + PMD_SIZE, NULL);   /* the huge PMD goes */
	KT_EXPECT(pmd_none(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(handle_mm_fault(e.mm, THP_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD) - r4, 2);
	tlb_finish_mmu(&tlb);

	r4 = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD);           /* no gather open: none owed */
	KT_EXPECT_EQ(do_madvise(e.mm, THP_BASE, PMD_SIZE, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(handle_mm_fault(e.mm, THP_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT(pmd_trans_huge(pmd_at(e.mm, THP_BASE)));
	KT_EXPECT_EQ(vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD) - r4, 0);
	env_end(t, &e);
}
