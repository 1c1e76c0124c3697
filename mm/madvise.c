/*
 * madvise: advice about a range, with Linux's rules for errors.
 *
 *   MADV_DONTNEED   zap the range: the pages are freed (after the flush)
 *                   and the next touch faults in zeroes. mmap_lock is held
 *                   only for reading, so faults on the mm go on meanwhile;
 *                   each PTE is either zapped or faulted in again under its
 *                   PTE lock, never half of each.
 *   MADV_FREE       the pages may go whenever the kernel likes: here, at
 *                   once, which makes it DONTNEED (a valid MADV_FREE).
 *   MADV_COLLAPSE   make each whole 2 MiB block of the range one huge page
 *                   (mm/khugepaged.c), with mmap_lock held only for reading.
 *   MADV_HUGEPAGE, MADV_NOHUGEPAGE
 *                   allow or refuse huge pages (mm/huge_memory.h): recorded
 *                   in vm_flags (splitting or merging VMAs, and a huge PMD a
 *                   VMA split cuts through), which needs mmap_lock for writing.
 *   MADV_RANDOM, MADV_SEQUENTIAL, MADV_NORMAL
 *                   recorded in vm_flags the same way, and used by nothing.
 *   MADV_WILLNEED   accepted; anonymous memory has nothing to read ahead.
 * Any other advice is EINVAL (Linux knows more kinds; none exists here).
 *
 * A range that is not fully mapped is advised where it is mapped and then
 * refused with ENOMEM, as Linux does.
 */
#include "mm/mm.h"
#include "kernel/fault_inject.h"
#include "kernel/vmstat.h"
#include "mm/mmap_lock.h"
#include "mm/huge_memory.h"
#include "mm/internal.h"

static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTNEED: case MADV_FREE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
	case MADV_COLLAPSE:
		return true;
	default:
		return false;
	}
}

/*
 * Fault injection (point mmap_write_hold; user/tests/vma_lock_race.c): hold
 * an madvise(MADV_NORMAL) inside its mmap_lock write section, before it
 * changes any VMA, until other threads handled MMAP_WRITE_HOLD_FAULTS page
 * faults under their VMA's lock (mm/mmap_lock.h). The events counter proves
 * faults ran while mmap_lock was held for writing; with every fault taking
 * mmap_lock the hold can only time out.
 */
DEFINE_FAULT_INJECT(fi_mmap_write_hold, "mmap_write_hold",
		    "hold an madvise(MADV_NORMAL) with mmap_lock held for writing until "
		    "other threads handled faults under per-VMA locks");
#define MMAP_WRITE_HOLD_FAULTS 8

static bool vma_lock_faults_since(void *arg)
{
	return vm_event_sum(VMA_LOCK_SUCCESS) - *(unsigned long *)arg >= MMAP_WRITE_HOLD_FAULTS;
}

static void madvise_write_meanwhile(void)
{
	if (READ_ONCE(fi_mmap_write_hold.ms)) {
		unsigned long faults = vm_event_sum(VMA_LOCK_SUCCESS);
		fault_inject_hold_until(&fi_mmap_write_hold, vma_lock_faults_since, &faults);
	}
}

/* Advice that changes VMAs needs mmap_lock for writing; zapping needs only reading. */
static bool madvise_need_mmap_write(int behavior)
{
	return behavior != MADV_DONTNEED && behavior != MADV_FREE && behavior != MADV_WILLNEED &&
	       behavior != MADV_COLLAPSE;
}

/* The vm_flags the advice gives a VMA that has flags. */
static unsigned long madvise_new_flags(unsigned long flags, int behavior)
{
	switch (behavior) {
	case MADV_NORMAL:
		return flags & ~(VM_RAND_READ | VM_SEQ_READ);
	case MADV_RANDOM:
		return (flags & ~VM_SEQ_READ) | VM_RAND_READ;
	case MADV_SEQUENTIAL:
		return (flags & ~VM_RAND_READ) | VM_SEQ_READ;
	case MADV_HUGEPAGE:
		return (flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
	case MADV_NOHUGEPAGE:
		return (flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
	default:
		return flags;
	}
}

/*
 * Apply the advice to [start, end), which lies inside vma. Returns the VMA
 * that now ends where the advised part does (merging may change it), in
 * *vmap; 0 or -ENOMEM.
 */
static int madvise_vma(struct vm_area_struct **vmap, unsigned long start, unsigned long end,
		       int behavior)
{
	struct vm_area_struct *vma = *vmap;

	switch (behavior) {
	case MADV_DONTNEED:
	case MADV_FREE:
		zap_page_range_single(vma, start, end - start);
		return 0;
	case MADV_WILLNEED:
		return 0;
	case MADV_COLLAPSE:
		return madvise_collapse(vma, start, end);
	default: {
		int err = vma_modify_flags(vma->vm_mm, vma, start, end,
					   madvise_new_flags(vma->vm_flags, behavior), vmap);
		if (!err && behavior == MADV_HUGEPAGE)
			khugepaged_enter(*vmap);
		return err;
	}
	}
}

/* Visit the VMAs of [start, end) in order (Linux's madvise_walk_vmas). */
static long madvise_walk_vmas(struct mm_struct *mm, unsigned long start, unsigned long end,
			      int behavior)
{
	long unmapped_error = 0;

	while (start < end) {
		struct vm_area_struct *vma = find_vma(mm, start);
		if (!vma)
			return -ENOMEM;           /* nothing mapped from start up */
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM; /* a hole: skip it, fail at the end */
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		unsigned long tmp = MIN(end, vma->vm_end);
		int err = madvise_vma(&vma, start, tmp, behavior);
		if (err)
			return err;
		start = tmp;
	}
	return unmapped_error;
}

long do_madvise(struct mm_struct *mm, unsigned long start, unsigned long len_in, int behavior)
{
	if (!madvise_behavior_valid(behavior))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	unsigned long len = ALIGN_UP(len_in, PAGE_SIZE);
	if (len_in && !len)
		return -EINVAL;                   /* rounded up from a tiny negative to 0 */
	unsigned long end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;

	bool write = madvise_need_mmap_write(behavior);
	if (write) {
		down_write(&mm->mmap_lock);
		if (behavior == MADV_NORMAL)
			madvise_write_meanwhile();   /* fault injection, see above */
	} else
		down_read(&mm->mmap_lock);
	long err = madvise_walk_vmas(mm, start, end, behavior);
	if (write)
		mmap_write_unlock(mm);
	else
		up_read(&mm->mmap_lock);
	return err;
}
