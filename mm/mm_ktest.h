/*
 * Helpers for the address-space tests (the mm/ *_test.c files): an mm loaded on this
 * CPU, so that copy_to_user/copy_from_user on its addresses take real page
 * faults through the #PF handler, and leak accounting.
 */
#pragma once
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tlb.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/printk.h"
#include "kernel/rcu.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/pgtable.h"
#include "mm/slab.h"

#define PG PAGE_SIZE
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

/* NR_PAGE_TABLE_PAGES once the tables waiting for their grace period are freed. */
static inline long settled_pgtable_pages(void)
{
	rcu_barrier();
	return vm_state_read(NR_PAGE_TABLE_PAGES);
}

/*
 * Make mm the running thread's address space (use_mm: it stays loaded
 * across context switches); returns the thread's own mm before, for
 * test_unuse_mm.
 */
static inline struct mm_struct *test_use_mm(struct mm_struct *mm)
{
	struct mm_struct *prev = current->mm;
	use_mm(mm);
	return prev;
}

static inline void test_unuse_mm(struct mm_struct *mm, struct mm_struct *prev)
{
	use_mm(prev);
}

/*
 * Unload and drop a test's mm, then give the slab caches' spare slabs
 * back: a later test may count free pages without settling them first.
 */
static inline void test_mm_release(struct mm_struct *mm, struct mm_struct *prev)
{
	test_unuse_mm(mm, prev);
	mmput(mm);
	kmem_cache_shrink_all();
}

/*
 * Has this page-table page died under a reader? Freed (no longer PG_table,
 * or back in the buddy allocator) or poisoned by its RCU callback: no
 * entry of a live table is ever PGTABLE_POISON.
 */
static inline bool pgtable_dead(struct page *table)
{
	const u64 *entry = page_address(table);

	if (!PageTable(table) || PageBuddy(table))
		return true;
	for (int i = 0; i < PTRS_PER_PTE; i++)
		if (READ_ONCE(entry[i]) == PGTABLE_POISON)
			return true;
	return false;
}

/* mmap in mm, asserting nothing: the value or -errno. */
static inline long tmap(struct mm_struct *mm, unsigned long addr, unsigned long len,
			unsigned long prot, unsigned long flags)
{
	return do_mmap(mm, addr, len, prot, flags, -1, 0);
}

/* Write one byte at user address a of the loaded mm: 0 or -EFAULT. */
static inline int poke(unsigned long a, char c)
{
	return copy_to_user((void *)a, &c, 1);
}

/* Read one byte: the byte (0..255) or -EFAULT. */
static inline int peek(unsigned long a)
{
	unsigned char c;
	return copy_from_user(&c, (const void *)a, 1) ? -EFAULT : c;
}

/* The number of VMAs, and the VMA containing addr (NULL if none). */
static inline struct vm_area_struct *vma_at(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	return vma && vma->vm_start <= addr ? vma : NULL;
}
