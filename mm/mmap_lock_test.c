/*
 * Tests of the per-VMA lock's two sides (mm/mmap_lock.c), on one CPU. The
 * races with other threads are user/tests/vma_lock_race.c's.
 */
#include "kernel/ktest.h"
#include "mm/mmap_lock.h"
#include "mm/mm_ktest.h"

#define NV 64
#define SLOT (3 * PG)                 /* VMA i is [BASE + i*SLOT, +2 pages): gaps between */
#define BASE 0x10000000ul

static unsigned long start_of(int i)
{
	return BASE + (unsigned long)i * SLOT;
}

/* An mm with NV VMAs, linked in a scrambled order (rotations), all unlocked. */
static struct mm_struct *mm_with_vmas(struct vm_area_struct **v)
{
	struct mm_struct *mm = mm_create();

	if (!mm)
		return NULL;
	mmap_write_lock(mm);
	for (int i = 0; i < NV; i++) {
		int k = (i * 37 + 5) % NV;
		v[k] = vm_area_alloc(mm, start_of(k), start_of(k) + 2 * PG, VM_READ | VM_WRITE);
		if (!v[k])
			panic("mmap_lock_test: no memory for a VMA");
		vma_link(mm, v[k]);
	}
	mmap_write_unlock(mm);                /* unlocks every VMA vma_link marked */
	return mm;
}

static void mm_free_vmas(struct mm_struct *mm, struct vm_area_struct **v)
{
	mmap_write_lock(mm);
	for (int i = 0; i < NV; i++) {
		vma_unlink(mm, v[i]);
		vm_area_free(v[i]);
	}
	mmap_write_unlock(mm);
	mmput(mm);
}

/* The lockless walk finds what find_vma finds; a gap is a miss, counted. */
KTEST(vma_lock_lookup_finds_each_vma)
{
	struct vm_area_struct *v[NV];
	struct mm_struct *mm = mm_with_vmas(v);

	KT_ASSERT(mm != NULL);
	for (int k = 0; k < NV; k++) {
		struct vm_area_struct *got = lock_vma_under_rcu(mm, start_of(k) + PG);
		KT_EXPECT(got == v[k]);
		if (got)
			vma_end_read(got);
		unsigned long miss = vm_event_sum(VMA_LOCK_MISS);
		KT_EXPECT(lock_vma_under_rcu(mm, start_of(k) + 2 * PG) == NULL);   /* the gap */
		KT_EXPECT_EQ(vm_event_sum(VMA_LOCK_MISS) - miss, 1);
	}
	mm_free_vmas(mm, v);
}

/*
 * A VMA a writer marked refuses faults until the write section ends;
 * the other VMAs do not (what the per-VMA lock is for).
 */
KTEST(vma_lock_write_locked_vma_refused)
{
	struct vm_area_struct *v[NV];
	struct mm_struct *mm = mm_with_vmas(v);

	KT_ASSERT(mm != NULL);
	mmap_write_lock(mm);
	vma_start_write(v[1]);
	unsigned long abort = vm_event_sum(VMA_LOCK_ABORT);
	KT_EXPECT(lock_vma_under_rcu(mm, start_of(1)) == NULL);
	KT_EXPECT_EQ(vm_event_sum(VMA_LOCK_ABORT) - abort, 1);
	struct vm_area_struct *other = lock_vma_under_rcu(mm, start_of(2));
	KT_EXPECT(other == v[2]);             /* while mmap_lock is held for writing */
	if (other)
		vma_end_read(other);
	mmap_write_unlock(mm);
	struct vm_area_struct *got = lock_vma_under_rcu(mm, start_of(1));
	KT_EXPECT(got == v[1]);               /* unlocked by mm_lock_seq++, nothing else */
	if (got)
		vma_end_read(got);
	mm_free_vmas(mm, v);
}

/*
 * A walk that meets a tree torn into a cycle (as a rotation seen half-done
 * could look) gives up after a bounded number of steps: a miss, not a hang.
 */
KTEST(vma_lock_lookup_survives_a_cycle)
{
	struct vm_area_struct *v[NV];
	struct mm_struct *mm = mm_with_vmas(v);

	KT_ASSERT(mm != NULL);
	mmap_write_lock(mm);
	struct vm_area_struct *lowest = mm->vma_root;
	while (lowest->vm_left)
		lowest = lowest->vm_left;
	lowest->vm_left = mm->vma_root;       /* below BASE: left, left, ... round again */
	KT_EXPECT(lock_vma_under_rcu(mm, BASE - PG) == NULL);
	lowest->vm_left = NULL;
	mmap_write_unlock(mm);
	mm_free_vmas(mm, v);
}
