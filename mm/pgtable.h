/*
 * User page tables: walking, allocating, locking (mm/pgtable.c).
 *
 * Every level is one page from the buddy allocator, marked PG_table, with a
 * spinlock in its struct page (page->ptl). Only two of those locks are used:
 *   - the PMD lock: the ptl of the PMD table page; held to change an entry
 *     of that table (install or remove a PTE table);
 *   - the PTE lock: the ptl of the PTE table page; held to change an entry
 *     of that table (map or unmap a page). This is the split PTL: two
 *     threads faulting in different PTE tables take different locks.
 * PGD and PUD entries are populated under mm->page_table_lock.
 *
 * Upper levels (PUD, PMD tables) leave an mm only in free_pgtables (munmap,
 * with mmap_lock downgraded to read, and exit_mmap, for writing), and only
 * from a hole no VMA overlaps; so with mmap_lock held a walker may read PGD
 * and PUD entries without a lock on its way to an address inside a VMA (a
 * walker of the whole space, mm/ptdump.c, needs rcu_read_lock: see
 * mm/memory.c, header comment). A
 * PTE table is reached through pte_offset_map*(), which follows rule R3:
 * PTE tables are reclaimed under mmap_lock held for reading (MADV_DONTNEED,
 * mm/pt_reclaim.c), so a walker must recheck the PMD under the PTE lock.
 */
#pragma once
#include "mm/mm.h"
#include "mm/page_alloc.h"

static inline pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr)
{
	return pgd_offset_pgd(mm->pgd, addr);
}

/* The struct page of the table an entry points to. */
static inline struct page *pmd_pgtable(pmd_t pmd) { return phys_to_page(pmd_phys(pmd)); }

/*
 * The PTE lock of the table pmdval points to (every taker of a PTE lock
 * asks here), and the PMD lock of the table holding pmd. Split locks: one
 * per table, in its struct page, so faults in different tables share no
 * lock (Linux's pte_lockptr; mm is what a kernel without split locks uses).
 */
/* LAB ptl: begin */
static inline spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t pmdval)
{
	return &pmd_pgtable(pmdval)->ptl;
}
/* LAB ptl: end */
static inline spinlock_t *pmd_lockptr(pmd_t *pmd) { return &virt_to_page(pmd)->ptl; }

static inline spinlock_t *pmd_lock(pmd_t *pmd)
{
	spinlock_t *ptl = pmd_lockptr(pmd);
	spin_lock(ptl);
	return ptl;
}

/*
 * Allocate the table below an entry if the entry is none, then descend.
 * Each returns the entry for addr in the table below, or NULL if out of
 * memory. Racing allocators are fine: the loser frees its table.
 */
int __pud_alloc(struct mm_struct *mm, pgd_t *pgd);
int __pmd_alloc(struct mm_struct *mm, pud_t *pud);
int __pte_alloc(struct mm_struct *mm, pmd_t *pmd, unsigned long addr);

static inline pud_t *pud_alloc(struct mm_struct *mm, pgd_t *pgd, unsigned long addr)
{
	return pgd_none(pgdp_get(pgd)) && __pud_alloc(mm, pgd) ? NULL : pud_offset(pgd, addr);
}

static inline pmd_t *pmd_alloc(struct mm_struct *mm, pud_t *pud, unsigned long addr)
{
	return pud_none(pudp_get(pud)) && __pmd_alloc(mm, pud) ? NULL : pmd_offset(pud, addr);
}

/* Make sure pmd points to a PTE table: 0, or -ENOMEM. */
static inline int pte_alloc(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	return pmd_none(pmdp_get(pmd)) ? __pte_alloc(mm, pmd, addr) : 0;
}

/*
 * A fresh PTE table (zeroed, split lock ready) that no walker can see yet,
 * or NULL; and the way back for one that never became visible (a THP
 * deposit, mm/huge_memory.c). Linux's pte_alloc_one() and pte_free().
 */
struct page *pte_alloc_one(void);
void pte_free(struct page *table);

/*
 * R4: about to fill the PMD entry pmd of addr's 2 MiB (with a PTE table or
 * a huge page), found none under its PMD lock. If a gather on mm still owes
 * the flush of a PMD clear, flush the 2 MiB first (counted in
 * tlb_flush_before_set_pmd), with the PMD lock dropped meanwhile and taken
 * again. Returns true, lock held, if the entry is still none and may be set
 * before the lock is dropped; false if another CPU filled it meanwhile.
 */
bool flush_tlb_before_set_pmd(struct mm_struct *mm, pmd_t *pmd, unsigned long addr);

/* Tests only: called in flush_tlb_before_set_pmd's window, no page-table lock held. */
extern void (*r4_relock_hook)(struct mm_struct *mm, pmd_t *pmd, unsigned long addr);

/*
 * Install the fresh PTE table *new under pmd if pmd is still none, under
 * the PMD lock; counts it in the mm and sets *new to NULL. If another
 * thread installed one first, *new is left for the caller to free.
 */
void pmd_install(struct mm_struct *mm, pmd_t *pmd, struct page **new, unsigned long addr);

/*
 * Map the PTE table pmd points to, without its lock, and return the entry
 * for addr in it; NULL if pmd is none or a huge PMD (no table: the caller
 * retries or takes the huge path, mm/huge_memory.h). Enters an RCU read-side
 * section that pte_unmap() leaves: the table cannot be freed in between
 * (R3). *pmdvalp, if not NULL, receives the pmd value the table came from.
 */
pte_t *pte_offset_map(pmd_t *pmd, unsigned long addr, pmd_t *pmdvalp);
static inline void pte_unmap(pte_t *pte) { rcu_read_unlock(); }

/*
 * Map the PTE table pmd points to and take its PTE lock (rule R3: the pmd
 * is rechecked under the lock, the walk retried if it changed). Returns the
 * entry for addr with *ptlp locked, or NULL if pmd is none. Interrupts must
 * be on (see mm.h). Release with pte_unmap_unlock(). NULL as for
 * pte_offset_map(), also when the PMD became huge (a collapse) meanwhile.
 */
pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			   spinlock_t **ptlp);

static inline void pte_unmap_unlock(pte_t *pte, spinlock_t *ptl)
{
	spin_unlock(ptl);
	pte_unmap(pte);
}

/*
 * Entries in use in a PTE table (page->pt_count), kept under its PTE lock:
 * +1 when a none entry is set, -1 when one is cleared. A PTE table may
 * leave its mm only at zero (pte_free_tlb checks).
 */
static inline void pte_table_inc(pte_t *pte) { virt_to_page(pte)->pt_count++; }
static inline void pte_table_dec(pte_t *pte) { virt_to_page(pte)->pt_count--; }

/*
 * The PMD entry for addr if the PGD and PUD levels exist, else NULL. No
 * lock, no allocation: the caller holds mmap_lock (see the header comment).
 */
pmd_t *mm_find_pmd(struct mm_struct *mm, unsigned long addr);

/*
 * The PTE for addr read under its lock, or none if nothing maps addr (tests,
 * populate); for a huge PMD, the PTE its 4 KiB part at addr would have.
 */
pte_t mm_get_pte(struct mm_struct *mm, unsigned long addr);

/* A PGD for mm (kernel half copied from swapper_pg_dir) in mm->pgd: 0 or -ENOMEM. */
int pgd_alloc(struct mm_struct *mm);
void pgd_free(struct mm_struct *mm);

/*
 * THE way every user page-table page goes back to the allocator: a table
 * that was unhooked and flushed (through the mmu_gather, after a grace
 * period: free_pgtable_page_rcu), a PGD of a dead mm, or a fresh table that
 * lost an install race. Checks nobody holds its split lock, uncounts it
 * globally (NR_PAGE_TABLE_PAGES), gives the page back.
 */
void free_pgtable_page(struct page *table);

/*
 * R1 step 3: a table that was unhooked under its parent's lock (step 1) and
 * whose translations were flushed everywhere (step 2) is freed by
 * free_pgtable_page() from an RCU callback, after a grace period: a walker
 * that found it inside rcu_read_lock() (R3) may still be reading it, with
 * interrupts on, so the flush IPI proved nothing about it (R5). The split
 * lock inside the page is destroyed in that callback too. Counts
 * PGTABLE_FREE_DEFERRED now and PGTABLE_FREE_DONE in the callback. The
 * table stays in NR_PAGE_TABLE_PAGES until the callback frees it: that
 * counter says how many pages hold page tables, and a table waiting for
 * its grace period still does (its mm stopped counting it at the unhook).
 * Any context.
 */
void free_pgtable_page_rcu(struct page *table);

/*
 * A PTE table that a collapse retracted (unhooked under its PMD and PTE
 * locks, its range flushed on every CPU, mm/khugepaged.c) is freed after a
 * grace period through its own rcu_head, with no gather: Linux's
 * pte_free_defer(). ptbug=collapse-free-now frees it at once instead.
 */
void pte_free_defer(struct page *table);

/*
 * The end of a PTE table's split lock: only once nobody can reach the
 * table, after its grace period (R1). The lock lives in struct page and
 * needs no teardown here; the call marks the moment, which ptcheck checks.
 */
void pgtable_lock_destroy(struct page *table);

/*
 * What every entry of a page-table page holds once its grace period has
 * passed and it is freed (debug poisoning, always on here): not present at
 * any level (bit 0 clear), so a hardware walk through it faults, and not
 * none, so a software walker that reads a freed table sees an entry that no
 * live table can hold. The allocator then writes its own PAGE_POISON_FREE
 * over the first word; the other 511 keep this until the page is reused.
 */
#define PGTABLE_POISON 0x6b6b6b6b6b6b6b6aul
