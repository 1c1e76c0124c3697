/*
 * The life of an address space: mm_create, mmget/mmput (its users),
 * mmgrab/mmdrop (the struct and its PGD); see mm.h.
 * (Linux spreads this over kernel/fork.c's mm_alloc and mm/mmap.c's
 * exit_mmap.)
 */
#include "mm/ptcheck.h"
#include "mm/mm.h"
#include "mm/mmap_lock.h"
#include "arch/x86_64/context.h"
#include "kernel/printk.h"
#include "mm/huge_memory.h"
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
	INIT_LIST_HEAD(&mm->khugepaged_node);
	mm->task_size = TASK_SIZE;
	mm->mmap_base = TASK_SIZE - MMAP_GAP;
	mm->mm_users = 1;                     /* the creator's */
	mm->mm_count = 1;                     /* held by all mm_users together */
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
	mmap_write_unlock(mm);
}

/* The last mm_count reference: the PGD and the struct go. */
static void __mmdrop(struct mm_struct *mm)
{
	if (cpumask_weight(mm_cpumask(mm)))
		panic("__mmdrop: mm %p still loaded on %d CPUs", mm, cpumask_weight(mm_cpumask(mm)));
	pgd_free(mm);
	kfree(mm);
}

void mmgrab(struct mm_struct *mm)
{
	__atomic_fetch_add(&mm->mm_count, 1, __ATOMIC_RELAXED);
}

void mmdrop(struct mm_struct *mm)
{
	if (__atomic_sub_fetch(&mm->mm_count, 1, __ATOMIC_ACQ_REL) == 0)
		__mmdrop(mm);
}

/*
 * The last mm_users reference: nobody uses the address space any more, so
 * its mappings go; the struct and the PGD stay for the mm_count holders.
 */
static void __mmput(struct mm_struct *mm)
{
	khugepaged_exit(mm);                  /* it scans no more; a scan under way, exit_mmap waits for */
	/*
	 * Kernel threads, and threads on their way out (exit_mm), may still
	 * borrow it: its PGD in their CR3, their CPU in its mask. Make them
	 * let go first: nobody can load it again (that takes a thread whose
	 * own mm it is, and each holds mm_users), so from here on no CPU
	 * walks these tables and exit_mmap need flush nobody.
	 */
	shoot_lazy_tlbs(mm);
	if (cpumask_weight(mm_cpumask(mm)))
		panic("mmput: mm %p still loaded on %d CPUs after the lazy ones let go",
		      mm, cpumask_weight(mm_cpumask(mm)));
	exit_mmap(mm);
	ptcheck_mm_exit(mm);
	if (get_mm_rss(mm) || mm_pgtables_bytes(mm) || mm->map_count || get_mm_thp_pmds(mm))
		panic("mmput: left %ld RSS pages, %ld page-table bytes, %d VMAs, %ld huge PMDs",
		      get_mm_rss(mm), mm_pgtables_bytes(mm), mm->map_count, get_mm_thp_pmds(mm));
	mmdrop(mm);                           /* the one mm_count all users held together */
}

void mmget(struct mm_struct *mm)
{
	__atomic_fetch_add(&mm->mm_users, 1, __ATOMIC_RELAXED);
}

void mmput(struct mm_struct *mm)
{
	if (__atomic_sub_fetch(&mm->mm_users, 1, __ATOMIC_ACQ_REL) == 0)
		__mmput(mm);
}
