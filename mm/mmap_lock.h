/*
 * Per-VMA locks: page faults that do not take mm->mmap_lock (Linux 6.4+,
 * lock_vma_under_rcu; simplified).
 *
 * Why. Every mmap, munmap, mprotect and brk takes mmap_lock for writing.
 * With faults taking it for reading, one writer waits for every fault in
 * flight and every new fault queues behind it, in the whole mm -- though the
 * writer only changes one VMA, and the faults are in others. With 4 vCPUs
 * on 2 host cores each of those hand-overs can cost a host time slice
 * (page_fault1, 4 threads: 29% of samples idle, 2.7 s asleep on mmap_lock
 * in 3 s). A fault needs only ITS VMA to hold still: so it locks just that.
 *
 * The pieces:
 *
 *   vma->vm_lock       an rwsem per VMA. A fault takes it for reading, with
 *                      a trylock only: it never sleeps on it (a writer is
 *                      there: fall back to mmap_lock, which waits properly).
 *   vma_start_write()  an mmap_lock writer that is about to change a VMA
 *                      (its range, its flags, its place in the tree, or
 *                      page tables a fault must not see half done) takes
 *                      vm_lock for writing once -- which waits for the faults
 *                      inside -- and marks the VMA write-locked:
 *                      vma->vm_lock_seq = mm->mm_lock_seq.
 *   mm_lock_seq        bumped when mmap_lock's write side is let go
 *                      (mmap_write_unlock, mmap_write_downgrade). That one
 *                      increment unlocks every VMA the writer marked: their
 *                      vm_lock_seq no longer matches. Unlocking is free, and a
 *                      writer never has to remember which VMAs it locked.
 *   vma->detached      set when the VMA leaves the tree (vma_unlink): a fault
 *                      that found it before that sees it and falls back.
 *   RCU                the lookup walks the VMA tree with no lock at all, so
 *                      a VMA it reaches may be being unlinked and freed:
 *                      vm_area_free() waits a grace period (call_rcu), and
 *                      the walk stays inside rcu_read_lock().
 *
 * The lookup (lock_vma_under_rcu, mm/vma.c) may read the tree in the middle
 * of a rotation and get a wrong answer, or none: RCU only promises that
 * what it touches is still memory. So it bounds its steps, and trusts
 * nothing it found until it holds the VMA's read lock; then it checks again,
 * with the VMA held still: not detached, addr inside [vm_start, vm_end).
 * VMAs in the tree never overlap, so an attached VMA holding addr is THE
 * VMA for addr, however the walk got there.
 *
 * Rule for writers: anything that runs with mmap_lock held only for READING
 * was already concurrent with faults and needs nothing new. Everything that
 * changes a VMA does so in mm/vma.c (vma_link, vma_unlink, vma_set_end,
 * vma_modify_flags, merges), and those call vma_start_write(). fork
 * write-locks every VMA of the parent (mm/fork.c: do_wp_page relies on
 * fork being the only source of new page references).
 *
 * per_vma_lock=off (boot option) makes every fault take mmap_lock as before.
 */
#pragma once
#include "mm/mm.h"

extern bool per_vma_lock_enabled;

/* --- The writer's side: mmap_lock held for writing ------------------------ */

/*
 * Mark vma write-locked until mmap_lock's write side is released: wait for
 * the faults that hold it for reading, and keep new ones out.
 */
void vma_start_write(struct vm_area_struct *vma);

/* Every VMA marked by this write section is unlocked by this one increment. */
static inline void vma_end_write_all(struct mm_struct *mm)
{
	WRITE_ONCE(mm->mm_lock_seq, mm->mm_lock_seq + 1);
}

static inline void mmap_write_lock(struct mm_struct *mm)
{
	down_write(&mm->mmap_lock);
}

/* Use these, never up_write / downgrade_write on mmap_lock: they unlock the VMAs too. */
static inline void mmap_write_unlock(struct mm_struct *mm)
{
	vma_end_write_all(mm);
	up_write(&mm->mmap_lock);
}

static inline void mmap_write_downgrade(struct mm_struct *mm)
{
	vma_end_write_all(mm);        /* a reader of mmap_lock changes no VMA */
	downgrade_write(&mm->mmap_lock);
}

/* --- The fault's side ----------------------------------------------------- */

/*
 * The VMA holding addr, read-locked, found without mmap_lock; NULL if that
 * did not work out (no VMA found, a writer on it, it moved): the caller
 * then takes mmap_lock. Counted in /proc/vmstat (vma_lock_*).
 */
struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr);

static inline void vma_end_read(struct vm_area_struct *vma)
{
	up_read(&vma->vm_lock);
}
