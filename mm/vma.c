/*
 * The VMA set of an mm: an AVL tree keyed by vm_start for lookups in
 * O(log n), and a list in address order for walking neighbours. Linux used
 * a red-black tree here (before the maple tree); an AVL tree is the same
 * idea -- a binary search tree whose height stays O(log n) by rotating at
 * each change -- with a simpler rule: the two subtrees of every node differ
 * in height by at most one.
 *
 * Every function here runs with mm->mmap_lock held: for writing to change
 * the set, for reading to look. VMAs never overlap, so an in-place change of
 * vm_start or vm_end that stays within the VMA's own old range or the gap
 * next to it (split, merge, brk) cannot break the tree's order.
 */
#include "mm/mm.h"
#include "kernel/printk.h"
#include "mm/slab.h"

/* --- AVL tree ------------------------------------------------------------- */

static int height(const struct vm_area_struct *n)
{
	return n ? n->vm_height : 0;
}

static void update_height(struct vm_area_struct *n)
{
	n->vm_height = 1 + MAX(height(n->vm_left), height(n->vm_right));
}

/* Turn the left child y->vm_left into the subtree's root; returns it. */
static struct vm_area_struct *rotate_right(struct vm_area_struct *y)
{
	struct vm_area_struct *x = y->vm_left;

	y->vm_left = x->vm_right;
	x->vm_right = y;
	update_height(y);
	update_height(x);
	return x;
}

static struct vm_area_struct *rotate_left(struct vm_area_struct *x)
{
	struct vm_area_struct *y = x->vm_right;

	x->vm_right = y->vm_left;
	y->vm_left = x;
	update_height(x);
	update_height(y);
	return y;
}

/*
 * n's subtrees are balanced and differ in height by at most two: restore
 * the AVL rule at n with one or two rotations. Returns the new subtree root.
 */
static struct vm_area_struct *rebalance(struct vm_area_struct *n)
{
	int balance = height(n->vm_left) - height(n->vm_right);

	update_height(n);
	if (balance > 1) {
		if (height(n->vm_left->vm_left) < height(n->vm_left->vm_right))
			n->vm_left = rotate_left(n->vm_left);     /* left-right case */
		return rotate_right(n);
	}
	if (balance < -1) {
		if (height(n->vm_right->vm_right) < height(n->vm_right->vm_left))
			n->vm_right = rotate_right(n->vm_right);  /* right-left case */
		return rotate_left(n);
	}
	return n;
}

static struct vm_area_struct *avl_insert(struct vm_area_struct *root, struct vm_area_struct *new)
{
	if (!root)
		return new;
	if (new->vm_start < root->vm_start)
		root->vm_left = avl_insert(root->vm_left, new);
	else
		root->vm_right = avl_insert(root->vm_right, new);
	return rebalance(root);
}

/* Detach the leftmost node of the subtree into *min; returns the rest. */
static struct vm_area_struct *avl_remove_min(struct vm_area_struct *n, struct vm_area_struct **min)
{
	if (!n->vm_left) {
		*min = n;
		return n->vm_right;
	}
	n->vm_left = avl_remove_min(n->vm_left, min);
	return rebalance(n);
}

static struct vm_area_struct *avl_erase(struct vm_area_struct *root, struct vm_area_struct *vma)
{
	if (!root)
		panic("vma [%#lx, %#lx) is not in its mm's tree", vma->vm_start, vma->vm_end);
	if (vma->vm_start < root->vm_start) {
		root->vm_left = avl_erase(root->vm_left, vma);
	} else if (vma->vm_start > root->vm_start) {
		root->vm_right = avl_erase(root->vm_right, vma);
	} else {
		/* Found (starts are unique). Replace it by its in-order successor. */
		struct vm_area_struct *min;
		if (!root->vm_right)
			return root->vm_left;
		root->vm_right = avl_remove_min(root->vm_right, &min);
		min->vm_left = root->vm_left;
		min->vm_right = root->vm_right;
		root = min;
	}
	return rebalance(root);
}

/* --- Lookups ------------------------------------------------------------ */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *n = mm->vma_root, *found = NULL;

	while (n) {
		if (n->vm_end > addr) {
			found = n;                /* a candidate; a lower one may end above addr too */
			if (n->vm_start <= addr)
				break;            /* addr is inside n: nothing lower can end above it */
			n = n->vm_left;
		} else {
			n = n->vm_right;
		}
	}
	return found;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

struct vm_area_struct *vma_next(struct mm_struct *mm, struct vm_area_struct *vma)
{
	return vma->vm_list.next == &mm->vma_list ? NULL
		: list_entry(vma->vm_list.next, struct vm_area_struct, vm_list);
}

struct vm_area_struct *vma_prev(struct mm_struct *mm, struct vm_area_struct *vma)
{
	return vma->vm_list.prev == &mm->vma_list ? NULL
		: list_entry(vma->vm_list.prev, struct vm_area_struct, vm_list);
}

struct vm_area_struct *find_vma_before(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (!vma)       /* nothing ends above addr: the last VMA, if any */
		return list_empty(&mm->vma_list) ? NULL
			: list_entry(mm->vma_list.prev, struct vm_area_struct, vm_list);
	return vma_prev(mm, vma);
}

/* --- Changing the set (mmap_lock held for writing) ------------------------ */

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm, unsigned long start,
				     unsigned long end, unsigned long flags)
{
	struct vm_area_struct *vma = kzalloc(sizeof(*vma));

	if (!vma)
		return NULL;
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_flags = flags;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->vm_list);
	return vma;
}

void vm_area_free(struct vm_area_struct *vma)
{
	kfree(vma);
}

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = find_vma_before(mm, vma->vm_start);

	vma->vm_left = vma->vm_right = NULL;
	vma->vm_height = 1;
	mm->vma_root = avl_insert(mm->vma_root, vma);
	list_add(&vma->vm_list, prev ? &prev->vm_list : &mm->vma_list);
	mm->map_count++;
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	mm->vma_root = avl_erase(mm->vma_root, vma);
	list_del_init(&vma->vm_list);
	mm->map_count--;
}

/*
 * The page tables need no change: they map addresses, whichever VMA the
 * addresses belong to.
 */
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr)
{
	if (addr <= vma->vm_start || addr >= vma->vm_end || !IS_ALIGNED(addr, PAGE_SIZE))
		panic("split_vma: %#lx not inside [%#lx, %#lx)", addr, vma->vm_start, vma->vm_end);
	struct vm_area_struct *upper = vm_area_alloc(mm, addr, vma->vm_end, vma->vm_flags);
	if (!upper)
		return -ENOMEM;
	vma->vm_end = addr;
	vma_link(mm, upper);
	return 0;
}

/* Two VMAs can become one: they touch, and nothing but their range differs. */
static bool can_merge(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && a->vm_flags == b->vm_flags;
}

struct vm_area_struct *vma_merge_neighbours(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma_next(mm, vma), *prev = vma_prev(mm, vma);

	if (next && can_merge(vma, next)) {
		vma_unlink(mm, next);
		vma->vm_end = next->vm_end;
		vm_area_free(next);
	}
	if (prev && can_merge(prev, vma)) {
		vma_unlink(mm, vma);
		prev->vm_end = vma->vm_end;
		vm_area_free(vma);
		vma = prev;
	}
	return vma;
}

int vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long start,
		     unsigned long end, unsigned long newflags, struct vm_area_struct **out)
{
	int err;

	*out = vma;
	if (vma->vm_flags == newflags)
		return 0;
	if (start > vma->vm_start) {
		if ((err = split_vma(mm, vma, start)))
			return err;
		vma = vma_next(mm, vma);
	}
	if (end < vma->vm_end && (err = split_vma(mm, vma, end)))
		return err;
	vma->vm_flags = newflags;
	*out = vma_merge_neighbours(mm, vma);
	return 0;
}

/* --- Checks, for tests ---------------------------------------------------- */

/*
 * Check the subtree at n: keys within (lo, hi), heights right, balanced.
 * Returns its node count, or -1 at the first violation.
 */
static int check_subtree(const struct vm_area_struct *n, unsigned long lo, unsigned long hi)
{
	if (!n)
		return 0;
	if (n->vm_start < lo || n->vm_start >= hi || n->vm_end <= n->vm_start)
		return -1;
	int l = check_subtree(n->vm_left, lo, n->vm_start);
	int r = check_subtree(n->vm_right, n->vm_end, hi);
	int balance = height(n->vm_left) - height(n->vm_right);
	if (l < 0 || r < 0 || n->vm_height != 1 + MAX(height(n->vm_left), height(n->vm_right)) ||
	    balance > 1 || balance < -1)
		return -1;
	return l + r + 1;
}

int vma_tree_check(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long last_end = 0;
	int n = 0;

	if (check_subtree(mm->vma_root, 0, ~0ul) != mm->map_count)
		return -EINVAL;
	for_each_vma(mm, vma) {
		if (vma->vm_start < last_end || find_vma(mm, vma->vm_start) != vma)
			return -EINVAL;
		last_end = vma->vm_end;
		n++;
	}
	return n == mm->map_count ? 0 : -EINVAL;
}
