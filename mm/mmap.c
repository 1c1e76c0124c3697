/*
 * mmap, munmap and brk for anonymous private memory, with Linux's rules and
 * errors (the order of the checks is Linux's too, so a call that breaks two
 * rules gets the same errno).
 *
 * Placement is Linux's top-down layout without randomization: a new mapping
 * goes in the highest gap below mm->mmap_base that fits, or above it if
 * nothing below does. The gap search, unmapped_area_topdown() in mm/vma.c,
 * is O(log n): the VMA tree keeps the largest gap of each subtree, as
 * Linux's did.
 *
 * MAP_SHARED|MAP_ANONYMOUS is refused with ENODEV (the errno Linux gives a
 * mapping its backing object cannot provide). Linux backs it with a shmem
 * object so that the pages outlive MADV_DONTNEED and are shared across
 * fork; treating it as private would silently break both, and there is no
 * shmem here yet.
 */
#include "mm/mm.h"
#include "mm/mmap_lock.h"
#include "kernel/fault_inject.h"
#include "kernel/printk.h"
#include "kernel/vmstat.h"
#include "mm/huge_memory.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/tlb.h"

static unsigned long calc_vm_flags(unsigned long prot, unsigned long flags)
{
	unsigned long vm_flags = 0;

	if (prot & PROT_READ)
		vm_flags |= VM_READ;
	if (prot & PROT_WRITE)
		vm_flags |= VM_WRITE;
	if (prot & PROT_EXEC)
		vm_flags |= VM_EXEC;
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	return vm_flags;
}

/* The highest free [a, a + len): below mmap_base, else above it, as Linux falls back. 0: none. */
static unsigned long place_topdown(struct mm_struct *mm, unsigned long len)
{
	unsigned long addr = unmapped_area_topdown(mm, len, MMAP_MIN_ADDR, mm->mmap_base);

	return addr ? addr : unmapped_area_topdown(mm, len, mm->mmap_base, mm->task_size);
}

/*
 * The highest free [a, a + len) with a on a PMD boundary; 0: none. The
 * search asks for len + PMD_SIZE, so whatever gap it finds holds an
 * aligned start too: the highest is the PMD boundary at or below
 * gap top - len, and the padded answer is gap top - len - PMD_SIZE. (Asking
 * for len and then looking for room to align in the gap found would miss
 * gaps that fit len only unaligned, and make the search O(n).)
 */
static unsigned long place_topdown_pmd_aligned(struct mm_struct *mm, unsigned long len)
{
	unsigned long addr = place_topdown(mm, len + PMD_SIZE);

	return addr ? ALIGN_DOWN(addr + PMD_SIZE, PMD_SIZE) : 0;
}

/*
 * Where a mapping of len bytes goes: the hint addr if the range there is
 * free, else the top-down search. Linux's get_unmapped_area for the
 * non-MAP_FIXED case. Returns the address or -ENOMEM.
 *
 * Without a hint, a mapping whose length is a whole number of PMDs starts
 * on a PMD boundary when there is room (Linux 6.7's THP alignment of
 * anonymous mappings, limited to such lengths in 6.12; a static program on
 * Linux 6.18 gets 16 MiB mappings 2 MiB aligned and packed top-down,
 * 16 MiB + 4 KiB ones not aligned). Then every 2 MiB of it can be a huge
 * page from the first fault (thp=always, MADV_HUGEPAGE) and khugepaged
 * finds whole blocks to collapse, and each of its PTE tables is its own,
 * shared with no neighbour. (Speed: page_fault1's 16 MiB mappings fault no
 * faster, 4 alternating boots each, with 4 KiB pages.)
 */
static long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	if (len > mm->task_size - MMAP_MIN_ADDR)
		return -ENOMEM;
	if (addr) {
		addr = ALIGN_DOWN(addr, PAGE_SIZE);
		if (addr <= mm->task_size - len && !find_vma_intersection(mm, addr, addr + len))
			return addr;
	} else if (len % PMD_SIZE == 0 && (addr = place_topdown_pmd_aligned(mm, len))) {
		return addr;
	}
	addr = place_topdown(mm, len);
	return addr ? (long)addr : -ENOMEM;
}

/* The argument checks of mmap, in Linux's order; 0 or -errno. *len is page aligned on return. */
static long mmap_check(struct mm_struct *mm, unsigned long addr, unsigned long *len,
		       unsigned long flags, unsigned long off)
{
	if (off & ~PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return -EBADF;                /* a file mapping, and there are no files */
	if (!*len)
		return -EINVAL;
	*len = ALIGN_UP(*len, PAGE_SIZE);
	if (!*len)
		return -ENOMEM;               /* wrapped: longer than the address space */
	if (*len > mm->task_size)
		return -ENOMEM;
	if (flags & MAP_FIXED) {
		if (addr > mm->task_size - *len)
			return -ENOMEM;
		if (addr & ~PAGE_MASK)
			return -EINVAL;
		if (addr < MMAP_MIN_ADDR)
			return -EPERM;
	}
	return 0;
}

/*
 * Linux's default overcommit policy (vm.overcommit_memory=0, "heuristic"):
 * memory that will be written and is not MAP_NORESERVE is refused at once
 * only when one request is larger than all of RAM (there is no swap here)
 * -- it could never be backed. Anything smaller is promised, and if the
 * pages then run out the OOM killer (mm/oom_kill.c) settles it.
 */
int vm_enough_memory(unsigned long pages)
{
	return pages > totalram_pages() ? -ENOMEM : 0;
}

/* Does a mapping with these flags count against the overcommit policy? */
static bool accountable_mapping(unsigned long vm_flags)
{
	return (vm_flags & (VM_NORESERVE | VM_WRITE)) == VM_WRITE;
}

/*
 * Map [addr, addr + len) with vm_flags, replacing whatever is there (the
 * caller checked MAP_FIXED_NOREPLACE). mmap_lock held for writing. Returns
 * addr or -ENOMEM; on failure nothing changed.
 */
static long mmap_region(struct mm_struct *mm, unsigned long addr, unsigned long len,
			unsigned long vm_flags)
{
	if (accountable_mapping(vm_flags) && vm_enough_memory(len >> PAGE_SHIFT))
		return -ENOMEM;
	struct vm_area_struct *vma = vm_area_alloc(mm, addr, addr + len, vm_flags);
	long err;

	if (!vma)
		return -ENOMEM;
	/* MAP_FIXED: out with the old, keeping the write lock until the new VMA is in. */
	if ((err = __do_munmap(mm, addr, len, false))) {
		vm_area_free(vma);
		return err;
	}
	vma_link(mm, vma);
	khugepaged_enter(vma_merge_neighbours(mm, vma));
	return addr;
}

/*
 * MAP_POPULATE. A page that cannot be had stops it, and mmap succeeds
 * anyway, as Linux's does; but a real shortage calls the OOM killer first
 * (Linux's allocator would), so a populate of more than there is kills
 * the process holding the most memory -- most likely this one.
 */
static void mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end = start + len;
	int err = 0;

	down_read(&mm->mmap_lock);
	for (struct vm_area_struct *vma = find_vma(mm, start); vma && vma->vm_start < end && !err;
	     vma = vma_next(mm, vma))
		err = populate_vma_range(vma, MAX(start, vma->vm_start), MIN(end, vma->vm_end));
	up_read(&mm->mmap_lock);
	if (err == -ENOMEM)
		out_of_memory();
}

long do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, long fd, unsigned long off)
{
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	long ret = mmap_check(mm, addr, &len, flags, off);
	if (ret)
		return ret;

	down_write(&mm->mmap_lock);
	if (!(flags & MAP_FIXED)) {
		if (addr && addr < MMAP_MIN_ADDR)
			addr = MMAP_MIN_ADDR;     /* Linux's round_hint_to_min */
		ret = get_unmapped_area(mm, addr, len);
	} else if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len)) {
		ret = -EEXIST;
	} else {
		ret = addr;
	}
	/* Linux looks at the map type only once the address is settled. */
	if (ret >= 0 && (flags & MAP_TYPE) == MAP_SHARED)
		ret = -ENODEV;                /* shared anonymous memory: see the top of the file */
	else if (ret >= 0 && (flags & MAP_TYPE) != MAP_PRIVATE)
		ret = -EINVAL;
	if (ret >= 0)
		ret = mmap_region(mm, ret, len, calc_vm_flags(prot, flags));
	mmap_write_unlock(mm);
	if (ret >= 0 && (flags & MAP_POPULATE))
		mm_populate(mm, ret, len);
	return ret;
}

/*
 * Remove [start, end) from the VMA set: split the VMAs that straddle either
 * end, then unlink those inside. They are returned on *detached (linked by
 * vm_list) for the caller to zap and free. 0 or -ENOMEM (nothing changed
 * but perhaps a harmless split).
 */
static int detach_vmas(struct mm_struct *mm, unsigned long start, unsigned long end,
		       struct list_head *detached)
{
	struct vm_area_struct *vma = find_vma(mm, start), *next;
	int err;

	if (!vma || vma->vm_start >= end)
		return 0;
	if (vma->vm_start < start) {
		if ((err = split_vma(mm, vma, start)))
			return err;
		vma = vma_next(mm, vma);
	}
	struct vm_area_struct *last = find_vma(mm, end - 1);
	if (last && last->vm_start < end && last->vm_end > end && (err = split_vma(mm, last, end)))
		return err;
	for (; vma && vma->vm_start < end; vma = next) {
		next = vma_next(mm, vma);
		vma_unlink(mm, vma);
		list_add_tail(&vma->vm_list, detached);
	}
	return 0;
}

/*
 * Fault injection for the downgrade's test (mm/mmap_test.c:
 * munmap_zaps_under_read_lock sets it itself): hold a munmap that has
 * downgraded mmap_lock, its gather open, before the zap, until
 * MUNMAP_HOLD_FAULTS page faults were handled meanwhile -- on this
 * machine, by other threads of the mm, in VMAs other than the detached
 * ones (a fault in those finds no VMA and is not counted in pgfault). The
 * hold's events counter is the proof that faults ran while this munmap
 * held the lock: with the lock still held for writing the hold can only
 * time out.
 */
DEFINE_FAULT_INJECT(fi_munmap_downgraded, "munmap_downgraded",
		    "hold a munmap after it downgraded mmap_lock, gather open, before the zap, "
		    "until other threads handled page faults");
#define MUNMAP_HOLD_FAULTS 8

void (*munmap_downgraded_hook)(struct mm_struct *mm);

static bool faults_since(void *arg)
{
	return vm_event_sum(PGFAULT) - *(unsigned long *)arg >= MUNMAP_HOLD_FAULTS;
}

/* The test hooks above, where a downgraded munmap runs beside faults. */
static void munmap_meanwhile(struct mm_struct *mm)
{
	if (READ_ONCE(fi_munmap_downgraded.ms)) {   /* fault injection, see above */
		unsigned long faults = vm_event_sum(PGFAULT);
		fault_inject_hold_until(&fi_munmap_downgraded, faults_since, &faults);
	}
	if (munmap_downgraded_hook)
		munmap_downgraded_hook(mm);          /* a test's "meanwhile" */
}

/*
 * Zap the detached VMAs and free the page tables of the hole they leave
 * between prev and next; then free the VMAs. mmap_lock held, for writing
 * or (downgraded) for reading -- and then let go here, after the TLB
 * flush, before the pages are freed: the VMAs are out of the tree, so nothing
 * that finds its way by VMA (a fault, DONTNEED, a collapse) can reach
 * [floor, ceiling), and the VMA set cannot change until we unlock. So
 * the gather is a detached one (mm/tlb.h): no fault elsewhere owes it a
 * flush (R4), nor another gather (R7).
 */
static void unmap_detached(struct mm_struct *mm, struct list_head *detached,
			   unsigned long start, unsigned long end, unsigned long floor,
			   unsigned long ceiling, bool downgraded)
{
	struct vm_area_struct *vma, *tmp;
	struct mmu_gather tlb;

	tlb_gather_mmu_detached(&tlb, mm);
	if (downgraded)
		munmap_meanwhile(mm);
	list_for_each_entry(vma, detached, vm_list)
		unmap_page_range(&tlb, vma->vm_start, vma->vm_end, NULL);
	free_pgtables(&tlb, start, end, floor, ceiling);
	if (downgraded) {
		/*
		 * Flush while the read lock still keeps the hole empty: once we
		 * let go, an mmap may put a VMA there and a fault populate its
		 * PMDs, which R4 allows only after this flush. What is left --
		 * freeing the gathered pages, queueing the tables for their grace
		 * period -- needs no lock: nothing can reach them. Buys: a munmap
		 * of 16 MiB spent most of its read-locked time freeing 4096 pages,
		 * and every mmap of another thread slept behind it (page_fault1,
		 * 2 threads, -smp 2: mmap_lock asleep 692 -> 63 ms in 3 s,
		 * 525 k -> 585 k faults/s).
		 */
		tlb_flush_mmu_tlbonly(&tlb);
		up_read(&mm->mmap_lock);
	}
	tlb_finish_mmu(&tlb);
	list_for_each_entry_safe(vma, tmp, detached, vm_list)
		vm_area_free(vma);
}

/*
 * Why the zap may run under the read lock (Linux's mmap_write_downgrade in
 * do_vmi_align_munmap): the write lock is needed to change the VMA set,
 * not to take the mappings of VMAs nobody can find any more. Faults in
 * other VMAs then run during the zap, the free_pgtables and the TLB
 * flush, instead of sleeping on mmap_lock. What the read lock still
 * guarantees: no VMA appears, moves or grows until we let go (each needs
 * the write lock; there are no grows-down stacks here, which in Linux
 * could grow into the hole under the read lock and made it refuse to
 * downgrade next to one), so floor and ceiling stay true and free_pgtables
 * frees only tables no VMA overlaps (mm/memory.c has the rule for walkers).
 */
long __do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len, bool downgrade)
{
	unsigned long end = start + len;
	LIST_HEAD(detached);

	int err = detach_vmas(mm, start, end, &detached);
	if (err || list_empty(&detached))
		return err;
	/* The hole now reaches from prev's end to next's start: its tables may go. */
	struct vm_area_struct *prev = find_vma_before(mm, start);
	struct vm_area_struct *next = find_vma(mm, end);
	unsigned long floor = prev ? prev->vm_end : 0, ceiling = next ? next->vm_start : 0;

	if (downgrade) {
		/* Buys: faults elsewhere in the mm run during the zap and flush (issue 12). */
		mmap_write_downgrade(mm);
		count_vm_event(MMAP_LOCK_DOWNGRADE);
	}
	unmap_detached(mm, &detached, start, end, floor, ceiling, downgrade);
	return downgrade;
}

/* Let go of mmap_lock unless __do_munmap(..., true) already did (ret 1: it downgraded). */
static void munmap_unlock(struct mm_struct *mm, long ret)
{
	if (ret != 1)
		mmap_write_unlock(mm);
}

long do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	if ((start & ~PAGE_MASK) || start > mm->task_size || len > mm->task_size - start)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len)
		return -EINVAL;
	down_write(&mm->mmap_lock);
	long ret = __do_munmap(mm, start, len, true);
	munmap_unlock(mm, ret);
	return ret < 0 ? ret : 0;
}

/*
 * Shrink the heap to brk, unmapping [newbrk, oldbrk). mmap_lock held for
 * writing on entry, let go on return. mm->brk moves first, while we still
 * write: once the munmap downgrades, readers (/proc/PID/maps names the
 * heap by it) see the new break with the VMA set it goes with.
 */
static unsigned long brk_shrink(struct mm_struct *mm, unsigned long brk, unsigned long newbrk,
				unsigned long oldbrk)
{
	unsigned long old = mm->brk;

	mm->brk = brk;
	long ret = __do_munmap(mm, newbrk, oldbrk - newbrk, true);
	if (ret < 0)
		mm->brk = old;                /* no memory to split: unchanged, lock still written */
	munmap_unlock(mm, ret);
	return ret < 0 ? old : brk;
}

/*
 * Grow the heap from oldbrk to newbrk (page aligned): a new VMA that merges
 * with the heap's VMA below. Linux keeps a guard page free below the next
 * mapping. 0 or -ENOMEM.
 */
static long brk_expand(struct mm_struct *mm, unsigned long oldbrk, unsigned long newbrk)
{
	if (newbrk > mm->task_size || find_vma_intersection(mm, oldbrk, newbrk + PAGE_SIZE))
		return -ENOMEM;
	if (vm_enough_memory((newbrk - oldbrk) >> PAGE_SHIFT))
		return -ENOMEM;
	struct vm_area_struct *vma = vm_area_alloc(mm, oldbrk, newbrk, VM_READ | VM_WRITE);
	if (!vma)
		return -ENOMEM;
	vma_link(mm, vma);
	khugepaged_enter(vma_merge_neighbours(mm, vma));
	return 0;
}

long do_brk(struct mm_struct *mm, unsigned long brk)
{
	down_write(&mm->mmap_lock);
	unsigned long ret = mm->brk;
	unsigned long oldbrk = ALIGN_UP(mm->brk, PAGE_SIZE), newbrk = ALIGN_UP(brk, PAGE_SIZE);

	if (brk < mm->start_brk || newbrk < brk)
		goto out;                     /* below the heap's start, or absurd: unchanged */
	if (newbrk == oldbrk)
		ret = brk;                    /* within the same last page */
	else if (brk < mm->brk)           /* shrinking always works (given memory to split) */
		return brk_shrink(mm, brk, newbrk, oldbrk);
	else
		ret = brk_expand(mm, oldbrk, newbrk) ? mm->brk : brk;
	mm->brk = ret;
out:
	mmap_write_unlock(mm);
	return ret;
}
