/*
 * Taking mappings away: zapping the PTEs of a range (munmap, MADV_DONTNEED,
 * exit_mmap) and freeing the page tables of a range nothing maps any more
 * (free_pgtables). Both work inside an mmu_gather (mm/tlb.h), which flushes
 * the TLBs before anything is freed.
 *
 * Upper levels are walked without locks. PUD and PMD tables leave an mm only
 * here, in free_pgtables, and only tables whose whole span lies in a hole
 * that no VMA overlaps any more: exit_mmap holds mmap_lock for writing;
 * munmap detaches the hole's VMAs under the write lock and then frees the
 * tables with the lock downgraded to read (mm/mmap.c), while faults run in
 * other VMAs. So a walker holding mmap_lock (either way) that walks to an
 * address inside a VMA -- a fault, a zap, a collapse, mprotect -- never
 * meets an upper table on its way out: every table on its path maps that
 * address. A walker that reads the whole address space instead (the
 * page-table dump, mm/ptdump.c) may meet one, and walks inside
 * rcu_read_lock(): a table is freed only after a grace period (R1 step 3).
 * The PTE level is entered with pte_offset_map_lock (R3).
 */
#include "mm/mm.h"
#include "kernel/printk.h"
#include "mm/huge_memory.h"
#include "mm/pgtable.h"
#include "mm/pt_reclaim.h"
#include "mm/tlb.h"

/*
 * Zap the PTEs of [addr, end), all in the table pmd points to. Returns how
 * far it got: end, or less if the gather's page batch filled up, in which
 * case the batch was flushed and freed and the caller calls again from there;
 * addr itself if pmd points at no table (none, or a huge PMD: a collapse got
 * there first), for the caller to read the PMD again.
 *
 * With details->reclaim_pt (MADV_DONTNEED), a table this zap leaves empty is
 * reclaimed too (R6, mm/pt_reclaim.h): here by the fast path, or, if its
 * try-lock fails, *emptied is set to the table for the slow path, which the
 * caller runs once no PTE lock is held.
 */
static unsigned long zap_pte_range(struct mmu_gather *tlb, pmd_t *pmd, unsigned long addr,
				   unsigned long end, const struct zap_details *details,
				   struct page **emptied)
{
	struct mm_struct *mm = tlb->mm;
	bool force_flush = false, cleared_any = false, reclaimed = false;
	unsigned long table_addr = addr;
	spinlock_t *ptl;
	pte_t *start_pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	pte_t *pte = start_pte;

	if (!pte)
		return addr;                  /* no table any more: look at the PMD again */
	struct page *table = virt_to_page(start_pte);
	for (; addr != end; pte++, addr += PAGE_SIZE) {
		if (pte_none(ptep_get(pte)))
			continue;
		/* R2: the entry is cleared under the PTE lock... */
		pte_t old = ptep_get_and_clear(pte);
		pte_table_dec(pte);
		cleared_any = true;
		tlb_flush_pte_range(tlb, addr, PAGE_SIZE);
		struct page *page = vm_normal_page(old);
		if (!page)
			continue;             /* the zero page: shared, never freed */
		add_mm_rss(mm, -1);
		page_mapcount_dec(page);             /* after fork another mm may still map it */
		/* R2: ...and the page it mapped is freed only after the flush, by the gather. */
		if (__tlb_remove_page(tlb, page)) {
			force_flush = true;
			addr += PAGE_SIZE;
			break;
		}
	}
	/*
	 * R6: the count is exact under the PTE lock we still hold, so "empty"
	 * here is a fact, not a guess. Only a table that this zap emptied is
	 * reclaimed: one that was already empty is a fault's fresh table about
	 * to be filled.
	 */
	if (details && details->reclaim_pt && cleared_any && table->pt_count == 0) {
		reclaimed = reclaim_pt_fast(tlb, pmd, table, table_addr);
		if (!reclaimed)
			*emptied = table;
	}
	pte_unmap_unlock(start_pte, ptl);
	if (reclaimed) {
		/* Unhooked: walkers that mapped it before will fail their R3 recheck. */
		mm_add_pgtable(mm, -1);
		pte_free_tlb(tlb, table, table_addr);
	}
	/* A full batch: flush and free now, outside the PTE lock (the flush waits for IPIs). */
	if (force_flush)
		tlb_flush_mmu(tlb);
	return addr;
}

/*
 * Zap [addr, end), the part of one PMD entry's 2 MiB the zap covers,
 * whatever the entry holds: nothing, a huge PMD (zapped whole if the zap
 * covers all of it, else split first), or a PTE table. With mmap_lock held
 * only for reading the entry may change meanwhile (reclaim, a fault, a
 * collapse), so it is read again until the range is done or it is none.
 */
static void zap_one_pmd(struct mmu_gather *tlb, pmd_t *pmd, unsigned long addr,
			unsigned long end, const struct zap_details *details)
{
	struct page *emptied = NULL;
	unsigned long start = addr;

	while (addr != end) {
		pmd_t pmdval = pmdp_get(pmd);
		if (pmd_none(pmdval))
			break;                /* nothing mapped (any more) */
		if (pmd_trans_huge(pmdval)) {
			if (end - addr == PMD_SIZE) {
				if (zap_huge_pmd(tlb, pmd, addr))
					break;
			} else {
				split_huge_pmd(tlb->mm, pmd, addr);   /* part of it: 4 KiB from here */
			}
			continue;
		}
		addr = zap_pte_range(tlb, pmd, addr, end, details, &emptied);
	}
	/* R6 slow path: the PTE lock was dropped; reclaim_pt_slow trusts nothing seen under it. */
	if (emptied)
		reclaim_pt_slow(tlb, pmd, emptied, start);
}

static void zap_pmd_range(struct mmu_gather *tlb, pud_t *pud, unsigned long addr,
			  unsigned long end, const struct zap_details *details)
{
	pmd_t *pmd = pmd_offset(pud, addr);

	for (unsigned long next; addr != end; pmd++, addr = next) {
		next = pmd_addr_end(addr, end);
		zap_one_pmd(tlb, pmd, addr, next, details);
	}
}

static void zap_pud_range(struct mmu_gather *tlb, pgd_t *pgd, unsigned long addr,
			  unsigned long end, const struct zap_details *details)
{
	pud_t *pud = pud_offset(pgd, addr);

	for (unsigned long next; addr != end; pud++, addr = next) {
		next = pud_addr_end(addr, end);
		if (!pud_none(pudp_get(pud)))
			zap_pmd_range(tlb, pud, addr, next, details);
	}
}

/*
 * Zap every PTE of [addr, end) (page aligned, in user space) into the
 * gather; details may be NULL (munmap, exit: tables go by free_pgtables).
 */
void unmap_page_range(struct mmu_gather *tlb, unsigned long addr, unsigned long end,
		      const struct zap_details *details)
{
	pgd_t *pgd = pgd_offset(tlb->mm, addr);

	for (unsigned long next; addr != end; pgd++, addr = next) {
		next = pgd_addr_end(addr, end);
		if (!pgd_none(pgdp_get(pgd)))
			zap_pud_range(tlb, pgd, addr, next, details);
	}
}

/* Zap the parts of [start, end) that lie in VMAs, starting at vma. mmap_lock held. */
void unmap_vmas(struct mmu_gather *tlb, struct vm_area_struct *vma, unsigned long start,
		unsigned long end)
{
	for (; vma && vma->vm_start < end; vma = vma_next(tlb->mm, vma))
		unmap_page_range(tlb, MAX(start, vma->vm_start), MIN(end, vma->vm_end), NULL);
}

/*
 * MADV_DONTNEED's zap: one range inside one VMA, in a gather of its own.
 * mmap_lock held for reading: faults run meanwhile and take the same PTE
 * locks, so each entry is either zapped or faulted in afresh, never lost;
 * and the PTE tables it empties are reclaimed (R6, ptreclaim=on).
 */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long start, unsigned long size)
{
	struct zap_details details = { .reclaim_pt = reclaim_pt_enabled() };
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, vma->vm_mm);
	unmap_page_range(&tlb, start, start + size, &details);
	tlb_finish_mmu(&tlb);
}

/* --- free_pgtables ----------------------------------------------------------
 *
 * After a range was zapped and its VMAs removed, give back the page tables
 * that now map nothing. A table may go only if the whole span it maps lies
 * in [floor, ceiling): the space between the VMA below the hole (floor: its
 * vm_end, or 0) and the VMA above (ceiling: its vm_start, or 0 for "none").
 * A table whose span reaches a VMA stays, empty parts and all. This is
 * Linux's free_pgd_range, with its rounding at each level.
 *
 * Each table is unhooked under its parent's lock (R1 step 1) and queued on
 * the gather, which frees it after the flush (R1 steps 2 and 3).
 */

static void free_pte_range(struct mmu_gather *tlb, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *ptl = pmd_lock(pmd);          /* R1 step 1: unhook under the parent's lock */
	pmd_t pmdval = pmdp_get(pmd);

	/* The zap before us took every huge PMD of the hole, and its deposit. */
	if (pmd_trans_huge(pmdval))
		panic("free_pgtables: huge PMD %#lx at %#lx still mapped", pmd_val(pmdval), addr);

	/* R4: counted as owed like any other clear, though no fault runs (mmap_lock write) */
	tlb_pmdp_get_and_clear(tlb, pmd, addr);
	spin_unlock(ptl);
	mm_add_pgtable(tlb->mm, -1);
	pte_free_tlb(tlb, pmd_pgtable(pmdval), addr);
}

/* True if the span [start & mask, + size) lies within [floor, ceiling). */
static bool span_free(unsigned long start, unsigned long end, unsigned long mask,
		      unsigned long floor, unsigned long ceiling)
{
	start &= mask;
	if (start < floor)
		return false;
	if (ceiling) {
		ceiling &= mask;
		if (!ceiling)
			return false;
	}
	return end - 1 <= ceiling - 1;    /* ceiling 0 wraps to "no limit" */
}

static void free_pmd_range(struct mmu_gather *tlb, pud_t *pud, unsigned long addr,
			   unsigned long end, unsigned long floor, unsigned long ceiling)
{
	unsigned long start = addr;
	pmd_t *pmd = pmd_offset(pud, addr);

	for (unsigned long next; addr != end; pmd++, addr = next) {
		next = pmd_addr_end(addr, end);
		if (!pmd_none(pmdp_get(pmd)))
			free_pte_range(tlb, pmd, addr);
	}
	if (!span_free(start, end, PUD_MASK, floor, ceiling))
		return;
	start &= PUD_MASK;
	spin_lock(&tlb->mm->page_table_lock);     /* R1 step 1 */
	pud_t pudval = pudp_get(pud);
	pud_clear(pud);
	spin_unlock(&tlb->mm->page_table_lock);
	struct page *pmd_table = phys_to_page(pud_phys(pudval));
	/* Each zap_huge_pmd withdrew its PTE table: one left here would leak with it. */
	if (pmd_table->pmd_huge_pte)
		panic("free_pgtables: PMD table at %#lx leaves with a deposited PTE table", start);
	mm_add_pgtable(tlb->mm, -1);
	pmd_free_tlb(tlb, pmd_table, start);
}

static void free_pud_range(struct mmu_gather *tlb, pgd_t *pgd, unsigned long addr,
			   unsigned long end, unsigned long floor, unsigned long ceiling)
{
	unsigned long start = addr;
	pud_t *pud = pud_offset(pgd, addr);

	for (unsigned long next; addr != end; pud++, addr = next) {
		next = pud_addr_end(addr, end);
		if (!pud_none(pudp_get(pud)))
			free_pmd_range(tlb, pud, addr, next, floor, ceiling);
	}
	if (!span_free(start, end, ~(PGD_SIZE - 1), floor, ceiling))
		return;
	start &= ~(PGD_SIZE - 1);
	spin_lock(&tlb->mm->page_table_lock);     /* R1 step 1 */
	pgd_t pgdval = pgdp_get(pgd);
	pgd_clear(pgd);
	spin_unlock(&tlb->mm->page_table_lock);
	mm_add_pgtable(tlb->mm, -1);
	pud_free_tlb(tlb, phys_to_page(pgd_phys(pgdval)), start);
}

/*
 * Free the page tables of the hole [addr, end) between floor and ceiling
 * (see above). mmap_lock held, for writing (exit) or downgraded to read
 * (munmap), with the hole's VMAs already detached: faults and DONTNEEDs
 * run meanwhile, but only in VMAs, so never in a table freed here; each
 * unhook still takes its parent's lock (R1 step 1), for a fault in a
 * neighbouring VMA may be filling another entry of that parent.
 */
void free_pgtables(struct mmu_gather *tlb, unsigned long addr, unsigned long end,
		   unsigned long floor, unsigned long ceiling)
{
	/* Trim [addr, end) to whole PMD spans (PTE tables) inside [floor, ceiling). */
	addr &= PMD_MASK;
	if (addr < floor) {
		addr += PMD_SIZE;
		if (!addr)
			return;
	}
	if (ceiling) {
		ceiling &= PMD_MASK;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		end -= PMD_SIZE;
	if (addr > end - 1)
		return;
	pgd_t *pgd = pgd_offset(tlb->mm, addr);
	for (unsigned long next; addr != end; pgd++, addr = next) {
		next = pgd_addr_end(addr, end);
		if (!pgd_none(pgdp_get(pgd)))
			free_pud_range(tlb, pgd, addr, next, floor, ceiling);
	}
}
