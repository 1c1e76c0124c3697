/* Calls between the files of mm/ that nothing outside mm/ should make. */
#pragma once
#include "mm/mm.h"

struct mmu_gather;
struct zap_details;

/* What one fault is about, handed down the levels (Linux's struct vm_fault). */
struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long address;            /* page aligned */
	unsigned int flags;               /* FAULT_FLAG_* */
	pmd_t *pmd;
	pte_t orig_pte;                   /* the entry as read without the lock */
	pte_t *pte;                       /* mapped entry, or NULL */
	spinlock_t *ptl;                  /* its PTE lock, when held */
};

/* mm/memory.c: zap the PTEs of [addr, end) into the gather; mmap_lock held. details may be NULL. */
void unmap_page_range(struct mmu_gather *tlb, unsigned long addr, unsigned long end,
		      const struct zap_details *details);
/* Zap the parts of [start, end) inside VMAs, from vma on. */
void unmap_vmas(struct mmu_gather *tlb, struct vm_area_struct *vma, unsigned long start,
		unsigned long end);
/* MADV_DONTNEED: zap [start, start + size) of one VMA in a gather of its own. */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long start, unsigned long size);
/*
 * Free the page tables that map only [addr, end) and the free space around
 * it up to floor (end of the VMA below, or 0) and ceiling (start of the VMA
 * above, or 0: none). mmap_lock held for writing.
 */
void free_pgtables(struct mmu_gather *tlb, unsigned long addr, unsigned long end,
		   unsigned long floor, unsigned long ceiling);
