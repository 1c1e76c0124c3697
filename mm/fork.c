/*
 * fork's address space: a copy of the parent's mm whose anonymous pages are
 * shared copy-on-write (Linux: dup_mmap in kernel/fork.c, copy_page_range
 * in mm/memory.c).
 *
 * The child gets its own VMAs and its own page tables, every level of them,
 * but not its own pages: each present PTE is copied, the page it maps gains
 * a mapping (mapcount, _refcount), and both PTEs -- the parent's and the
 * child's -- are made read-only. The first write on either side then faults,
 * and mm/fault.c (do_wp_page) gives the writer a private copy, or, if the
 * other side has meanwhile let go of the page, the page itself back
 * writable.
 *
 * The walk has one function per level, as in Linux:
 *
 *   dup_mmap -> copy_page_range -> copy_pud_range -> copy_pmd_range
 *            -> copy_pte_range -> copy_present_pte
 *
 * (copy_huge_pmd for a huge PMD: split first, then copied as above.)
 *
 * Locks. The parent's mmap_lock is held for writing throughout, and every
 * VMA of the parent write-locked (a fault holding only its VMA's lock
 * waits, mm/mmap_lock.h): no fault, no MADV_DONTNEED, no reclaim can
 * change the parent's tables, so its upper levels are walked without
 * locks and no PTE table can leave under us (R3 holds trivially;
 * pte_offset_map_lock still rechecks). Each pair of PTE
 * tables is copied under both PTE locks: the child's first (nobody else
 * can know it yet), then the parent's -- the hardware of a CPU running a
 * parent thread still sets accessed and dirty bits, which the atomic
 * write-protect below must not lose.
 *
 * The flush. Write-protecting a parent PTE is not enough: another CPU
 * running a thread of the parent may hold the old, writable translation in
 * its TLB and keep storing through it into the page that is now shared with
 * the child. So after the copy, and before the parent's mmap_lock is
 * released or the child can run, the parent's TLBs are flushed on every CPU
 * that has its mm loaded (dup_mmap). Until then no COW fault can happen
 * (faults need mmap_lock or their VMA's lock), so every write that lands
 * through a stale entry lands before the fork, as seen by both sides.
 */
#include "mm/mm.h"
#include "mm/mmap_lock.h"
#include "arch/x86_64/tlb.h"
#include "kernel/printk.h"
#include "kernel/vmstat.h"
#include "mm/huge_memory.h"
#include "mm/pgtable.h"

/*
 * Clear the RW bit of a live PTE in one atomic operation: a plain
 * read-modify-write could overwrite a dirty bit the hardware of another
 * CPU sets between our load and our store (Linux's ptep_set_wrprotect).
 */
static inline void ptep_set_wrprotect(pte_t *ptep)
{
	__atomic_fetch_and(&ptep->pte, ~_PAGE_RW, __ATOMIC_SEQ_CST);
}

/*
 * Copy one present (or PROT_NONE) PTE. The zero page is shared as it is;
 * an anonymous page gains a mapping and becomes copy-on-write on both
 * sides. Both PTE locks held.
 */
static void copy_present_pte(struct mm_struct *dst_mm, pte_t *dst_pte, pte_t *src_pte)
{
	pte_t pte = ptep_get(src_pte);
	struct page *page = vm_normal_page(pte);

	if (page) {
		get_page(page);
		page_mapcount_inc(page);
		add_mm_rss(dst_mm, 1);
		if (pte_write(pte)) {
			/*
			 * The parent's entry becomes read-only here; CPUs that
			 * cached it writable are flushed at the end of dup_mmap.
			 */
			ptep_set_wrprotect(src_pte);
			pte = pte_wrprotect(pte);
			count_vm_event(FORK_WRPROTECT);
		}
	}
	set_pte(dst_pte, pte);
	pte_table_inc(dst_pte);
}

/* Copy the PTEs of [addr, end), all in the PTE table under src_pmd. 0 or -ENOMEM. */
static int copy_pte_range(struct mm_struct *dst_mm, struct mm_struct *src_mm, pmd_t *dst_pmd,
			  pmd_t *src_pmd, unsigned long addr, unsigned long end)
{
	spinlock_t *dst_ptl, *src_ptl;

	if (pte_alloc(dst_mm, dst_pmd, addr))
		return -ENOMEM;
	pte_t *dst_start = pte_offset_map_lock(dst_mm, dst_pmd, addr, &dst_ptl);
	pte_t *src_start = pte_offset_map_lock(src_mm, src_pmd, addr, &src_ptl);
	if (!dst_start || !src_start)
		panic("copy_pte_range: a PTE table vanished under mmap_lock at %#lx", addr);
	pte_t *dst = dst_start, *src = src_start;

	for (; addr != end; dst++, src++, addr += PAGE_SIZE) {
		if (!pte_none(ptep_get(src)))
			copy_present_pte(dst_mm, dst, src);
	}
	pte_unmap_unlock(src_start, src_ptl);
	pte_unmap_unlock(dst_start, dst_ptl);
	return 0;
}

/*
 * A huge PMD (THP, mm/huge_memory.c) maps 2 MiB with no PTE table below
 * it. Linux shares the huge page copy-on-write (both PMDs write-protected)
 * and splits it at the first write; here the parent's huge PMD is split
 * first (split_huge_pmd: its deposited table takes 512 PTEs for the same
 * pages, after the R4 flush of the 2 MiB translation), and the table is
 * then copied like any other, page by page. So a huge page is never
 * mapped by two mms, and neither THP's fault nor its zap needs to know
 * about sharing. The cost: the parent loses the huge mapping (khugepaged
 * or MADV_COLLAPSE may build it again). No page-table lock is held here,
 * as split_huge_pmd needs; fork's mmap_lock keeps every other split,
 * zap or collapse of this mm away meanwhile.
 */
static void copy_huge_pmd(struct mm_struct *src_mm, pmd_t *src_pmd, unsigned long addr)
{
	split_huge_pmd(src_mm, src_pmd, addr);
	count_vm_event(FORK_SPLIT_PMD);
}

static int copy_pmd_range(struct mm_struct *dst_mm, struct mm_struct *src_mm, pud_t *dst_pud,
			  pud_t *src_pud, unsigned long addr, unsigned long end)
{
	pmd_t *src_pmd = pmd_offset(src_pud, addr);
	pmd_t *dst_pmd = pmd_alloc(dst_mm, dst_pud, addr);

	if (!dst_pmd)
		return -ENOMEM;
	for (unsigned long next; addr != end; src_pmd++, dst_pmd++, addr = next) {
		next = pmd_addr_end(addr, end);
		pmd_t pmdval = pmdp_get(src_pmd);
		if (pmd_none(pmdval))
			continue;
		if (pmd_trans_huge(pmdval))
			copy_huge_pmd(src_mm, src_pmd, addr);
		if (copy_pte_range(dst_mm, src_mm, dst_pmd, src_pmd, addr, next))
			return -ENOMEM;
	}
	return 0;
}

static int copy_pud_range(struct mm_struct *dst_mm, struct mm_struct *src_mm, pgd_t *dst_pgd,
			  pgd_t *src_pgd, unsigned long addr, unsigned long end)
{
	pud_t *src_pud = pud_offset(src_pgd, addr);
	pud_t *dst_pud = pud_alloc(dst_mm, dst_pgd, addr);

	if (!dst_pud)
		return -ENOMEM;
	for (unsigned long next; addr != end; src_pud++, dst_pud++, addr = next) {
		next = pud_addr_end(addr, end);
		if (pud_none(pudp_get(src_pud)))
			continue;
		if (copy_pmd_range(dst_mm, src_mm, dst_pud, src_pud, addr, next))
			return -ENOMEM;
	}
	return 0;
}

/* Copy the page tables of one VMA of src_mm into dst_mm. 0 or -ENOMEM. */
static int copy_page_range(struct mm_struct *dst_mm, struct mm_struct *src_mm,
			   struct vm_area_struct *vma)
{
	unsigned long addr = vma->vm_start, end = vma->vm_end;
	pgd_t *src_pgd = pgd_offset(src_mm, addr), *dst_pgd = pgd_offset(dst_mm, addr);

	for (unsigned long next; addr != end; src_pgd++, dst_pgd++, addr = next) {
		next = pgd_addr_end(addr, end);
		if (pgd_none(pgdp_get(src_pgd)))
			continue;
		if (copy_pud_range(dst_mm, src_mm, dst_pgd, src_pgd, addr, next))
			return -ENOMEM;
	}
	return 0;
}

/* Copy every VMA of oldmm and its page tables into mm (new, empty, not yet used). */
static int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct vm_area_struct *vma;
	int err = 0;

	down_write(&oldmm->mmap_lock);
	down_write(&mm->mmap_lock);           /* nobody else knows mm yet; kept for uniformity */
	mm->mmap_base = oldmm->mmap_base;
	mm->start_brk = oldmm->start_brk;
	mm->brk = oldmm->brk;
	mm->start_stack = oldmm->start_stack;
	/*
	 * No fault in the parent at all from here on, per-VMA lock or not
	 * (mm/mmap_lock.h): its PTEs are write-protected and its pages get the
	 * child's references, and do_wp_page trusts a page_count of 1 because
	 * only fork adds references (mm/fault.c).
	 */
	for_each_vma(oldmm, vma)
		vma_start_write(vma);
	for_each_vma(oldmm, vma) {
		struct vm_area_struct *new = vm_area_alloc(mm, vma->vm_start, vma->vm_end,
							   vma->vm_flags);
		if (!new) {
			err = -ENOMEM;
			break;
		}
		vma_link(mm, new);
		err = copy_page_range(mm, oldmm, vma);
		if (err)
			break;
	}
	/*
	 * The flush the write-protects need (see the top of this file): every
	 * CPU running a thread of the parent drops the writable entries it
	 * may have cached, before any write can fault and copy, and before
	 * the child runs. Done even after a failure: some PTEs were changed.
	 */
	flush_tlb_mm(oldmm);
	mmap_write_unlock(mm);
	mmap_write_unlock(oldmm);
	return err;
}

struct mm_struct *dup_mm(struct mm_struct *oldmm)
{
	struct mm_struct *mm = mm_create();

	if (!mm)
		return NULL;
	if (dup_mmap(mm, oldmm)) {
		mmput(mm);                    /* what was copied is zapped and freed as at exit */
		return NULL;
	}
	return mm;
}
