/*
 * Tests of rules R4 and R7 (DESIGN.md), on the flush counters:
 *
 *  - R4: while a gather on the mm may still owe a flush
 *    (mm->tlb_flush_pending), installing a new PTE table flushes the range
 *    first; with no gather running, it does not.
 *  - R7: a gather that finishes while another one on the same mm is still
 *    running flushes the whole mm, even if it cleared nothing itself; alone,
 *    an empty gather flushes nothing.
 */
#include "kernel/ktest.h"
#include "mm/mm_ktest.h"
#include "mm/tlb.h"

#define RULES_BASE 0x20000000000ul      /* 2 TiB: a PGD slot of its own */

/*
 * Local flushes of any kind made by this CPU, the only one with the test's
 * mm loaded: a sum over every CPU would also count flushes that other work
 * makes meanwhile. The test thread stays on its CPU (it is bound there).
 */
static unsigned long this_cpu_events(enum vm_event_item item)
{
	return READ_ONCE(this_cpu_ptr(&vm_events)->event[item]);
}

static unsigned long tlb_flushes(void)
{
	return this_cpu_events(NR_TLB_LOCAL_FLUSH_ONE) + this_cpu_events(NR_TLB_LOCAL_FLUSH_ALL);
}

KTEST(r4_flush_before_pmd_install)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	struct mmu_gather tlb;

	KT_ASSERT_EQ(tmap(mm, RULES_BASE, 2 * PMD_SIZE, RW, ANON | MAP_FIXED), (long)RULES_BASE);
	unsigned long before = tlb_flushes();
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(tlb_flushes() - before, 0);        /* no flush owed: none made */

	tlb_gather_mmu(&tlb, mm);                       /* as a DONTNEED running elsewhere */
	before = tlb_flushes();
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE + PMD_SIZE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT(tlb_flushes() - before > 0);          /* R4: flushed before set_pmd */
	tlb_finish_mmu(&tlb);
	test_mm_release(mm, prev);
}

KTEST(r7_nested_gather_flushes_whole_mm)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	struct mmu_gather outer, inner;

	KT_ASSERT_EQ(tmap(mm, RULES_BASE, PMD_SIZE, RW, ANON | MAP_FIXED), (long)RULES_BASE);
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE, FAULT_FLAG_WRITE), 0);

	tlb_gather_mmu(&outer, mm);
	unsigned long full = this_cpu_events(NR_TLB_LOCAL_FLUSH_ALL);
	tlb_gather_mmu(&inner, mm);
	tlb_finish_mmu(&inner);                         /* cleared nothing, but nested */
	KT_EXPECT(this_cpu_events(NR_TLB_LOCAL_FLUSH_ALL) - full >= 1);
	tlb_finish_mmu(&outer);

	unsigned long before = tlb_flushes();
	tlb_gather_mmu(&outer, mm);
	tlb_finish_mmu(&outer);                         /* alone and empty: nothing to flush */
	KT_EXPECT_EQ(tlb_flushes() - before, 0);
	test_mm_release(mm, prev);
}
