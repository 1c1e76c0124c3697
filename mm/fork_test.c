/*
 * Tests of mm/fork.c and the copy-on-write fault: what dup_mm shares and
 * how, counted exactly (page refcounts and mapcounts, RSS, VmPTE), and
 * that every page and table comes back when both mms are gone.
 */
#include "kernel/ktest.h"
#include "mm/mm_ktest.h"

#define N 8                                 /* pages written before the fork */

/* The page a user PTE of mm maps, and the PTE itself. */
static struct page *page_of(struct mm_struct *mm, unsigned long addr, pte_t *pte)
{
	*pte = mm_get_pte(mm, addr);
	return pte_present(*pte) ? vm_normal_page(*pte) : NULL;
}

KTEST(fork_shares_pages_copy_on_write)
{
	unsigned long free0 = nr_free_pages_settled();
	long tables0 = settled_pgtable_pages();
	struct mm_struct *parent = mm_create(), *child;
	KT_ASSERT(parent != NULL);
	struct mm_struct *prev = test_use_mm(parent);
	long a = tmap(parent, 0, N * PG, RW, ANON);
	long z = tmap(parent, 0, 2 * PG, RW, ANON);    /* read only: the zero page */
	KT_ASSERT(a > 0 && z > 0);
	for (int i = 0; i < N; i++)
		KT_EXPECT_EQ(poke(a + i * PG, 'p'), 0);
	KT_EXPECT_EQ(peek(z), 0);

	unsigned long wrprotect = vm_event_sum(FORK_WRPROTECT);
	child = dup_mm(parent);
	KT_ASSERT(child != NULL);
	KT_EXPECT_EQ(vm_event_sum(FORK_WRPROTECT) - wrprotect, N);
	KT_EXPECT_EQ(get_mm_rss(child), N);               /* the zero page is not counted */
	KT_EXPECT_EQ(get_mm_rss(parent), N);
	KT_EXPECT_EQ(mm_pgtables_bytes(child), mm_pgtables_bytes(parent));
	KT_EXPECT_EQ(child->map_count, parent->map_count);
	for (int i = 0; i < N; i++) {
		pte_t pp, cp;
		struct page *pg = page_of(parent, a + i * PG, &pp), *cg = page_of(child, a + i * PG, &cp);
		KT_EXPECT(pg != NULL && pg == cg);                   /* one page, two mappings */
		KT_EXPECT_EQ(page_count(pg), 2);
		KT_EXPECT_EQ(page_mapcount(pg), 2);
		KT_EXPECT(!pte_write(pp) && !pte_write(cp));          /* both sides read-only */
	}
	pte_t zp;
	KT_EXPECT(page_of(child, z, &zp) == NULL && pte_pfn(zp) == zero_pfn());

	/* The child writes page 0: a copy. Then the parent writes it: alone now, reused. */
	unsigned long cow = vm_event_sum(COW_FAULT), reuse = vm_event_sum(COW_REUSE);
	pte_t before;
	struct page *shared = page_of(parent, a, &before);
	test_unuse_mm(parent, prev);
	prev = test_use_mm(child);
	KT_EXPECT_EQ(poke(a, 'c'), 0);
	KT_EXPECT_EQ(peek(a + PG), 'p');                      /* a read copies nothing */
	test_unuse_mm(child, prev);
	prev = test_use_mm(parent);
	KT_EXPECT_EQ(vm_event_sum(COW_FAULT) - cow, 1);
	pte_t after;
	KT_EXPECT(page_of(child, a, &after) != shared && pte_write(after));
	KT_EXPECT_EQ(page_count(shared), 1);
	KT_EXPECT_EQ(page_mapcount(shared), 1);
	KT_EXPECT_EQ(peek(a), 'p');                           /* the parent still sees its own */
	KT_EXPECT_EQ(poke(a, 'q'), 0);
	KT_EXPECT_EQ(vm_event_sum(COW_REUSE) - reuse, 1);
	KT_EXPECT(page_of(parent, a, &after) == shared && pte_write(after));
	KT_EXPECT_EQ(get_mm_rss(child), N);
	KT_EXPECT_EQ(get_mm_rss(parent), N);

	/* The child goes first: the pages it still shared go back to one mapping each. */
	mmput(child);
	for (int i = 1; i < N; i++) {
		pte_t pte;
		struct page *pg = page_of(parent, a + i * PG, &pte);
		KT_EXPECT_EQ(page_count(pg), 1);
		KT_EXPECT_EQ(page_mapcount(pg), 1);
	}
	test_mm_release(parent, prev);
	KT_EXPECT_EQ(settled_pgtable_pages(), tables0);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

/* mprotect must not make a page shared with another mm writable. */
KTEST(fork_mprotect_keeps_shared_pages_read_only)
{
	unsigned long free0 = nr_free_pages_settled();
	struct mm_struct *parent = mm_create();
	KT_ASSERT(parent != NULL);
	struct mm_struct *prev = test_use_mm(parent);
	long a = tmap(parent, 0, PG, RW, ANON);
	KT_ASSERT(a > 0);
	KT_EXPECT_EQ(poke(a, 'p'), 0);
	struct mm_struct *child = dup_mm(parent);
	KT_ASSERT(child != NULL);
	KT_EXPECT_EQ(do_mprotect(parent, a, PG, PROT_READ), 0);
	KT_EXPECT_EQ(do_mprotect(parent, a, PG, RW), 0);
	pte_t pte;
	page_of(parent, a, &pte);
	KT_EXPECT(!pte_write(pte));                           /* still copy-on-write */
	KT_EXPECT_EQ(poke(a, 'q'), 0);                        /* copies */
	test_unuse_mm(parent, prev);
	prev = test_use_mm(child);
	KT_EXPECT_EQ(peek(a), 'p');
	test_unuse_mm(child, prev);
	mmput(child);
	prev = test_use_mm(parent);
	test_mm_release(parent, prev);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}
