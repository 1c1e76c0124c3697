/*
 * The VMA set of an mm: an AVL tree keyed by vm_start for lookups in
 * O(log n), and a list in address order for walking neighbours. Linux used
 * a red-black tree here (before the maple tree); an AVL tree is the same
 * idea -- a binary search tree whose height stays O(log n) by rotating at
 * each change -- with a simpler rule: the two subtrees of every node differ
 * in height by at most one.
 *
 * Every function here runs with mm->mmap_lock held: for writing to change
 * the set, for reading to look. One reader comes without it: a page fault's
 * lock_vma_under_rcu() (mm/mmap_lock.c), which trusts nothing it reads here
 * until it holds the VMA's own lock. For it, every function below that
 * changes a VMA write-locks that VMA first (vma_start_write), and a VMA is
 * freed only after a grace period. (Its walk reads the child pointers while
 * rotations rewrite them: each is one aligned word, stored whole on x86-64,
 * so the walk sees the old pointer or the new one, never a torn one.)
 *
 * VMAs never overlap, so an in-place change of vm_start or vm_end that
 * stays within the VMA's own old range or the gap next to it (split,
 * merge) cannot break the tree's order -- but it changes a gap the tree
 * keeps count of, so it goes through vma_set_end().
 */
#include "mm/mm.h"
#include "kernel/printk.h"
#include "mm/huge_memory.h"
#include "mm/mmap_lock.h"
#include "mm/slab.h"

/* --- AVL tree, augmented with the largest gap of each subtree ------------ */

/*
 * Each node also stores a summary of its subtree, vm_subtree_gap: the
 * largest free gap below any VMA in it. Like the height, it is a function
 * of the node and its two children only,
 *
 *	subtree_gap(n) = max(gap below n, subtree_gap(left), subtree_gap(right)),
 *
 * so whatever recomputes the height bottom-up after a change (insert,
 * erase, a rotation) recomputes the gap in the same step, at no extra cost
 * in O(). This is Linux's augmented rbtree (rb_subtree_gap, before the
 * maple tree); unmapped_area_topdown() below is why it pays.
 */

static int height(const struct vm_area_struct *n)
{
	return n ? n->vm_height : 0;
}

static unsigned long subtree_gap(const struct vm_area_struct *n)
{
	return n ? n->vm_subtree_gap : 0;
}

/* The VMA before vma in address order, or NULL: read from the list. */
static struct vm_area_struct *list_prev_vma(struct vm_area_struct *vma)
{
	return vma->vm_list.prev == &vma->vm_mm->vma_list ? NULL
		: list_entry(vma->vm_list.prev, struct vm_area_struct, vm_list);
}

/*
 * Where the free gap below vma starts: the end of the VMA before it, or 0
 * (the lowest address a VMA can have) for the first. The list is the
 * truth here, so a change must reach the list before the tree recomputes
 * its summaries (vma_link, vma_unlink).
 */
static unsigned long vma_gap_start(struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = list_prev_vma(vma);

	return prev ? prev->vm_end : 0;
}

/* Recompute n's summaries of its subtree from its children's: height and gap. */
static void update_node(struct vm_area_struct *n)
{
	n->vm_height = 1 + MAX(height(n->vm_left), height(n->vm_right));
	n->vm_subtree_gap = MAX(n->vm_start - vma_gap_start(n),
				MAX(subtree_gap(n->vm_left), subtree_gap(n->vm_right)));
}

/*
 * Turn the left child y->vm_left into the subtree's root; returns it. Only
 * y and x get new children, so only they are recomputed: y first, as it is
 * now x's child.
 */
static struct vm_area_struct *rotate_right(struct vm_area_struct *y)
{
	struct vm_area_struct *x = y->vm_left;

	y->vm_left = x->vm_right;
	x->vm_right = y;
	update_node(y);
	update_node(x);
	return x;
}

static struct vm_area_struct *rotate_left(struct vm_area_struct *x)
{
	struct vm_area_struct *y = x->vm_right;

	x->vm_right = y->vm_left;
	y->vm_left = x;
	update_node(x);
	update_node(y);
	return y;
}

/*
 * n's subtrees are balanced and differ in height by at most two: restore
 * the AVL rule at n with one or two rotations, and recompute n's
 * summaries. Returns the new subtree root.
 */
static struct vm_area_struct *rebalance(struct vm_area_struct *n)
{
	int balance = height(n->vm_left) - height(n->vm_right);

	update_node(n);
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

/*
 * The gap below vma changed (the VMA before it moved its end, or vma its
 * start): recompute the summaries on the path from the root down to vma,
 * bottom-up. Those are the only subtrees that contain vma. O(log n).
 */
static void gap_update_path(struct vm_area_struct *n, struct vm_area_struct *vma)
{
	if (!n)
		panic("vma [%#lx, %#lx) is not in its mm's tree", vma->vm_start, vma->vm_end);
	if (vma->vm_start < n->vm_start)
		gap_update_path(n->vm_left, vma);
	else if (vma->vm_start > n->vm_start)
		gap_update_path(n->vm_right, vma);
	update_node(n);
}

/*
 * Why insert and erase need nothing more: each changes the gap of one
 * other VMA, the one after the VMA inserted or erased (its successor).
 * On insert, the new node is a leaf, so its successor is an ancestor: on
 * the path that avl_insert() recomputes on its way back up. On erase, the
 * successor is either an ancestor (on the path again) or the leftmost node
 * of the right subtree, which avl_remove_min() detaches and rebalance()
 * recomputes in the erased node's place.
 */
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

/* --- Free gaps: top-down placement --------------------------------------- */

/* What unmapped_area_topdown() looks for: len bytes inside [low, high). */
struct gap_request {
	unsigned long len, low, high;
};

/*
 * The highest a with [a, a + len) inside both [start, end) and the
 * request's [low, high); 0 if there is none.
 */
static unsigned long fit_in(unsigned long start, unsigned long end, const struct gap_request *req)
{
	unsigned long bottom = MAX(start, req->low), top = MIN(end, req->high);

	return top > bottom && top - bottom >= req->len ? top - req->len : 0;
}

/*
 * The highest fitting address in the gaps of the subtree n, all of which
 * lie inside the window [lo, hi); 0 if none fits.
 *
 * Gaps in address order are the in-order walk of the tree, so the highest
 * fitting one is found by trying, at each node: the right subtree (higher
 * gaps), then the gap below the node itself, then the left subtree. Two
 * tests skip a subtree without entering it:
 *   - its largest gap is smaller than len: no gap in it can hold the request;
 *   - its window has no room for len inside [low, high): wholly above
 *     high or below low, or touching them too little.
 *
 * Why that is O(log n): the windows of a node's right subtree, own gap and
 * left subtree are disjoint pieces of its own window. So at each depth at
 * most two windows cross low or high, and the search fails inside at most
 * those: 2 paths from the root. A subtree whose window lies wholly inside
 * [low, high) is clamped by neither, so there the first test is exact: if
 * its largest gap holds len, a fitting gap is in it, and one walk down (into
 * the right subtree when its largest gap holds len, else this node's gap,
 * else the left subtree) finds it without ever coming back up. Without the
 * stored gaps, the first test could not be made, and the search would have
 * to look at every gap: O(n) per mmap, O(n^2) for n of them.
 */
static unsigned long gap_search(struct vm_area_struct *n, unsigned long lo, unsigned long hi,
				const struct gap_request *req)
{
	if (!n || n->vm_subtree_gap < req->len || !fit_in(lo, hi, req))
		return 0;
	unsigned long gap_start = vma_gap_start(n);
	unsigned long addr = gap_search(n->vm_right, n->vm_end, hi, req);
	if (!addr)
		addr = fit_in(gap_start, n->vm_start, req);
	if (!addr)
		addr = gap_search(n->vm_left, lo, gap_start, req);
	return addr;
}

/*
 * Linux's top-down search. The gap above the last VMA belongs to no node
 * (gaps are stored below each VMA), so it is tried on its own, first: it
 * is the highest.
 */
unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long len, unsigned long low,
				    unsigned long high)
{
	struct gap_request req = { .len = len, .low = low, .high = high };
	struct vm_area_struct *last;

	if (high < low || high - low < len)
		return 0;
	if (list_empty(&mm->vma_list))
		return fit_in(0, mm->task_size, &req);
	last = list_entry(mm->vma_list.prev, struct vm_area_struct, vm_list);
	unsigned long addr = fit_in(last->vm_end, mm->task_size, &req);
	return addr ? addr : gap_search(mm->vma_root, 0, last->vm_start, &req);
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
	init_rwsem(&vma->vm_lock, "vm_lock");
	vma->vm_lock_seq = ~0ul;          /* matches no mm_lock_seq: not write-locked */
	vma->detached = true;             /* not in the tree yet */
	return vma;
}

static void vm_area_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct vm_area_struct, vm_rcu));
}

/*
 * After a grace period: a fault's lock_vma_under_rcu() may have reached
 * this VMA through the tree just before it was unlinked, and still be
 * reading it (or trying its vm_lock) inside rcu_read_lock().
 */
void vm_area_free(struct vm_area_struct *vma)
{
	call_rcu(&vma->vm_rcu, vm_area_free_rcu);
}

/* The list first: the tree reads the gaps from it as it rebalances. */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = find_vma_before(mm, vma->vm_start);

	vma_start_write(vma);             /* a fault finding it waits until the writer is done */
	WRITE_ONCE(vma->detached, false);
	list_add(&vma->vm_list, prev ? &prev->vm_list : &mm->vma_list);
	vma->vm_left = vma->vm_right = NULL;
	update_node(vma);
	mm->vma_root = avl_insert(mm->vma_root, vma);
	mm->map_count++;
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	vma_start_write(vma);             /* waits for the faults inside it */
	WRITE_ONCE(vma->detached, true);  /* what a fault that found it before checks */
	list_del_init(&vma->vm_list);
	mm->vma_root = avl_erase(mm->vma_root, vma);
	mm->map_count--;
}

/*
 * Move vma's end in place (split, merge). The gap below the next VMA
 * changes with it, so the summaries above that VMA are recomputed. The new
 * end must not cross the next VMA's start.
 */
static void vma_set_end(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long end)
{
	struct vm_area_struct *next = vma_next(mm, vma);

	vma_start_write(vma);
	vma->vm_end = end;
	if (next)
		gap_update_path(mm->vma_root, next);
}

/*
 * The page tables need no change: they map addresses, whichever VMA the
 * addresses belong to.
 */
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr)
{
	if (addr <= vma->vm_start || addr >= vma->vm_end || !IS_ALIGNED(addr, PAGE_SIZE))
		panic("split_vma: %#lx not inside [%#lx, %#lx)", addr, vma->vm_start, vma->vm_end);
	vma_start_write(vma);             /* before the huge PMD split: no fault in it meanwhile */
	struct vm_area_struct *upper = vm_area_alloc(mm, addr, vma->vm_end, vma->vm_flags);
	if (!upper)
		return -ENOMEM;
	upper->anon_vma = vma->anon_vma;
	split_huge_pmd_address(vma, addr);    /* no huge PMD may cross a VMA boundary */
	vma_set_end(mm, vma, addr);       /* the next VMA's gap grows for a moment... */
	vma_link(mm, upper);              /* ...and shrinks back: upper ends where vma did */
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
		vma_start_write(vma);
		vma->anon_vma |= next->anon_vma;
		vma_unlink(mm, next);
		vma_set_end(mm, vma, next->vm_end);
		vm_area_free(next);
	}
	if (prev && can_merge(prev, vma)) {
		vma_start_write(prev);
		prev->anon_vma |= vma->anon_vma;
		vma_unlink(mm, vma);
		vma_set_end(mm, prev, vma->vm_end);
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
	vma_start_write(vma);             /* a fault checks vm_flags under its read lock */
	vma->vm_flags = newflags;
	*out = vma_merge_neighbours(mm, vma);
	return 0;
}

/* --- Checks, for tests ---------------------------------------------------- */

/* n's stored summaries are what its children's and the list give. */
static bool summaries_right(struct vm_area_struct *n)
{
	unsigned long gap = MAX(n->vm_start - vma_gap_start(n),
				MAX(subtree_gap(n->vm_left), subtree_gap(n->vm_right)));

	return n->vm_height == 1 + MAX(height(n->vm_left), height(n->vm_right)) &&
	       n->vm_subtree_gap == gap;
}

/*
 * Check the subtree at n: keys within (lo, hi), heights and gaps right,
 * balanced. Returns its node count, or -1 at the first violation.
 */
static int check_subtree(struct vm_area_struct *n, unsigned long lo, unsigned long hi)
{
	if (!n)
		return 0;
	if (n->vm_start < lo || n->vm_start >= hi || n->vm_end <= n->vm_start)
		return -1;
	int l = check_subtree(n->vm_left, lo, n->vm_start);
	int r = check_subtree(n->vm_right, n->vm_end, hi);
	int balance = height(n->vm_left) - height(n->vm_right);
	if (l < 0 || r < 0 || !summaries_right(n) || balance > 1 || balance < -1)
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
