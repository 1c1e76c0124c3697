/* Tests of the VMA set (mm/vma.c): the AVL tree, lookups, split and merge. */
#include "kernel/ktest.h"
#include "mm/mmap_lock.h"
#include "mm/mm_ktest.h"

#define NVMAS 200
#define SLOT (3 * PG)                 /* VMA i is [BASE + i*SLOT, +2 pages): gaps between */
#define BASE 0x10000000ul

/* A permutation of 0..n-1 from a fixed multiplier (coprime with n). */
static int perm(int i, int n, int mult)
{
	return (int)(((long)i * mult + 17) % n);
}

/* log2(n+2) * 1.45: the most an AVL tree of n nodes can be high. */
static int avl_max_height(int n)
{
	int lg = 0;
	while ((2 << lg) <= n + 2)
		lg++;
	return lg * 145 / 100 + 2;
}

/* Links VMAs in a scrambled order and unlinks them in another; the tree stays valid. */
KTEST(vma_tree_insert_erase)
{
	struct mm_struct *mm = mm_create();
	struct vm_area_struct *v[NVMAS];

	KT_ASSERT(mm != NULL);
	down_write(&mm->mmap_lock);
	for (int i = 0; i < NVMAS; i++) {
		int k = perm(i, NVMAS, 7);
		v[k] = vm_area_alloc(mm, BASE + k * SLOT, BASE + k * SLOT + 2 * PG, VM_READ);
		KT_ASSERT(v[k] != NULL);
		vma_link(mm, v[k]);
		KT_ASSERT_EQ(vma_tree_check(mm), 0);
	}
	KT_EXPECT_EQ(mm->map_count, NVMAS);
	KT_EXPECT(mm->vma_root->vm_height <= avl_max_height(NVMAS));
	for (int k = 0; k < NVMAS; k++) {
		unsigned long s = BASE + k * SLOT;
		KT_EXPECT(find_vma(mm, s) == v[k]);
		KT_EXPECT(find_vma(mm, s + 2 * PG - 1) == v[k]);
		KT_EXPECT(find_vma(mm, s + 2 * PG) == (k + 1 < NVMAS ? v[k + 1] : NULL)); /* in the gap */
		KT_EXPECT(find_vma_intersection(mm, s + 2 * PG, s + 3 * PG) == NULL);
		KT_EXPECT(find_vma_before(mm, s) == (k ? v[k - 1] : NULL));
	}
	KT_EXPECT(find_vma(mm, 0) == v[0]);
	for (int i = 0; i < NVMAS; i++) {
		int k = perm(i, NVMAS, 13);
		vma_unlink(mm, v[k]);
		vm_area_free(v[k]);
		KT_ASSERT_EQ(vma_tree_check(mm), 0);
		KT_EXPECT(vma_at(mm, BASE + k * SLOT) == NULL);
	}
	KT_EXPECT(mm->vma_root == NULL);
	mmap_write_unlock(mm);
	mmput(mm);
}

/* The VMA count and that [start, end) is exactly one VMA with these flags. */
static bool one_vma(struct mm_struct *mm, unsigned long start, unsigned long end,
		    unsigned long flags)
{
	struct vm_area_struct *vma = vma_at(mm, start);
	return vma && vma->vm_start == start && vma->vm_end == end && vma->vm_flags == flags;
}

/* mprotect of the middle splits in three; putting it back merges to one. */
KTEST(vma_split_merge_mprotect)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	long p = tmap(mm, 0, 8 * PG, RW, ANON);

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT_EQ(do_mprotect(mm, p + 2 * PG, 3 * PG, PROT_READ), 0);
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT(one_vma(mm, p, p + 2 * PG, VM_READ | VM_WRITE));
	KT_EXPECT(one_vma(mm, p + 2 * PG, p + 5 * PG, VM_READ));
	KT_EXPECT(one_vma(mm, p + 5 * PG, p + 8 * PG, VM_READ | VM_WRITE));
	/* Extending the read-only part merges it with the middle. */
	KT_EXPECT_EQ(do_mprotect(mm, p + 5 * PG, PG, PROT_READ), 0);
	KT_EXPECT(one_vma(mm, p + 2 * PG, p + 6 * PG, VM_READ));
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(do_mprotect(mm, p, 8 * PG, RW), 0);
	KT_EXPECT_EQ(mm->map_count, 1);
	KT_EXPECT(one_vma(mm, p, p + 8 * PG, VM_READ | VM_WRITE));
	KT_EXPECT_EQ(vma_tree_check(mm), 0);
	mmput(mm);
}

/* munmap splits; a new adjacent mapping with the same flags merges; other flags do not. */
KTEST(vma_split_merge_mmap)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	long p = tmap(mm, 0, 6 * PG, RW, ANON);

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(do_munmap(mm, p + 2 * PG, 2 * PG), 0);
	KT_EXPECT_EQ(mm->map_count, 2);
	KT_EXPECT(one_vma(mm, p, p + 2 * PG, VM_READ | VM_WRITE));
	KT_EXPECT(one_vma(mm, p + 4 * PG, p + 6 * PG, VM_READ | VM_WRITE));
	KT_EXPECT_EQ(tmap(mm, p + 2 * PG, PG, PROT_READ, ANON | MAP_FIXED), p + 2 * PG);
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(tmap(mm, p + 2 * PG, 2 * PG, RW, ANON | MAP_FIXED), p + 2 * PG);
	KT_EXPECT_EQ(mm->map_count, 1);       /* filled the hole: all one again */
	KT_EXPECT(one_vma(mm, p, p + 6 * PG, VM_READ | VM_WRITE));
	/* madvise flags are VMA flags too: they split and merge the same way. */
	KT_EXPECT_EQ(do_madvise(mm, p + PG, PG, MADV_HUGEPAGE), 0);
	KT_EXPECT(one_vma(mm, p + PG, p + 2 * PG, VM_READ | VM_WRITE | VM_HUGEPAGE));
	KT_EXPECT_EQ(mm->map_count, 3);
	KT_EXPECT_EQ(do_madvise(mm, p + PG, PG, MADV_NOHUGEPAGE), 0);
	KT_EXPECT(one_vma(mm, p + PG, p + 2 * PG, VM_READ | VM_WRITE | VM_NOHUGEPAGE));
	KT_EXPECT_EQ(vma_tree_check(mm), 0);
	mmput(mm);
}
