/*
 * Per-VMA locks: the lockless VMA lookup of a page fault, and the VMA
 * lock's two sides. The design, and why, is in mm/mmap_lock.h.
 */
#include "mm/mmap_lock.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "kernel/vmstat.h"

/* Buys: faults that do not wait for mmap/munmap/mprotect in other VMAs (issue 12). */
bool per_vma_lock_enabled = true;
BOOT_OPTION_BOOL("per_vma_lock", per_vma_lock_enabled,
		 "page faults lock only their VMA, not mmap_lock (off: mmap_lock for every fault)");

void vma_start_write(struct vm_area_struct *vma)
{
	unsigned long seq = vma->vm_mm->mm_lock_seq;   /* ours: we hold mmap_lock for writing */

	if (vma->vm_lock_seq == seq)
		return;                       /* already marked in this write section */
	/*
	 * Wait for the faults inside; the mark goes in under vm_lock, so a
	 * fault that gets vm_lock after us is sure to see it.
	 */
	down_write(&vma->vm_lock);
	WRITE_ONCE(vma->vm_lock_seq, seq);
	up_write(&vma->vm_lock);
}

static bool vma_write_locked(struct vm_area_struct *vma)
{
	return READ_ONCE(vma->vm_lock_seq) == READ_ONCE(vma->vm_mm->mm_lock_seq);
}

/*
 * A fault's read lock: never waits. Fails if a writer has marked the VMA
 * (it is changing it now) or holds vm_lock to mark it. The first check only
 * saves a cache-line bounce; the one under vm_lock decides.
 */
static bool vma_start_read(struct vm_area_struct *vma)
{
	if (vma_write_locked(vma))
		return false;
	if (!down_read_trylock(&vma->vm_lock))
		return false;
	if (vma_write_locked(vma)) {
		up_read(&vma->vm_lock);
		return false;
	}
	return true;
}

/*
 * The tree is AVL (height <= 1.44 log2 n): 64 levels hold more VMAs than
 * memory could. A walk that takes more steps is reading a tree torn by a
 * rotation (it could even run in a circle): give up.
 */
#define VMA_WALK_MAX_STEPS 64

/*
 * find_vma() without mmap_lock, inside rcu_read_lock(): every VMA reached
 * is still memory (freed after a grace period), but the tree may change
 * under the walk, so the answer may be wrong or NULL. The caller checks it
 * under the VMA's lock.
 */
static struct vm_area_struct *find_vma_rcu(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *n = READ_ONCE(mm->vma_root);

	for (int steps = 0; n && steps < VMA_WALK_MAX_STEPS; steps++) {
		if (READ_ONCE(n->vm_start) > addr)
			n = READ_ONCE(n->vm_left);
		else if (READ_ONCE(n->vm_end) <= addr)
			n = READ_ONCE(n->vm_right);
		else
			return n;
	}
	return NULL;
}

/*
 * Fault injection (point vma_lock_lookup; user/tests/vma_lock_race.c):
 * hold a fault between the lookup and the VMA's read lock until a writer
 * has marked that VMA and finished its write section -- the window in
 * which an munmap detaches the VMA or an mprotect changes its flags. Only
 * VMAs advised MADV_RANDOM (otherwise recorded only) are held, so a test
 * picks its own.
 */
DEFINE_FAULT_INJECT(fi_vma_lock_lookup, "vma_lock_lookup",
		    "hold a per-VMA-lock fault between its lookup and its read lock, in a "
		    "MADV_RANDOM VMA, until a writer changed that VMA and left");

struct lookup_hold {
	struct vm_area_struct *vma;
	unsigned long seen;               /* vm_lock_seq at the lookup */
};

static bool writer_came_and_went(void *arg)
{
	struct lookup_hold *h = arg;

	return READ_ONCE(h->vma->vm_lock_seq) != h->seen && !vma_write_locked(h->vma);
}

static void lookup_meanwhile(struct vm_area_struct *vma)
{
	if (!READ_ONCE(fi_vma_lock_lookup.ms) || !(READ_ONCE(vma->vm_flags) & VM_RAND_READ))
		return;
	struct lookup_hold h = { vma, READ_ONCE(vma->vm_lock_seq) };
	fault_inject_hold_until(&fi_vma_lock_lookup, writer_came_and_went, &h);
}

struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	rcu_read_lock();                  /* keeps every VMA the walk reaches from being freed */
	vma = find_vma_rcu(mm, addr);
	if (!vma) {
		count_vm_event(VMA_LOCK_MISS);
		goto fail;
	}
	lookup_meanwhile(vma);            /* fault injection, see above */
	if (!vma_start_read(vma)) {
		count_vm_event(VMA_LOCK_ABORT);   /* a writer is changing it */
		goto fail;
	}
	/*
	 * Held still now: only a writer that marked it could have changed it.
	 * Still in the tree, still holding addr? Then it is the VMA for addr.
	 */
	if (READ_ONCE(vma->detached) || addr < vma->vm_start || addr >= vma->vm_end) {
		vma_end_read(vma);
		count_vm_event(VMA_LOCK_RETRY);   /* it moved between the walk and the lock */
		goto fail;
	}
	rcu_read_unlock();                /* our read lock keeps it from being unlinked and freed */
	return vma;
fail:
	rcu_read_unlock();
	return NULL;
}
