/*
 * Transparent huge pages for anonymous memory (mm/huge_memory.c).
 *
 * A fault in a 2 MiB-aligned block that lies wholly inside an eligible VMA
 * maps the whole block with one order-9 page and one PMD entry, a leaf
 * with _PAGE_PSE (arch/x86_64/pgtable.h: "trans huge"). That is the second
 * way a PMD entry can change meaning, besides pointing at a PTE table, and
 * the page-table rules apply to it the same way:
 *
 *   fault      do_huge_pmd_anonymous_page(): allocate and zero the page
 *              unlocked, then under the PMD lock, if the entry is still
 *              none, flush first if a gather may owe a flush there (R4)
 *              and set the huge PMD. No huge page to be had: 4 KiB pages.
 *   deposit    each huge PMD comes with a fresh PTE table, kept on a stack
 *              in the PMD table's struct page (pmd_huge_pte) and counted in
 *              VmPTE as Linux does, so that a split never allocates.
 *   zap        zap_huge_pmd(): the whole entry is cleared under the PMD
 *              lock, its range goes to the gather, the page is freed after
 *              the flush (R2); the deposited table was never visible to any
 *              walker and goes at once.
 *   split      split_huge_pmd(): when munmap, mprotect, MADV_DONTNEED or a
 *              VMA split covers only part of the block: under the PMD lock
 *              the entry is made not-present (but still trans huge), every
 *              CPU flushes its 2 MiB translation (R4: never a 2 MiB and a
 *              4 KiB translation for one address), the deposited table is
 *              filled with 512 PTEs and hooked in its place. The order-9 page
 *              becomes 512 order-0 pages (split_page).
 *   walkers    pte_offset_map*() return no table for a huge PMD; each
 *              walker checks pmd_trans_huge() first and takes the huge path,
 *              and one that finds it only under the lock retries.
 *
 * Invariant, kept by split_vma(): a huge PMD never crosses a VMA boundary.
 *
 * A read fault maps the huge zero page (2 MiB of zeroes, shared, read-only,
 * in nobody's RSS, with a deposit like any huge PMD); a write to it maps a
 * huge page of its own instead, as Linux 6.13 and later do.
 *
 * Boot option thp=always|madvise|never (default madvise), shown as
 * /sys/kernel/mm/transparent_hugepage/enabled. MADV_HUGEPAGE and
 * MADV_NOHUGEPAGE set the VMA flags that "madvise" and every mode obey.
 */
#pragma once
#include "mm/mm.h"

struct mmu_gather;
struct vm_fault;

#define HPAGE_PMD_ORDER 9
#define HPAGE_PMD_NR    (1 << HPAGE_PMD_ORDER)

/* Parse thp= (mm_init). */
void thp_init(void);

/* thp=always? */
bool thp_mode_always(void);
/* May a fault in vma take a huge page (thp= mode, VM_HUGEPAGE, VM_NOHUGEPAGE)? */
bool thp_vma_allowable(const struct vm_area_struct *vma);
/* Does the 2 MiB block holding addr lie wholly inside vma? */
bool thp_vma_suitable(const struct vm_area_struct *vma, unsigned long addr);

/*
 * A fault on a none PMD in an eligible block: 0 (mapped, or lost a race:
 * retry the access), or THP_FALLBACK: no huge page, use 4 KiB pages.
 */
#define THP_FALLBACK 1
int do_huge_pmd_anonymous_page(struct vm_fault *vmf);
/* A fault on a huge PMD (a write to a read-only one, or already fixed): 0. */
int do_huge_pmd_fault(struct vm_fault *vmf);

/*
 * Zap the huge PMD at pmd, whose whole 2 MiB the zap covers, into the
 * gather. False if the PMD was no longer huge under its lock (split or
 * zapped meanwhile): the caller reads it again.
 */
bool zap_huge_pmd(struct mmu_gather *tlb, pmd_t *pmd, unsigned long addr);

/*
 * mprotect of a whole huge PMD: give it vma's protection, record the range
 * in the gather if it changed. False as for zap_huge_pmd().
 */
bool change_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmd,
		     unsigned long addr);

/*
 * Split the huge PMD at pmd (if it still is one) into a PTE table mapping
 * the same 512 pages. Takes the PMD lock and waits for a TLB flush:
 * interrupts on, no page-table lock held. Never allocates.
 */
void split_huge_pmd(struct mm_struct *mm, pmd_t *pmd, unsigned long addr);
/* A VMA is about to be split at addr: split a huge PMD that addr falls inside. */
void split_huge_pmd_address(struct vm_area_struct *vma, unsigned long addr);

/*
 * MADV_COLLAPSE of [start, end), which lies inside vma (mm/khugepaged.c):
 * every whole 2 MiB block in it becomes one huge PMD. mmap_lock held for
 * reading. 0, or Linux's errno: EINVAL (VM_NOHUGEPAGE, no block fits the
 * VMA, a block never touched, a VMA where no page was ever written),
 * ENOMEM (no huge page), EAGAIN (the block changed while it was copied).
 */
int madvise_collapse(struct vm_area_struct *vma, unsigned long start, unsigned long end);

/*
 * Fault injection (point collapse_walker_hold): called by
 * pte_offset_map_lock() between mapping a PTE table and locking it. While a
 * collapse runs, holds the walker right there, inside rcu_read_lock() (R3),
 * until the PMD changes or that collapse ends. Costs one load when off.
 */
void collapse_walker_hold(pmd_t *pmd, pmd_t pmdval);
/* Tests only: run between a collapse's copy and its install (rcu_read_lock held). */
extern void (*collapse_before_install_hook)(struct vm_area_struct *vma, unsigned long haddr);

/*
 * khugepaged (mm/khugepaged.c), started by khugepaged_init() under
 * thp=always (after the scheduler): an mm joins its list when it gets a VMA
 * khugepaged may collapse (mmap, brk, MADV_HUGEPAGE: khugepaged_enter, with
 * mmap_lock held) and leaves when its last user goes (khugepaged_exit).
 */
void khugepaged_init(void);
void khugepaged_enter(struct vm_area_struct *vma);
void khugepaged_exit(struct mm_struct *mm);

/* Between huge_memory.c and khugepaged.c. */
/* Huge PMDs joined (+) or left (-) mm: AnonHugePages, per mm and in all. */
void thp_account(struct mm_struct *mm, long pmds);
/* The entry for our own huge page: the VMA's protection, writable and dirty if it may be. */
pmd_t mk_huge_pmd(const struct vm_area_struct *vma, struct page *page);
/* Keep a fresh PTE table with the huge PMD about to be set at pmd. PMD lock held. */
void pgtable_trans_huge_deposit(pmd_t *pmd, struct page *table);

/* /sys/kernel/mm/transparent_hugepage/{enabled,use_zero_page,hpage_pmd_size}. */
size_t thp_enabled_show(char *buf, size_t size);
size_t thp_use_zero_page_show(char *buf, size_t size);
size_t thp_hpage_pmd_size_show(char *buf, size_t size);
/* .../transparent_hugepage/khugepaged/{scan_sleep_millisecs,pages_collapsed,full_scans}. */
size_t khugepaged_scan_sleep_show(char *buf, size_t size);
size_t khugepaged_pages_collapsed_show(char *buf, size_t size);
size_t khugepaged_full_scans_show(char *buf, size_t size);
