/*
 * The mmu_gather: how unmapping keeps rules R1 and R2 (mm/mmu_gather.c).
 *
 * Whoever clears user PTEs (zap: munmap, MADV_DONTNEED, mm_destroy) or
 * unhooks page tables (free_pgtables) does it inside a gather:
 *
 *     struct mmu_gather tlb;
 *     tlb_gather_mmu(&tlb, mm);
 *     ...clear entries under the PTE lock; tlb_flush_pte_range() for each,
 *        __tlb_remove_page() for each page they mapped;
 *        unhook tables under the parent's lock; pte_free_tlb() for each...
 *     tlb_finish_mmu(&tlb);
 *
 * The gather remembers the range whose translations went stale, the data
 * pages, and the unhooked tables, and releases them in the only safe order:
 *   1. tlb_flush_mmu_tlbonly()  flush the range on every CPU with the mm;
 *   2. tlb_batch_pages_flush()  free the data pages (R2: after the flush);
 *   3. tlb_table_flush()        free the tables (R1: after the flush).
 * A full page batch forces steps 1-3 early, outside the PTE lock (the
 * zapper drops it first). mm->tlb_flush_pending is raised for the gather's
 * life, so a populating path knows a flush is still owed (R4).
 *
 * A gather that finds another one running on the same mm when it finishes
 * flushes the whole mm (R7, tlb_flush_nested).
 *
 * This is the simple version: a fixed batch on the stack, tables freed at
 * once after the flush (nothing walks user tables without mmap_lock yet).
 * tlb_remove_table_free() is the single place where the RCU grace period of
 * R1 step 3 goes.
 */
#pragma once
#include "kernel/list.h"
#include "kernel/types.h"

struct mm_struct;
struct page;

#define MMU_GATHER_BATCH 32          /* data pages held before a forced flush */

struct mmu_gather {
	struct mm_struct *mm;
	unsigned long start, end;        /* stale translations: [start, end); empty if start >= end */
	bool fullmm;                     /* the whole mm goes (mm_destroy): no CPU has it loaded */
	bool freed_tables;               /* tables were unhooked: paging-structure caches too */
	unsigned int nr_pages;
	struct page *pages[MMU_GATHER_BATCH];   /* data pages to free after the flush */
	struct list_head tables;         /* unhooked page-table pages, by page->pt_list */
};

/* Start a gather on mm (raises mm->tlb_flush_pending). */
void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm);
/* The same for tearing the whole mm down. */
void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm);
/* Flush, free everything gathered, lower mm->tlb_flush_pending. Interrupts on. */
void tlb_finish_mmu(struct mmu_gather *tlb);

/* The entries of [addr, addr + size) were cleared or changed: flush them. */
static inline void tlb_flush_pte_range(struct mmu_gather *tlb, unsigned long addr,
				       unsigned long size)
{
	if (tlb->start > addr)
		tlb->start = addr;
	if (tlb->end < addr + size)
		tlb->end = addr + size;
}

/*
 * Queue a data page whose PTE was cleared, to free after the flush (R2).
 * Returns true when the batch is now full: the caller must drop its PTE
 * lock and call tlb_flush_mmu() before queueing more.
 */
bool __tlb_remove_page(struct mmu_gather *tlb, struct page *page);

/* Steps 1-3 now: flush, free the pages, free the tables. Interrupts on, no PTE lock held. */
void tlb_flush_mmu(struct mmu_gather *tlb);
/* Step 1 alone: flush the gathered range (mprotect needs only this). */
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb);

/*
 * Queue a page-table page that was just unhooked from its parent (under
 * the parent's lock, R1 step 1) and uncounted from the mm; addr is an
 * address it mapped. Freed after the flush by tlb_finish_mmu.
 */
void pte_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr);
void pmd_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr);
void pud_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr);
