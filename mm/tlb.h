/*
 * The mmu_gather: how unmapping keeps rules R1 and R2 (mm/mmu_gather.c).
 *
 * Whoever clears user PTEs (zap: munmap, MADV_DONTNEED, exit_mmap) or
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
 * life (R7 asks it). A PMD entry the gather clears (a PTE table unhooked, a
 * huge PMD zapped) goes through tlb_pmdp_get_and_clear(), which counts it
 * in mm->pmd_clears until the gather's flush has completed: that is
 * how a fault about to fill a none PMD knows whether a flush is owed (R4,
 * flush_tlb_before_set_pmd).
 *
 * A gather that finds another one running on the same mm when it finishes
 * flushes the whole mm (R7, tlb_flush_nested).
 *
 * A detached gather (tlb_gather_mmu_detached, munmap's) works only on
 * ranges whose VMAs were taken out of the tree under the write lock, and
 * finishes before mmap_lock is let go: no fault, DONTNEED or collapse can
 * reach its range meanwhile, so no PMD it clears can be filled before its
 * flush (R4), and no other gather can clear an entry in its range or find
 * one it cleared (R7). It does not raise mm->tlb_flush_pending: a fault
 * installing a PTE table elsewhere in the mm during a downgraded munmap
 * need not flush under its PMD lock.
 *
 * Data pages are held in batches: a small one inside the gather (on the
 * caller's stack) and, when it fills, batches that are pages of their own,
 * each holding MAX_GATHER_BATCH page pointers, allocated without sleeping.
 * So a 1 MiB MADV_DONTNEED (256 pages) is one flush, one IPI per remote
 * CPU, not one per 32 pages. Only when MAX_GATHER_BATCH_COUNT batch pages
 * are full, or one cannot be allocated, does the zapper flush early. Tables
 * are not freed at step 3 itself but queued with call_rcu: tlb_remove_table_free()
 * is the single place where the RCU grace period of R1 step 3 (and R5)
 * goes; the callback poisons the table, destroys its split lock and frees
 * it (free_pgtable_page_rcu, mm/pgtable.c).
 */
#pragma once
#include "arch/x86_64/pgtable.h"
#include "kernel/list.h"
#include "mm/mm.h"
#include "kernel/types.h"

struct mm_struct;
struct page;

/* A batch of data pages to free after the flush. */
struct mmu_gather_batch {
	struct mmu_gather_batch *next;
	unsigned int nr;                 /* pages[0..nr) are queued */
	unsigned int max;                /* room in pages[] */
	struct page *pages[];
};

#define MMU_GATHER_BUNDLE 8          /* pages of the batch inside the gather itself */
/* Page pointers in a batch that is a whole page. */
#define MAX_GATHER_BATCH ((PAGE_SIZE - sizeof(struct mmu_gather_batch)) / sizeof(void *))
/* At most this many batch pages: bounds the memory held (about 20 MiB of data pages). */
#define MAX_GATHER_BATCH_COUNT 10

struct mmu_gather {
	struct mm_struct *mm;
	unsigned long start, end;        /* stale translations: [start, end); empty if start >= end */
	bool fullmm;                     /* the whole mm goes (exit_mmap): no CPU has it loaded */
	bool detached;                   /* ranges no VMA covers: tlb_flush_pending not raised */
	bool freed_tables;               /* tables were unhooked: paging-structure caches too */
	struct mmu_gather_batch *active; /* the batch being filled */
	unsigned int batch_count;        /* batch pages allocated so far */
	struct mmu_gather_batch local;   /* the first batch: must be followed by ... */
	struct page *local_pages[MMU_GATHER_BUNDLE];   /* ... its storage */
	struct list_head tables;         /* unhooked page-table pages, by page->pt_list */
	/* PMD entries cleared, by bucket (mm.h): counted in the mm until flushed (R4) */
	unsigned int pmd_clears[PMD_CLEAR_BUCKETS];
};

/* Start a gather on mm (raises mm->tlb_flush_pending). */
void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm);
/* The same for tearing the whole mm down. */
void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm);
/* The same for the ranges of detached VMAs (munmap; see above): raises nothing. */
void tlb_gather_mmu_detached(struct mmu_gather *tlb, struct mm_struct *mm);
/* Flush, free everything gathered, lower mm->tlb_flush_pending (if raised). Interrupts on. */
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
 * Queue a data page whose PTE was cleared, to free after the flush (R2);
 * or the order-9 page of a huge PMD (freed whole, by its page->order).
 * Returns true when no more batches can be had (MAX_GATHER_BATCH_COUNT, or
 * no memory): the caller must drop its PTE lock and call tlb_flush_mmu()
 * before queueing more.
 */
bool __tlb_remove_page(struct mmu_gather *tlb, struct page *page);

/* Steps 1-3 now: flush, free the pages, free the tables. Interrupts on, no PTE lock held. */
void tlb_flush_mmu(struct mmu_gather *tlb);
/* Step 1 alone: flush the gathered range (mprotect needs only this). */
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb);

/*
 * R4 and R1 step 1: clear the PMD entry of addr's 2 MiB (a PTE table
 * unhooked, a huge PMD zapped), under the PMD lock, and owe its flush: the
 * 2 MiB join the gather's range, and until that flush has completed the
 * clear counts in mm->pmd_clears. Returns the old entry.
 */
pmd_t tlb_pmdp_get_and_clear(struct mmu_gather *tlb, pmd_t *pmd, unsigned long addr);

/*
 * Queue a page-table page that was just unhooked from its parent (under
 * the parent's lock, R1 step 1) and uncounted from the mm; addr is an
 * address it mapped. Flushed by tlb_finish_mmu (R1 step 2), then freed
 * from an RCU callback after a grace period (R1 step 3).
 */
void pte_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr);
void pmd_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr);
void pud_free_tlb(struct mmu_gather *tlb, struct page *table, unsigned long addr);
