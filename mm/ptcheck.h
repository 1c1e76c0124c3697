/*
 * ptcheck: a checker of the page-table lifetime rules (boot option
 * `ptcheck`), and ptbug: Linux's historic page-table bugs, planted on
 * demand (boot option `ptbug=NAME`) so that a student can watch the
 * checker catch them (mm/ptcheck.c).
 *
 * The checker follows each page-table page through its death:
 *
 *     live --unhook--> unhooked --flush--> flushed --grace period--> free
 *
 * "unhook" is the PMD entry of a PTE table cleared (tlb_pmdp_get_and_clear,
 * under the PMD lock), an upper table given to the gather
 * (tlb_remove_table), or a collapse retracting a table, "flush" any TLB
 * flush of the mm that covers the address the table mapped (the gather's,
 * a collapse's, or R4's in flush_tlb_before_set_pmd), and the grace period one that
 * started once the flush was under way. It also remembers the PMD slots
 * each mm cleared and has not flushed yet (one list, each entry naming its
 * mm). A step out of order is reported as
 *
 *     ptcheck: violation R<n>: <what> at <address>
 *
 * with a backtrace, and counted (ptcheck_violations in /proc/vmstat); the
 * kernel goes on, so one run shows every violation. It checks:
 *   R1  a table, or its split lock, freed before its flush or before a
 *       grace period after the flush; a table unhooked twice; an mm
 *       destroyed with a table it never flushed;
 *   R2  a gather freeing data pages while its range is not flushed yet;
 *   R3  a walker holding the lock of a table that is no longer hooked
 *       (it skipped the PMD recheck);
 *   R4  a PMD populated (a PTE table, a huge page) while a flush of that
 *       PMD slot is still owed: a PTE table unhooked from it, or a huge
 *       PMD zapped from it, and not flushed yet;
 *   R6  a table reclaimed with an entry still in use (all 512 scanned).
 *
 * Every hook is a no-op unless `ptcheck` is on. The checker's own lock is
 * global: fine for a debug mode, never for the fast paths it watches.
 */
#pragma once
#include "kernel/types.h"

struct mm_struct;
struct mmu_gather;
struct page;

extern bool ptcheck_enabled;

/* Allocate the checker's per-page table; after the page allocator is up. */
void ptcheck_init(void);

void __ptcheck_table_alloc(struct page *table);
void __ptcheck_table_unhooked(struct mm_struct *mm, struct page *table, unsigned long addr,
			      bool pte_table);
void __ptcheck_flushed(struct mm_struct *mm, unsigned long start, unsigned long end);
void __ptcheck_pmd_populate(struct mm_struct *mm, unsigned long addr);
void __ptcheck_pmd_cleared(struct mm_struct *mm, unsigned long addr);
void __ptcheck_table_rehooked(struct page *table);
void __ptcheck_table_free(struct page *table);
void __ptcheck_lock_destroy(struct page *table);
void __ptcheck_walk_locked(struct page *table, unsigned long addr);
void __ptcheck_reclaim(struct page *table, unsigned long addr);
void __ptcheck_pages_free(struct mmu_gather *tlb);
void __ptcheck_mm_exit(struct mm_struct *mm);

/* A table unhooked from an mm and not freed yet, as the checker knows it. */
struct ptcheck_pending_info {
	unsigned long addr;              /* an address it mapped */
	unsigned long phys;              /* the table page's physical address */
	bool pte_table;                  /* a PTE table (else a PMD or PUD table) */
	unsigned long gp;                /* 0: its TLB flush is still owed; else flushed, and
					    freed once this grace period has completed */
};

/*
 * Call fn for each table unhooked from mm that is not freed yet (the
 * page-table dump, mm/ptdump.c); returns how many. fn runs with the
 * checker's lock held and interrupts off: it must not sleep or lock.
 * Only meaningful when ptcheck_enabled.
 */
int ptcheck_pending_walk(struct mm_struct *mm,
			 void (*fn)(void *arg, const struct ptcheck_pending_info *info), void *arg);

#define PTCHECK_HOOK(name, ...) do { if (ptcheck_enabled) __ptcheck_##name(__VA_ARGS__); } while (0)

/* A new page-table page: live. */
#define ptcheck_table_alloc(table)              PTCHECK_HOOK(table_alloc, table)
/* R1 step 1 done: a table that mapped addr was unhooked (a PTE table: under the PMD lock). */
#define ptcheck_table_unhooked(mm, t, addr, pte) PTCHECK_HOOK(table_unhooked, mm, t, addr, pte)
/* The TLBs of [start, end) of mm were flushed on every CPU (R1 step 2). */
#define ptcheck_flushed(mm, start, end)         PTCHECK_HOOK(flushed, mm, start, end)
/* A PTE table or a huge page is about to be set at addr's PMD, PMD lock held (R4). */
#define ptcheck_pmd_populate(mm, addr)          PTCHECK_HOOK(pmd_populate, mm, addr)
/* A huge PMD at addr was cleared; its flush is owed until one covers addr (R4). */
#define ptcheck_pmd_cleared(mm, addr)           PTCHECK_HOOK(pmd_cleared, mm, addr)
/* An unhooked, flushed table was hooked back where it was (a collapse gave up): live. */
#define ptcheck_table_rehooked(table)           PTCHECK_HOOK(table_rehooked, table)
/* A page-table page goes back to the allocator (R1 step 3). */
#define ptcheck_table_free(table)               PTCHECK_HOOK(table_free, table)
/* Its split lock is destroyed (R1: only after the grace period). */
#define ptcheck_lock_destroy(table)             PTCHECK_HOOK(lock_destroy, table)
/* A walker took the PTE lock of table and trusts it maps addr (R3). */
#define ptcheck_walk_locked(table, addr)        PTCHECK_HOOK(walk_locked, table, addr)
/* Reclaim is about to clear the PMD of table (R6); PTE lock held. */
#define ptcheck_reclaim(table, addr)            PTCHECK_HOOK(reclaim, table, addr)
/* A gather is about to free its data pages (R2). */
#define ptcheck_pages_free(tlb)                 PTCHECK_HOOK(pages_free, tlb)
/* mm is being destroyed: forget what is recorded about it. */
#define ptcheck_mm_exit(mm)                     PTCHECK_HOOK(mm_exit, mm)

/*
 * ptbug=NAME: one of Linux's historic bugs, re-created on purpose. The
 * boot banner says so. Each has a suite in tools/suites.py that expects
 * the checker's report (or a failing test).
 */
enum ptbug {
	PTBUG_NONE,
	PTBUG_PTLOCK_EARLY,  /* split lock destroyed at the unhook (syzbot, Dec 2024) */
	PTBUG_STALE_SCAN,    /* slow reclaim trusts emptiness seen before the lock drop (6.14-rc1) */
	PTBUG_IPI_FREE,      /* table freed after an IPI round trip, not a grace period (R5) */
	PTBUG_NO_R4,         /* no flush before populating a PMD whose flush is pending */
	PTBUG_COLLAPSE_FREE_NOW, /* a collapse frees the PTE table it retracted at once,
				  * not after a grace period (what pte_free_defer prevents) */
};

extern enum ptbug ptbug;

static inline bool ptbug_is(enum ptbug bug)
{
	return ptbug == bug;
}

/* Parse ptbug=, print the banner. Early, after boot options. */
void ptbug_init(void);
