/*
 * Helpers for the THP tests (mm/huge_memory_test.c, mm/khugepaged_test.c):
 * a fresh mm with one VMA at THP_BASE, the leak check at its end, and a
 * byte pattern written and checked through real user accesses.
 */
#pragma once
#include "kernel/ktest.h"
#include "mm/huge_memory.h"
#include "mm/mm_ktest.h"

#define THP_BASE 0x40000000000ul        /* 4 TiB: 1 GiB aligned, a PGD slot of its own */

struct thp_env {
	struct mm_struct *mm, *prev;
	unsigned long free0;              /* free pages, settled, before */
	long tables0, thps0;              /* NR_PAGE_TABLE_PAGES, NR_ANON_THPS before */
	unsigned long alloc, fallback, split;
};

/* A fresh mm with [THP_BASE, + len) mapped read-write; hugepage: MADV_HUGEPAGE on it. */
static inline bool env_start(struct thp_env *e, unsigned long len, bool hugepage)
{
	e->free0 = nr_free_pages_settled();
	e->tables0 = vm_state_read(NR_PAGE_TABLE_PAGES);
	e->thps0 = vm_state_read(NR_ANON_THPS);
	e->alloc = vm_event_sum(THP_FAULT_ALLOC);
	e->fallback = vm_event_sum(THP_FAULT_FALLBACK);
	e->split = vm_event_sum(THP_SPLIT_PMD);
	e->mm = mm_create();
	if (!e->mm)
		return false;
	e->prev = test_use_mm(e->mm);
	if (tmap(e->mm, THP_BASE, len, RW, ANON | MAP_FIXED) != (long)THP_BASE)
		return false;
	return !hugepage || do_madvise(e->mm, THP_BASE, len, MADV_HUGEPAGE) == 0;
}

#define DELTA(e, ctr, field) ((long)(vm_event_sum(ctr) - (e)->field))

static inline void env_end(struct ktest_ctx *t, struct thp_env *e)
{
	test_mm_release(e->mm, e->prev);
	KT_EXPECT_EQ(vm_state_read(NR_ANON_THPS), e->thps0);
	KT_EXPECT_EQ(nr_free_pages_settled(), e->free0);     /* huge pages and deposits freed */
	KT_EXPECT_EQ(vm_state_read(NR_PAGE_TABLE_PAGES), e->tables0);
}

static inline pmd_t pmd_at(struct mm_struct *mm, unsigned long addr)
{
	pmd_t *pmd = mm_find_pmd(mm, addr);
	return pmd ? pmdp_get(pmd) : __pmd(0);
}

/* The byte every test writes at offset off of a block: never 0, differs page to page. */
static inline char pattern(unsigned long off)
{
	return (char)(1 + (off >> PAGE_SHIFT) % 251 + (off & 7));
}

/* Fill [addr, addr + len) with pattern(offset from addr); 0 or -EFAULT. */
static inline int fill(unsigned long addr, unsigned long len)
{
	static char buf[PAGE_SIZE];

	for (unsigned long off = 0; off < len; off += PAGE_SIZE) {
		for (unsigned long i = 0; i < PAGE_SIZE; i++)
			buf[i] = pattern(off + i);
		if (copy_to_user((void *)(addr + off), buf, PAGE_SIZE))
			return -EFAULT;
	}
	return 0;
}

/*
 * Check every byte of [addr, addr + len): pattern(offset) where the page is
 * kept, 0 in [hole, hole_end). Returns the first wrong offset, or -1.
 */
static inline long check_bytes(unsigned long addr, unsigned long len, unsigned long hole,
			unsigned long hole_end)
{
	static char buf[PAGE_SIZE];

	for (unsigned long off = 0; off < len; off += PAGE_SIZE) {
		if (copy_from_user(buf, (void *)(addr + off), PAGE_SIZE))
			return (long)off;
		bool zero = addr + off >= hole && addr + off < hole_end;
		for (unsigned long i = 0; i < PAGE_SIZE; i++)
			if (buf[i] != (zero ? 0 : pattern(off + i)))
				return (long)(off + i);
	}
	return -1;
}

/* Take every free block of order 9 or more, linked through themselves: no huge page is left. */
static inline void *hoard_huge_blocks(void)
{
	void *hoard = NULL;
	struct page *block;

	while ((block = alloc_pages(HPAGE_PMD_ORDER))) {
		*(void **)page_address(block) = hoard;
		hoard = page_address(block);
	}
	return hoard;
}

static inline void release_huge_blocks(void *hoard)
{
	while (hoard) {
		void *next = *(void **)hoard;
		free_pages((unsigned long)hoard, HPAGE_PMD_ORDER);
		hoard = next;
	}
}
