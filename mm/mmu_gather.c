/* The mmu_gather, simple version (see tlb.h for the protocol). */
#include "mm/tlb.h"
#include "arch/x86_64/tlb.h"
#include "kernel/printk.h"
#include "mm/mm.h"
#include "mm/pgtable.h"

static void tlb_reset_range(struct mmu_gather *tlb)
{
	tlb->start = TLB_FLUSH_ALL;
	tlb->end = 0;
	tlb->freed_tables = false;
}

static void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm, bool fullmm)
{
	tlb->mm = mm;
	tlb->fullmm = fullmm;
	tlb->nr_pages = 0;
	INIT_LIST_HEAD(&tlb->tables);
	tlb_reset_range(tlb);
	/* R4/R7: from now until tlb_finish_mmu, a flush of this mm may be owed. */
	inc_tlb_flush_pending(mm);
}

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, false);
}

void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, true);
}

/*
 * R1 step 2 and R2: flush the gathered range on every CPU that has the mm,
 * before anything gathered is freed (tlb_flush_mmu runs the steps in order).
 */
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb)
{
	if (tlb->start >= tlb->end)
		return;                   /* nothing was cleared */
	if (tlb->fullmm)
		flush_tlb_mm(tlb->mm);    /* no CPU has it loaded: this costs nothing */
	else
		flush_tlb_mm_range(tlb->mm, tlb->start, tlb->end, PAGE_SHIFT, tlb->freed_tables);
	tlb_reset_range(tlb);
}

bool __tlb_remove_page(struct mmu_gather *tlb, struct page *page)
{
	tlb->pages[tlb->nr_pages++] = page;
	return tlb->nr_pages == MMU_GATHER_BATCH;
}

/* R2: only called after tlb_flush_mmu_tlbonly(): no CPU can reach these pages any more. */
static void tlb_batch_pages_flush(struct mmu_gather *tlb)
{
	for (unsigned int i = 0; i < tlb->nr_pages; i++)
		__free_page(tlb->pages[i]);
	tlb->nr_pages = 0;
}

/*
 * R1 step 3: the last step of a table's life. Unhooked (step 1) and
 * flushed from every TLB and paging-structure cache (step 2); the grace
 * period of step 3 is not needed yet, because no walker reads a user table
 * without holding mmap_lock, and tables leave only under it for writing.
 */
static void tlb_remove_table_free(struct page *table)
{
	free_pgtable_page(table);
}

static void tlb_table_flush(struct mmu_gather *tlb)
{
	struct page *table, *tmp;

	list_for_each_entry_safe(table, tmp, &tlb->tables, pt_list) {
		list_del_init(&table->pt_list);
		tlb_remove_table_free(table);
	}
}

void tlb_flush_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu_tlbonly(tlb);
	tlb_batch_pages_flush(tlb);
	tlb_table_flush(tlb);
}

/*
 * R7: another gather on this mm is running too (two MADV_DONTNEEDs hold
 * mmap_lock for reading together). It may have cleared entries in our range
 * that we found none and so did not record; its flush may come after we
 * return. So we flush the whole mm, tables included, before we return.
 */
static bool tlb_flush_nested(struct mmu_gather *tlb)
{
	return __atomic_load_n(&tlb->mm->tlb_flush_pending, __ATOMIC_SEQ_CST) > 1;
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	if (tlb_flush_nested(tlb)) {
		tlb->start = 0;
		tlb->end = TLB_FLUSH_ALL;
		tlb->freed_tables = true;
	}
	tlb_flush_mmu(tlb);
	dec_tlb_flush_pending(tlb->mm);
}

/* Queue an unhooked table; its translations must be flushed, caches included. */
static void tlb_remove_table(struct mmu_gather *tlb, struct page *table, unsigned long addr)
{
	tlb_flush_pte_range(tlb, addr, PAGE_SIZE);
	tlb->freed_tables = true;
	list_add_tail(&table->pt_list, &tlb->tables);
}

void pte_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr)
{
	if (table->pt_count)
		panic("PTE table pfn %#lx leaves its mm with %d entries in use",
		      page_to_pfn(table), table->pt_count);
	tlb_remove_table(tlb, table, addr);
}

void pmd_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr)
{
	tlb_remove_table(tlb, table, addr);
}

void pud_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr)
{
	tlb_remove_table(tlb, table, addr);
}
