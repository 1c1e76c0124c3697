/*
 * mprotect: give a range new access rights. The VMAs are split where the
 * range begins and ends inside one and merged again where neighbours end up
 * alike (vma_modify_flags); then every PTE already in the range is rewritten
 * under its PTE lock, and the entries that changed are flushed from every
 * CPU's TLB before mprotect returns (an mmu_gather with no pages in it).
 *
 * mmap_lock is held for writing throughout, and each VMA changed is
 * write-locked (vma_modify_flags, mm/mmap_lock.h), so no fault runs in the
 * range meanwhile: a CPU that faults on it waits for mmap_lock and then
 * sees the new VMA flags and PTEs together. Faults in other VMAs go on:
 * one in a neighbour sharing a 2 MiB slot with the range may turn a none
 * PMD into a PTE table, which holds no entry of ours to change. (Nor can
 * any PMD of ours change meaning meanwhile: reclaim and collapse need
 * mmap_lock too; only the hardware's A/D bits move.)
 */
#include "mm/mm.h"
#include "mm/mmap_lock.h"
#include "mm/huge_memory.h"
#include "mm/pgtable.h"
#include "mm/tlb.h"

/*
 * Rewrite the PTEs of [addr, end), all in the table pmd points to, to the
 * protection of vma's flags. Pages this mapping alone holds become
 * writable at once where the VMA is writable (there is nobody to copy them
 * for); the zero page and pages shared copy-on-write since a fork never
 * do, so that a write still faults and copies them (mm/fault.c).
 */
static void change_pte_range(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmd,
			     unsigned long addr, unsigned long end)
{
	u64 newprot = vm_get_page_prot(vma->vm_flags);
	bool writable = vma->vm_flags & VM_WRITE;
	spinlock_t *ptl;
	pte_t *start_pte = pte_offset_map_lock(vma->vm_mm, pmd, addr, &ptl), *pte = start_pte;

	if (!pte)
		return;
	for (; addr != end; pte++, addr += PAGE_SIZE) {
		pte_t old = ptep_get(pte);
		if (pte_none(old))
			continue;
		/* Cleared while rewritten, so no dirty bit the hardware sets meanwhile is lost. */
		old = ptep_get_and_clear(pte);
		pte_t new = pte_modify(old, newprot);
		struct page *page = vm_normal_page(old);
		if (writable && pte_present(new) && page && page_count(page) == 1)
			new = pte_mkwrite(new);
		set_pte(pte, new);
		if (!pte_same(old, new))
			tlb_flush_pte_range(tlb, addr, PAGE_SIZE);   /* stale on other CPUs until the flush */
	}
	pte_unmap_unlock(start_pte, ptl);
}

/*
 * A huge PMD is changed whole if the range covers it, else split first (a
 * VMA split at the range's ends has normally done that already).
 */
static void change_pmd_range(struct mmu_gather *tlb, struct vm_area_struct *vma, pud_t *pud,
			     unsigned long addr, unsigned long end)
{
	pmd_t *pmd = pmd_offset(pud, addr);

	for (unsigned long next; addr != end; pmd++, addr = next) {
		next = pmd_addr_end(addr, end);
		pmd_t pmdval = pmdp_get(pmd);
		if (pmd_trans_huge(pmdval)) {
			if (next - addr == PMD_SIZE && change_huge_pmd(tlb, vma, pmd, addr))
				continue;
			split_huge_pmd(vma->vm_mm, pmd, addr);
		}
		if (!pmd_none(pmdval))
			change_pte_range(tlb, vma, pmd, addr, next);
	}
}

static void change_pud_range(struct mmu_gather *tlb, struct vm_area_struct *vma, pgd_t *pgd,
			     unsigned long addr, unsigned long end)
{
	pud_t *pud = pud_offset(pgd, addr);

	for (unsigned long next; addr != end; pud++, addr = next) {
		next = pud_addr_end(addr, end);
		if (!pud_none(pudp_get(pud)))
			change_pmd_range(tlb, vma, pud, addr, next);
	}
}

/* Bring the PTEs of [addr, end), inside vma, in line with vma's flags. */
static void change_protection(struct mmu_gather *tlb, struct vm_area_struct *vma,
			      unsigned long addr, unsigned long end)
{
	pgd_t *pgd = pgd_offset(vma->vm_mm, addr);

	for (unsigned long next; addr != end; pgd++, addr = next) {
		next = pgd_addr_end(addr, end);
		if (!pgd_none(pgdp_get(pgd)))
			change_pud_range(tlb, vma, pgd, addr, next);
	}
}

/* [start, end) lies inside vma: give it newflags, VMAs and PTEs. 0 or -ENOMEM. */
static int mprotect_fixup(struct mmu_gather *tlb, struct vm_area_struct *vma,
			  unsigned long start, unsigned long end, unsigned long newflags)
{
	if (vma->vm_flags == newflags)
		return 0;                     /* the PTEs already agree with the flags */
	int err = vma_modify_flags(vma->vm_mm, vma, start, end, newflags, &vma);
	if (!err)
		change_protection(tlb, vma, start, end);
	return err;
}

/*
 * Apply prot to the VMAs of [start, end) from the bottom up. As in Linux a
 * hole stops the walk with ENOMEM, the VMAs below it already changed.
 */
static long mprotect_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			   unsigned long prot)
{
	unsigned long want = (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
			     (prot & PROT_EXEC ? VM_EXEC : 0);
	struct mmu_gather tlb;
	long err = 0;

	tlb_gather_mmu(&tlb, mm);
	for (unsigned long addr = start; addr < end && !err;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			err = -ENOMEM;            /* addr is not mapped */
			break;
		}
		unsigned long vend = MIN(end, vma->vm_end);
		err = mprotect_fixup(&tlb, vma, addr, vend, (vma->vm_flags & ~VM_ACCESS_FLAGS) | want);
		addr = vend;
	}
	tlb_finish_mmu(&tlb);                 /* flush what changed before returning */
	return err;
}

/*
 * Linux's order (do_mprotect_pkey): both grow flags at once is EINVAL, then
 * alignment, a zero length (nothing to do), a range that wraps (ENOMEM),
 * unknown bits (EINVAL); a single grow flag is looked at with the VMAs:
 * nothing here grows down or up, so it is ENOMEM over a hole, else EINVAL.
 */
long do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long prot)
{
	unsigned long grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);

	prot &= ~grows;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len || start + len <= start)
		return -ENOMEM;
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	down_write(&mm->mmap_lock);
	long err;
	if (grows) {
		struct vm_area_struct *vma = find_vma(mm, start);
		err = vma && vma->vm_start < start + len ? -EINVAL : -ENOMEM;
	} else {
		err = mprotect_range(mm, start, start + len, prot);
	}
	mmap_write_unlock(mm);
	return err;
}
