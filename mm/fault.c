/*
 * The page-fault path: demand paging of anonymous private memory.
 *
 *   read fault, PTE none     map the shared zero page, read-only
 *   write fault, PTE none    map a new zeroed page, writable
 *   write fault, read-only   zero page: copy it (a new zeroed page) and map
 *                            that writable (copy-on-write from the zero page);
 *                            a page shared with another mm since fork: copy
 *                            it and map the copy writable (cow_fault);
 *                            a page nobody else holds any more: make it
 *                            writable in place (cow_reuse; also a page
 *                            mprotect left read-only)
 *
 * Locks: the faulting VMA's own lock for reading (mm/mmap_lock.h), or when
 * that cannot be had mmap_lock for reading (so faults on one mm run in
 * parallel with each other and with MADV_DONTNEED; with the VMA lock, also
 * with mmap, munmap and mprotect of other VMAs), page_table_lock only to populate a PGD/PUD
 * entry, the PMD lock only to install a PTE table, and otherwise only the
 * PTE lock of the one table being changed. No global lock: threads faulting
 * in different PTE tables do not touch a common lock.
 *
 * Huge pages (THP) come first, at the PMD level: mm/huge_memory.c.
 *
 * The pattern at the PTE level, as in Linux: read the entry without the lock
 * to decide what to do, do the slow part (allocate, zero) unlocked, then
 * take the PTE lock and check the entry is still what was read. If not,
 * another CPU got there first: undo and return 0; the access is retried and
 * finds the entry the winner installed.
 */
#include "mm/mm.h"
#include "arch/x86_64/tlb.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/fault_inject.h"
#include "kernel/vmstat.h"
#include "mm/huge_memory.h"
#include "mm/internal.h"
#include "mm/mmap_lock.h"
#include "mm/pgtable.h"

/* The zero page: in the kernel image's .bss, so it is zero and reserved for good. */
u8 empty_zero_page[PAGE_SIZE] __aligned(PAGE_SIZE);

u64 vm_get_page_prot(unsigned long vm_flags)
{
	if (!(vm_flags & VM_ACCESS_FLAGS))
		return PAGE_NONE;
	/* x86 cannot map write-only or execute-only: both imply read. */
	return vm_flags & VM_EXEC ? PAGE_USER_RX : PAGE_USER_RO;
}

struct page *vm_normal_page(pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);

	if (pfn == zero_pfn())
		return NULL;
	if (!pfn_valid(pfn))
		panic("user PTE %#lx maps pfn %#lx beyond RAM", pte_val(pte), pfn);
	return pfn_to_page(pfn);
}

/* A new page for user memory, zeroed (what an anonymous page starts as). */
static struct page *alloc_zeroed_user_page(void)
{
	struct page *page = alloc_page();

	if (page)
		memset(page_address(page), 0, PAGE_SIZE);
	return page;
}

/* The entry for our own anonymous page: writable and dirty (a write fault made it). */
static pte_t mk_anon_pte(struct vm_area_struct *vma, struct page *page)
{
	pte_t entry = pfn_pte(page_to_pfn(page), vm_get_page_prot(vma->vm_flags));
	return pte_mkdirty(pte_mkwrite(entry));
}

/*
 * The PTE is none. A read maps the zero page; a write maps a new page.
 * The PTE table is made first if there is none (pmd_install).
 */
static int do_anonymous_page(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	struct page *page = NULL;
	pte_t entry;

	if (pte_alloc(mm, vmf->pmd, vmf->address))
		return -ENOMEM;
	if (vmf->flags & FAULT_FLAG_WRITE) {
		page = alloc_zeroed_user_page();   /* unlocked: zeroing takes a while */
		if (!page)
			return -ENOMEM;
		/* x86 keeps stores in order: the zeroes are visible before the PTE is. */
		entry = mk_anon_pte(vmf->vma, page);
	} else {
		entry = pfn_pte(zero_pfn(), vm_get_page_prot(vmf->vma->vm_flags));
	}
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte || !pte_none(ptep_get(vmf->pte))) {
		/* Lost a race: another CPU mapped it (or the table went). Retry the access. */
		if (vmf->pte)
			pte_unmap_unlock(vmf->pte, vmf->ptl);
		if (page)
			__free_page(page);
		return 0;
	}
	if (page) {
		page->mapcount = 1;
		add_mm_rss(mm, 1);
		WRITE_ONCE(vmf->vma->anon_vma, true);
	}
	set_pte(vmf->pte, entry);
	pte_table_inc(vmf->pte);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/* The new page of a COW fault: zeroed for the zero page, else a copy of old. */
static struct page *cow_new_page(struct page *old)
{
	if (!old)
		return alloc_zeroed_user_page();
	struct page *page = alloc_page();
	if (page)
		memcpy(page_address(page), page_address(old), PAGE_SIZE);
	return page;
}

/*
 * Give the faulting mm a private, writable copy of what vmf->pte maps:
 * the zero page (old NULL) or a page shared with another mm. Called with
 * the PTE lock held; returns with it released.
 */
static int wp_page_copy(struct vm_fault *vmf, struct page *old)
{
	struct mm_struct *mm = vmf->vma->vm_mm;

	if (old)
		get_page(old);                /* ours while we copy it without the lock */
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	/* Nobody writes old meanwhile: every PTE that maps it is read-only and flushed. */
	struct page *page = cow_new_page(old);
	int ret = page ? 0 : -ENOMEM;
	if (!page)
		goto out;
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte || !pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		if (vmf->pte)
			pte_unmap_unlock(vmf->pte, vmf->ptl);
		__free_page(page);
		goto out;                     /* changed meanwhile: retry the access */
	}
	/*
	 * Clear the old entry and flush it everywhere before the new one goes
	 * in (Linux's ptep_clear_flush): otherwise another thread's CPU could
	 * go on reading the old page through a cached translation after this
	 * one wrote the new page. The flush waits for other CPUs with this PTE
	 * lock held; that is safe because every CPU that spins on a PTE lock
	 * does so with interrupts on, so it answers the IPI.
	 */
	ptep_get_and_clear(vmf->pte);
	flush_tlb_mm_range(mm, vmf->address, vmf->address + PAGE_SIZE, PAGE_SHIFT, false);
	page->mapcount = 1;
	set_pte(vmf->pte, mk_anon_pte(vmf->vma, page));
	if (old) {
		/* R2: the old page loses this mapping only now, after the flush. */
		page_mapcount_dec(old);
		__free_page(old);             /* this mapping's reference; the other mm keeps its own */
		count_vm_event(COW_FAULT);
	} else {
		add_mm_rss(mm, 1);            /* the zero page was not counted */
	}
	WRITE_ONCE(vmf->vma->anon_vma, true);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
out:
	if (old)
		__free_page(old);             /* the reference taken for the copy */
	return ret;
}

/*
 * A write to a present, read-only entry of a writable VMA; PTE lock held,
 * released on return. The zero page is copied. An anonymous page is
 * reused in place if this mapping is all that holds it (_refcount 1: the
 * other side of a fork has copied or unmapped it, or mprotect left it
 * read-only); otherwise another mm still maps it and this one copies it.
 * The refcount is stable enough to trust here: a new reference could
 * only come from a fork of this mm, which holds mmap_lock for writing and
 * write-locks every VMA (so no fault, per-VMA lock or not, runs meanwhile).
 */
static int do_wp_page(struct vm_fault *vmf)
{
	struct page *page = vm_normal_page(vmf->orig_pte);

	if (!page || page_count(page) != 1)
		return wp_page_copy(vmf, page);
	set_pte(vmf->pte, pte_mkdirty(pte_mkwrite(vmf->orig_pte)));
	count_vm_event(COW_REUSE);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;           /* an upgrade: stale read-only TLB entries just fault again */
}

static int handle_pte_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;

	/* Peek at the entry without the lock (R3: pte_offset_map), to choose a path. */
	vmf->pte = pte_offset_map(vmf->pmd, vmf->address, NULL);
	vmf->orig_pte = vmf->pte ? ptep_get(vmf->pte) : __pte(0);
	if (vmf->pte)
		pte_unmap(vmf->pte);
	if (pte_none(vmf->orig_pte))
		return do_anonymous_page(vmf);

	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return 0;
	if (!pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return 0;                     /* changed under us: retry the access */
	}
	if (!pte_present(vmf->orig_pte)) {
		/* protnone in a VMA that allows the access: mprotect left them out of step */
		panic("fault at %#lx: PTE %#lx is PROT_NONE in VMA flags %#lx", vmf->address,
		      pte_val(vmf->orig_pte), vmf->vma->vm_flags);
	}
	if ((vmf->flags & FAULT_FLAG_WRITE) && !pte_write(vmf->orig_pte))
		return do_wp_page(vmf);
	/*
	 * The entry allows the access already: another CPU fixed it first, or
	 * our TLB held an older entry. x86 drops the faulting translation when
	 * it raises #PF, so retrying is all there is to do.
	 */
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

int __handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_fault vmf = { .vma = vma, .address = addr & PAGE_MASK, .flags = flags };

	count_vm_event(PGFAULT);
	pud_t *pud = pud_alloc(mm, pgd_offset(mm, addr), addr);
	if (!pud)
		return -ENOMEM;
	vmf.pmd = pmd_alloc(mm, pud, addr);
	if (!vmf.pmd)
		return -ENOMEM;
	/*
	 * The PMD level first (mm/huge_memory.h): a none entry in an eligible
	 * 2 MiB block takes a huge page; a huge entry is handled whole. One
	 * that changes after this read is found by the next access's fault:
	 * handle_pte_fault gets no table for a huge PMD and returns to retry.
	 */
	pmd_t pmdval = pmdp_get(vmf.pmd);
	if (pmd_none(pmdval) && thp_vma_allowable(vma) && thp_vma_suitable(vma, addr)) {
		int ret = do_huge_pmd_anonymous_page(&vmf);
		if (ret != THP_FALLBACK)
			return ret;
	} else if (pmd_trans_huge(pmdval)) {
		return do_huge_pmd_fault(&vmf);
	}
	return handle_pte_fault(&vmf);
}

/* Does the VMA forbid this access? (x86: write and exec imply read.) */
static bool access_error(const struct vm_area_struct *vma, unsigned int flags)
{
	if (flags & FAULT_FLAG_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (flags & FAULT_FLAG_INSTRUCTION)
		return !(vma->vm_flags & VM_EXEC);
	return !(vma->vm_flags & VM_ACCESS_FLAGS);
}

/*
 * Out of memory in a fault (Linux's VM_FAULT_OOM): the OOM killer picks a
 * victim if memory really is short. A user access is then retried -- if
 * this thread was the victim it dies on its way back to user mode, else it
 * finds the memory the victim gave back, or (an injected failure) simply
 * tries again, as Linux's pagefault_out_of_memory() does. A kernel access
 * (a uaccess copy) fails instead: the system call returns EFAULT.
 */
static int fault_oom(unsigned int flags)
{
	out_of_memory();
	return flags & FAULT_FLAG_USER ? 0 : -ENOMEM;
}

/*
 * Fault injection (point vma_lock_held; user/tests/vma_lock_race.c): hold a
 * fault that holds its VMA's read lock, in a VMA advised MADV_SEQUENTIAL
 * (otherwise recorded only), until an mmap_lock writer waits for that lock
 * in vma_start_write(). The events counter proves the writer waited.
 */
DEFINE_FAULT_INJECT(fi_vma_lock_held, "vma_lock_held",
		    "hold a fault holding its VMA's read lock, in a MADV_SEQUENTIAL VMA, "
		    "until a writer waits for that lock");

static bool vma_writer_waits(void *arg)
{
	struct vm_area_struct *vma = arg;

	return READ_ONCE(vma->vm_lock.count) & RWSEM_WAITERS;
}

static void vma_lock_held_meanwhile(struct vm_area_struct *vma)
{
	if (READ_ONCE(fi_vma_lock_held.ms) && (vma->vm_flags & VM_SEQ_READ))
		fault_inject_hold_until(&fi_vma_lock_held, vma_writer_waits, vma);
}

/*
 * The fast path (mm/mmap_lock.h): the fault holds only its VMA's lock, so
 * it runs while mmap, munmap or mprotect change other VMAs. True if the
 * fault was handled so, its result in *err; false: take mmap_lock. Only
 * user faults, as in Linux: a uaccess fault may come from a caller that
 * holds mmap_lock already.
 */
static bool fault_under_vma_lock(struct mm_struct *mm, unsigned long addr, unsigned int flags,
				 int *err)
{
	if (!READ_ONCE(per_vma_lock_enabled) || !(flags & FAULT_FLAG_USER))
		return false;
	struct vm_area_struct *vma = lock_vma_under_rcu(mm, addr);
	if (!vma)
		return false;
	/* vm_flags checked only now: before the lock, an mprotect could still change them. */
	if (access_error(vma, flags)) {
		vma_end_read(vma);
		count_vm_event(VMA_LOCK_MISS);    /* the mmap_lock path sends the signal */
		return false;
	}
	vma_lock_held_meanwhile(vma);         /* fault injection, see above */
	*err = __handle_mm_fault(vma, addr, flags);
	vma_end_read(vma);
	count_vm_event(VMA_LOCK_SUCCESS);
	return true;
}

int handle_mm_fault(struct mm_struct *mm, unsigned long addr, unsigned int flags)
{
	int err = -EFAULT;

	if (!mm || addr >= mm->task_size)
		return -EFAULT;               /* kernel space, or no user address space */
	if (fault_under_vma_lock(mm, addr, flags, &err))
		return err == -ENOMEM ? fault_oom(flags) : err;
	down_read(&mm->mmap_lock);            /* lock order 1; the PTE lock (4) comes later */
	struct vm_area_struct *vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr && !access_error(vma, flags))
		err = __handle_mm_fault(vma, addr, flags);
	up_read(&mm->mmap_lock);
	return err == -ENOMEM ? fault_oom(flags) : err;   /* the OOM killer may sleep */
}

int mm_fault_from_trap(struct mm_struct *mm, unsigned long cr2, u64 error_code, bool user)
{
	unsigned int flags = user ? FAULT_FLAG_USER : 0;

	if (error_code & X86_PF_RSVD)
		panic("#PF at %#lx with a reserved bit set: a corrupted page table", cr2);
	if (error_code & X86_PF_WRITE)
		flags |= FAULT_FLAG_WRITE;
	if (error_code & X86_PF_INSTR)
		flags |= FAULT_FLAG_INSTRUCTION;
	return handle_mm_fault(mm, cr2, flags);
}

int populate_vma_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	/* A writable mapping is populated for writing (own pages), else for reading (zero page). */
	unsigned int flags = vma->vm_flags & VM_WRITE ? FAULT_FLAG_WRITE : 0;

	if (!(vma->vm_flags & VM_ACCESS_FLAGS))
		return 0;                     /* PROT_NONE: nothing to fault in */
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
		pte_t pte = mm_get_pte(vma->vm_mm, addr);
		if (pte_present(pte) && (!flags || pte_write(pte)))
			continue;             /* already there, as an access would need it */
		int err = __handle_mm_fault(vma, addr, flags);
		if (err)
			return err;           /* out of memory: the caller decides */
	}
	return 0;
}
