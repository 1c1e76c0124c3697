/* Tests of madvise (mm/madvise.c): DONTNEED zero-fills, errors as Linux. */
#include "kernel/ktest.h"
#include "mm/mm_ktest.h"

/* DONTNEED of the middle: those pages are freed and read as zeroes; the rest stays. */
KTEST(madvise_dontneed_zero_fill)
{
	unsigned long free0 = nr_free_pages_settled();
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 16 * PG, RW, ANON);

	KT_ASSERT(p > 0);
	for (int i = 0; i < 16; i++)
		KT_EXPECT_EQ(poke(p + i * PG + 7, 'x'), 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 16);
	unsigned long free1 = nr_free_pages();
	KT_EXPECT_EQ(do_madvise(mm, p + 4 * PG, 8 * PG, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 8);
	KT_EXPECT_EQ(nr_free_pages(), free1 + 8);           /* freed, after the flush */
	for (int i = 0; i < 16; i++) {
		KT_EXPECT_EQ(pte_none(mm_get_pte(mm, p + i * PG)), i >= 4 && i < 12);
		KT_EXPECT_EQ(peek(p + i * PG + 7), i >= 4 && i < 12 ? 0 : 'x');
	}
	KT_EXPECT_EQ(get_mm_rss(mm), 8);                     /* the reads mapped the zero page */
	KT_EXPECT_EQ(mm->map_count, 1);                      /* DONTNEED leaves the VMA alone */
	KT_EXPECT_EQ(do_madvise(mm, p, PG + 1, MADV_DONTNEED), 0);   /* length rounded up */
	KT_EXPECT_EQ(peek(p + PG + 7), 0);
	KT_EXPECT_EQ(peek(p + 2 * PG + 7), 'x');
	test_unuse_mm(mm, prev);
	mmput(mm);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

KTEST(madvise_errors)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 8 * PG, RW, ANON | MAP_POPULATE);

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(do_madvise(mm, p + 1, PG, MADV_DONTNEED), -EINVAL);
	KT_EXPECT_EQ(do_madvise(mm, p, PG, 999), -EINVAL);
	KT_EXPECT_EQ(do_madvise(mm, p, -PG, MADV_DONTNEED), -EINVAL);
	KT_EXPECT_EQ(do_madvise(mm, p, 0, MADV_DONTNEED), 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 8);                     /* none of that zapped */
	KT_EXPECT_EQ(do_madvise(mm, p, PG, MADV_WILLNEED), 0);
	KT_EXPECT_EQ(do_madvise(mm, p, PG, MADV_RANDOM), 0);
	KT_EXPECT(vma_at(mm, p)->vm_flags & VM_RAND_READ);
	KT_EXPECT_EQ(do_madvise(mm, p, PG, MADV_SEQUENTIAL), 0);
	KT_EXPECT(vma_at(mm, p)->vm_flags & VM_SEQ_READ);
	KT_EXPECT(!(vma_at(mm, p)->vm_flags & VM_RAND_READ));
	KT_EXPECT_EQ(do_madvise(mm, p, PG, MADV_NORMAL), 0);
	KT_EXPECT_EQ(mm->map_count, 1);
	/* A hole in the middle: the mapped parts are zapped, then ENOMEM. */
	KT_ASSERT_EQ(do_munmap(mm, p + 4 * PG, PG), 0);
	KT_EXPECT_EQ(do_madvise(mm, p + 2 * PG, 4 * PG, MADV_DONTNEED), -ENOMEM);
	KT_EXPECT_EQ(get_mm_rss(mm), 4);                     /* pages 0, 1, 6, 7 are left */
	KT_EXPECT(pte_none(mm_get_pte(mm, p + 5 * PG)));
	KT_EXPECT_EQ(do_madvise(mm, p + 8 * PG, PG, MADV_DONTNEED), -ENOMEM);  /* nothing there */
	KT_EXPECT_EQ(do_madvise(mm, p + 3 * PG, 2 * PG, MADV_HUGEPAGE), -ENOMEM);
	KT_EXPECT(vma_at(mm, p + 3 * PG)->vm_flags & VM_HUGEPAGE);   /* applied before the hole */
	test_unuse_mm(mm, prev);
	mmput(mm);
}
