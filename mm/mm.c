/*
 * The life of an address space: mm_create, mmget/mmput, mm_destroy.
 * (Linux spreads this over kernel/fork.c's mm_alloc and mm/mmap.c's
 * exit_mmap.)
 */
#include "mm/ptcheck.h"
#include "mm/mm.h"
#include "arch/x86_64/context.h"
#include "kernel/printk.h"
#include "mm/internal.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/tlb.h"

struct mm_struct *mm_create(void)
{
	struct mm_struct *mm = kzalloc(sizeof(*mm));

	if (!mm)
		return NULL;
	if (pgd_alloc(mm)) {
		kfree(mm);
		return NULL;
	}
	init_rwsem(&mm->mmap_lock, "mmap_lock");
	spin_lock_init(&mm->page_table_lock, "page_table_lock");
	INIT_LIST_HEAD(&mm->vma_list);
	mm->task_size = TASK_SIZE;
	mm->mmap_base = TASK_SIZE - MMAP_GAP;
	mm->mm_users = 1;
	return mm;
}

/* Zap everything, free every table below the PGD, free the VMAs. */
static void exit_mmap(struct mm_struct *mm)
{
	struct mmu_gather tlb;
	struct vm_area_struct *vma, *tmp;

	down_write(&mm->mmap_lock);           /* nobody else can hold it; keeps the rules uniform */
	tlb_gather_mmu_fullmm(&tlb, mm);
	if (!list_empty(&mm->vma_list)) {
		vma = list_first_entry(&mm->vma_list, struct vm_area_struct, vm_list);
		unmap_vmas(&tlb, vma, 0, mm->task_size);
	}
	free_pgtables(&tlb, 0, mm->task_size, 0, 0);
	tlb_finish_mmu(&tlb);
	list_for_each_entry_safe(vma, tmp, &mm->vma_list, vm_list) {
		vma_unlink(mm, vma);
		vm_area_free(vma);
	}
	up_write(&mm->mmap_lock);
}

void mm_destroy(struct mm_struct *mm)
{
	if (cpumask_weight(mm_cpumask(mm)))
		panic("mm_destroy: mm %p still loaded on %d CPUs", mm, cpumask_weight(mm_cpumask(mm)));
	exit_mmap(mm);
	ptcheck_mm_exit(mm);
	if (get_mm_rss(mm) || mm_pgtables_bytes(mm) || mm->map_count)
		panic("mm_destroy: left %ld RSS pages, %ld page-table bytes, %d VMAs",
		      get_mm_rss(mm), mm_pgtables_bytes(mm), mm->map_count);
	pgd_free(mm);
	kfree(mm);
}

void mmget(struct mm_struct *mm)
{
	__atomic_fetch_add(&mm->mm_users, 1, __ATOMIC_RELAXED);
}

void mmput(struct mm_struct *mm)
{
	if (__atomic_sub_fetch(&mm->mm_users, 1, __ATOMIC_ACQ_REL))
		return;
	/*
	 * Nobody uses it, but kernel threads may still borrow it (lazy TLB:
	 * its PGD in their CR3, their CPU in its mask). Make them let go
	 * before the PGD is freed.
	 */
	shoot_lazy_tlbs(mm);
	mm_destroy(mm);
}
