/* The mmu_gather (see tlb.h for the protocol). */
#include "mm/tlb.h"
#include "arch/x86_64/tlb.h"
#include "kernel/fault_inject.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/ptcheck.h"

/*
 * Fault injection for rule R2's tests (mm/tlb_rules_test.c switches it on
 * itself; suite race-r2-window at boot): hold the gather after the entries
 * were cleared and before the flush, while other CPUs may still use their
 * stale translations of the pages it is about to free.
 */
DEFINE_FAULT_INJECT(fi_tlb_flush, "tlb_flush",
		    "hold a gather between clearing entries and its TLB flush (R2)");

static void tlb_reset_range(struct mmu_gather *tlb)
{
	tlb->start = TLB_FLUSH_ALL;
	tlb->end = 0;
	tlb->freed_tables = false;
}

static void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm, bool fullmm,
			     bool detached)
{
	tlb->mm = mm;
	tlb->fullmm = fullmm;
	tlb->detached = detached;
	tlb->local = (struct mmu_gather_batch){ .next = NULL, .nr = 0, .max = MMU_GATHER_BUNDLE };
	tlb->active = &tlb->local;
	tlb->batch_count = 0;
	memset(tlb->pmd_clears, 0, sizeof(tlb->pmd_clears));
	INIT_LIST_HEAD(&tlb->tables);
	tlb_reset_range(tlb);
	/*
	 * R7: from now until tlb_finish_mmu, a flush of this mm may be owed.
	 * Not by a detached gather: nobody can reach its range (tlb.h).
	 */
	if (!detached)
		inc_tlb_flush_pending(mm);
}

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, false, false);
}

void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, true, false);
}

void tlb_gather_mmu_detached(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, false, true);
}

/*
 * R1 step 2 and R2: flush the gathered range on every CPU that has the mm,
 * before anything gathered is freed (tlb_flush_mmu runs the steps in order).
 */
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb)
{
	if (tlb->start >= tlb->end)
		return;                   /* nothing was cleared */
	fault_inject_delay(&fi_tlb_flush);   /* fault injection: stale TLBs live longer (R2) */
	if (tlb->fullmm)
		flush_tlb_mm(tlb->mm);    /* no CPU has it loaded: this costs nothing */
	else
		flush_tlb_mm_range(tlb->mm, tlb->start, tlb->end, PAGE_SHIFT, tlb->freed_tables);
	tlb_reset_range(tlb);
	/* R4: every CPU has answered; the PMD entries we cleared owe nothing now. */
	for (unsigned int i = 0; i < PMD_CLEAR_BUCKETS; i++) {
		if (tlb->pmd_clears[i]) {
			mm_pmd_clears_flushed(tlb->mm, i, tlb->pmd_clears[i]);
			tlb->pmd_clears[i] = 0;
		}
	}
}

/* LAB gather: begin */
/*
 * Move to the next batch: one kept from an earlier round, or a new page.
 * The zapper holds a PTE spinlock here, so the page allocator must not
 * sleep (ours never does); if memory is short we just flush sooner.
 */
static bool tlb_next_batch(struct mmu_gather *tlb)
{
	struct mmu_gather_batch *batch = tlb->active->next;

	if (!batch) {
		if (tlb->batch_count == MAX_GATHER_BATCH_COUNT)
			return false;
		batch = (struct mmu_gather_batch *)__get_free_page();
		if (!batch)
			return false;
		*batch = (struct mmu_gather_batch){ .next = NULL, .nr = 0, .max = MAX_GATHER_BATCH };
		tlb->batch_count++;
		tlb->active->next = batch;
	}
	tlb->active = batch;
	return true;
}

bool __tlb_remove_page(struct mmu_gather *tlb, struct page *page)
{
	struct mmu_gather_batch *batch = tlb->active;

	batch->pages[batch->nr++] = page;
	return batch->nr == batch->max && !tlb_next_batch(tlb);
}
/* LAB gather: end */

/* R2: only called after tlb_flush_mmu_tlbonly(): no CPU can reach these pages any more. */
static void tlb_batch_pages_flush(struct mmu_gather *tlb)
{
	ptcheck_pages_free(tlb);
	for (struct mmu_gather_batch *b = &tlb->local; b && b->nr; b = b->next) {
		/* A huge page (zap_huge_pmd) is one order-9 block: its first page says so. */
		for (unsigned int i = 0; i < b->nr; i++)
			__free_pages(b->pages[i], b->pages[i]->order);
		b->nr = 0;
	}
	tlb->active = &tlb->local;
}

/* The batch pages themselves, at the end of the gather (they map nothing). */
static void tlb_batch_list_free(struct mmu_gather *tlb)
{
	struct mmu_gather_batch *b = tlb->local.next, *next;

	for (; b; b = next) {
		next = b->next;
		free_page((unsigned long)b);
	}
	tlb->local.next = NULL;
}

/*
 * R1 step 3: the last step of a table's life. It was unhooked under its
 * parent's lock (step 1) and flushed from every TLB and paging-structure
 * cache (step 2, tlb_flush_mmu_tlbonly ran first). It is freed, and its
 * split lock destroyed, only from an RCU callback after a grace period:
 * pte_offset_map() walkers hold no lock of ours, only rcu_read_lock(), and
 * run with interrupts on, so having acknowledged the flush IPI does not
 * mean they left the table (R5).
 */
static void tlb_remove_table_free(struct page *table)
{
	free_pgtable_page_rcu(table);
}

static void tlb_table_flush(struct mmu_gather *tlb)
{
	struct page *table, *tmp;

	list_for_each_entry_safe(table, tmp, &tlb->tables, pt_list) {
		/* Off the list first: pt_rcu_head shares its place (a union). */
		list_del_init(&table->pt_list);
		tlb_remove_table_free(table);
	}
}

/* LAB gather: begin */
void tlb_flush_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu_tlbonly(tlb);
	tlb_batch_pages_flush(tlb);
	tlb_table_flush(tlb);
}
/* LAB gather: end */

/*
 * R7: another gather on this mm is running too (two MADV_DONTNEEDs hold
 * mmap_lock for reading together; a downgraded munmap's gather is a
 * detached one and counts for nothing, tlb.h). It may have cleared
 * entries in our range that we found none and so did not record; its
 * flush may come after we return. So we flush the whole mm, tables
 * included, before we return.
 */
static bool tlb_flush_nested(struct mmu_gather *tlb)
{
	return __atomic_load_n(&tlb->mm->tlb_flush_pending, __ATOMIC_SEQ_CST) > 1;
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	if (!tlb->detached && tlb_flush_nested(tlb)) {
		tlb->start = 0;
		tlb->end = TLB_FLUSH_ALL;
		tlb->freed_tables = true;
	}
	tlb_flush_mmu(tlb);
	tlb_batch_list_free(tlb);
	if (!tlb->detached)
		dec_tlb_flush_pending(tlb->mm);
}

pmd_t tlb_pmdp_get_and_clear(struct mmu_gather *tlb, pmd_t *pmd, unsigned long addr)
{
	/*
	 * R4: owed before the entry reads none (see mm_pmd_clear_owed). Not
	 * by a detached gather (munmap's): no fault can populate its range
	 * before the munmap, flush included, is over (tlb.h).
	 */
	if (!tlb->detached) {
		mm_pmd_clear_owed(tlb->mm, addr);
		tlb->pmd_clears[pmd_clear_bucket(addr)]++;
	}
	tlb_flush_pte_range(tlb, addr & PMD_MASK, PMD_SIZE);
	pmd_t old = pmdp_xchg(pmd, __pmd(0));
	/* The checker hears of it now, under the PMD lock, before anyone can refill it. */
	if (pmd_trans_huge(old))
		ptcheck_pmd_cleared(tlb->mm, addr);
	else
		ptcheck_table_unhooked(tlb->mm, pmd_pgtable(old), addr, true);
	return old;
}

/*
 * Queue an unhooked table; its translations must be flushed, caches
 * included. ptcheck heard of a PTE table when its PMD entry was cleared
 * (tlb_pmdp_get_and_clear); of an upper table, here.
 */
static void tlb_remove_table(struct mmu_gather *tlb, struct page *table, unsigned long addr,
			     bool pte_table)
{
	if (!pte_table)
		ptcheck_table_unhooked(tlb->mm, table, addr, false);
	if (pte_table && ptbug_is(PTBUG_PTLOCK_EARLY))
		pgtable_lock_destroy(table);  /* ptbug: the lock dies at the unhook (R1 broken) */
	tlb_flush_pte_range(tlb, addr, PAGE_SIZE);
	tlb->freed_tables = true;
	list_add_tail(&table->pt_list, &tlb->tables);
}

void pte_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr)
{
	if (table->pt_count)
		panic("PTE table pfn %#lx leaves its mm with %d entries in use",
		      page_to_pfn(table), table->pt_count);
	tlb_remove_table(tlb, table, addr, true);
}

void pmd_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr)
{
	tlb_remove_table(tlb, table, addr, false);
}

void pud_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr)
{
	tlb_remove_table(tlb, table, addr, false);
}
