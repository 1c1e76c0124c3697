/*
 * Tests of the fault path (mm/fault.c) through real page faults: the mm is
 * loaded on this CPU and copy_to_user/copy_from_user touch its pages.
 */
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "mm/mm_ktest.h"

/* Reading untouched memory maps the one zero page, read-only, and costs no RSS. */
KTEST(fault_zero_page_read)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 2 * PG, RW, ANON);
	unsigned long faults = vm_event_sum(PGFAULT);
	u64 buf[2] = { 1, 1 };

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(copy_from_user(buf, (void *)p, 8), 0);
	KT_EXPECT_EQ(copy_from_user(buf + 1, (void *)(p + PG + 8), 8), 0);
	KT_EXPECT_EQ(buf[0] | buf[1], 0);
	pte_t a = mm_get_pte(mm, p), b = mm_get_pte(mm, p + PG);
	KT_EXPECT(pte_present(a) && pte_present(b));
	KT_EXPECT_EQ(pte_pfn(a), zero_pfn());
	KT_EXPECT_EQ(pte_pfn(b), pte_pfn(a));     /* the same page twice */
	KT_EXPECT(!pte_write(a) && (pte_val(a) & _PAGE_USER) && !pte_exec(a));
	KT_EXPECT_EQ(get_mm_rss(mm), 0);
	KT_EXPECT(vm_event_sum(PGFAULT) >= faults + 2);
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/* Writing a zero-page mapping copies it: a page of its own, writable, counted. */
KTEST(fault_cow_from_zero_page)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 2 * PG, RW, ANON);

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(peek(p), 0);
	KT_EXPECT_EQ(peek(p + PG), 0);
	KT_EXPECT_EQ(poke(p + 100, 'x'), 0);
	pte_t a = mm_get_pte(mm, p), b = mm_get_pte(mm, p + PG);
	KT_EXPECT(pte_pfn(a) != zero_pfn());
	KT_EXPECT(pte_write(a) && pte_dirty(a));
	KT_EXPECT_EQ(pte_pfn(b), zero_pfn());      /* the neighbour is untouched */
	KT_EXPECT_EQ(get_mm_rss(mm), 1);
	KT_EXPECT_EQ(peek(p + 100), 'x');
	KT_EXPECT_EQ(peek(p + 101), 0);
	KT_EXPECT_EQ(empty_zero_page[100], 0);     /* the zero page itself stays zero */
	KT_EXPECT_EQ(((char *)page_address(pfn_to_page(pte_pfn(a))))[100], 'x');
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/*
 * A first write maps a new page, and the tables on the way are counted
 * exactly: one PUD, one PMD and one PTE table in the mm (VmPTE), four
 * page-table pages globally with the PGD.
 */
KTEST(fault_write_counts_tables)
{
	long tables0 = settled_pgtable_pages();
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 4 * PG, RW, ANON);

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(vm_state_read(NR_PAGE_TABLE_PAGES), tables0 + 1);   /* the PGD */
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), 0);
	KT_EXPECT_EQ(poke(p + 3 * PG, 7), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), 3 * PG);
	KT_EXPECT_EQ(vm_state_read(NR_PAGE_TABLE_PAGES), tables0 + 4);
	KT_EXPECT_EQ(get_mm_rss(mm), 1);
	KT_EXPECT_EQ(poke(p, 7), 0);                /* same PTE table: no new one */
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), 3 * PG);
	KT_EXPECT_EQ(get_mm_rss(mm), 2);
	pmd_t *pmd = mm_find_pmd(mm, p);
	KT_ASSERT(pmd != NULL);
	KT_EXPECT_EQ(pmd_pgtable(*pmd)->pt_count, 2);
	test_unuse_mm(mm, prev);
	mmput(mm);
	KT_EXPECT_EQ(settled_pgtable_pages(), tables0);
}

/* What the VMA forbids, the fault refuses: the copy fails, nothing is mapped. */
KTEST(fault_protection_errors)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long ro = tmap(mm, 0, PG, PROT_READ, ANON);
	long none = tmap(mm, 0, PG, PROT_NONE, ANON);
	long x = tmap(mm, 0, PG, PROT_EXEC, ANON);
	char c = 1;

	KT_ASSERT(ro > 0 && none > 0 && x > 0);
	KT_EXPECT_EQ(poke(ro, 1), -EFAULT);
	KT_EXPECT_EQ(peek(ro), 0);                  /* reading is fine */
	KT_EXPECT_EQ(peek(none), -EFAULT);
	KT_EXPECT_EQ(poke(none, 1), -EFAULT);
	KT_EXPECT(pte_none(mm_get_pte(mm, none)));
	KT_EXPECT_EQ(peek(none - 16 * PG), -EFAULT); /* no VMA there */
	KT_EXPECT_EQ(copy_to_user((void *)0xffff888000000000ul, &c, 1), -EFAULT);
	KT_EXPECT_EQ(copy_to_user((void *)(USER_TOP - 1), &c, 2), -EFAULT);  /* crosses the top */
	/* The fault entry itself: decoding the x86 error code. */
	KT_EXPECT_EQ(mm_fault_from_trap(mm, ro, X86_PF_WRITE | X86_PF_USER, true), -EFAULT);
	KT_EXPECT_EQ(mm_fault_from_trap(mm, ro, X86_PF_INSTR | X86_PF_USER, true), -EFAULT);
	KT_EXPECT_EQ(mm_fault_from_trap(mm, x, X86_PF_INSTR | X86_PF_USER, true), 0);
	KT_EXPECT(pte_exec(mm_get_pte(mm, x)));
	KT_EXPECT_EQ(mm_fault_from_trap(mm, USER_TOP, X86_PF_USER, true), -EFAULT);
	KT_EXPECT_EQ(mm_fault_from_trap(NULL, ro, 0, true), -EFAULT);
	KT_EXPECT_EQ(get_mm_rss(mm), 0);
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/* A copy that runs off the end of a mapping faults in what it can, then fails. */
KTEST(fault_copy_partial)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 2 * PG, RW, ANON);
	char buf[64];

	KT_ASSERT(p > 0);
	KT_ASSERT_EQ(do_munmap(mm, p + PG, PG), 0);
	memset(buf, 'z', sizeof(buf));
	KT_EXPECT_EQ(copy_to_user((void *)(p + PG - 32), buf, 64), -EFAULT);
	KT_EXPECT_EQ(peek(p + PG - 1), 'z');        /* the first 32 bytes landed */
	memset(buf, 'q', sizeof(buf));
	KT_EXPECT_EQ(copy_from_user(buf, (void *)(p + PG - 32), 64), -EFAULT);
	KT_EXPECT_EQ(buf[31], 'z');
	KT_EXPECT_EQ(buf[32], 0);                    /* the uncopied tail is zeroed */
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/* A fault taken while holding a spinlock is not handled: the copy fails, nothing maps. */
KTEST(fault_not_in_atomic_context)
{
	static DEFINE_SPINLOCK(lock);
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, PG, RW, ANON);

	KT_ASSERT(p > 0);
	spin_lock(&lock);
	int err = poke(p, 1);
	spin_unlock(&lock);
	KT_EXPECT_EQ(err, -EFAULT);
	KT_EXPECT(pte_none(mm_get_pte(mm, p)));
	KT_EXPECT_EQ(poke(p, 1), 0);
	test_unuse_mm(mm, prev);
	mmput(mm);
}
