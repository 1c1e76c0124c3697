/*
 * Transparent huge pages: the fault, the deposit, zap, mprotect and split
 * of a huge PMD (the protocol is in huge_memory.h; MADV_COLLAPSE is in
 * mm/khugepaged.c).
 */
#include "mm/huge_memory.h"
#include "arch/x86_64/tlb.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/internal.h"
#include "mm/pgtable.h"
#include "mm/ptcheck.h"
#include "mm/tlb.h"

enum thp_mode { THP_NEVER, THP_MADVISE, THP_ALWAYS };

static const char *const thp_mode_names[] = {
	[THP_NEVER] = "never", [THP_MADVISE] = "madvise", [THP_ALWAYS] = "always",
};

static const char *thp_option = "madvise";
BOOT_OPTION_STR("thp", thp_option,
		"always|madvise|never: which VMAs take huge pages on a fault (default madvise)");
static enum thp_mode thp_mode = THP_MADVISE;

/*
 * The huge zero page: 2 MiB of zeroes that every read fault in an eligible
 * block maps read-only, so reading costs no memory (Linux's, with
 * use_zero_page=1). Allocated once at boot and never freed; without it (no
 * order-9 block at boot) a read fault allocates a huge page of its own.
 */
static struct page *huge_zero_page;

static bool is_huge_zero_pmd(pmd_t pmd)
{
	return huge_zero_page && pmd_pfn(pmd) == page_to_pfn(huge_zero_page);
}

void thp_init(void)
{
	huge_zero_page = alloc_pages(HPAGE_PMD_ORDER);
	if (huge_zero_page)
		memset(page_address(huge_zero_page), 0, PMD_SIZE);
	for (unsigned int i = 0; i < ARRAY_SIZE(thp_mode_names); i++) {
		if (!strcmp(thp_option, thp_mode_names[i])) {
			thp_mode = i;
			return;
		}
	}
	printk("thp: unknown mode '%s' (known: always, madvise, never): madvise\n", thp_option);
}

bool thp_mode_always(void)
{
	return thp_mode == THP_ALWAYS;
}

bool thp_vma_allowable(const struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return false;
	return thp_mode == THP_ALWAYS || (thp_mode == THP_MADVISE && (vma->vm_flags & VM_HUGEPAGE));
}

bool thp_vma_suitable(const struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long haddr = addr & PMD_MASK;

	return haddr >= vma->vm_start && haddr + PMD_SIZE <= vma->vm_end;
}

void thp_account(struct mm_struct *mm, long pmds)
{
	__atomic_fetch_add(&mm->anon_thp_pmds, pmds, __ATOMIC_RELAXED);
	mod_vm_state(NR_ANON_THPS, pmds);
}

pmd_t mk_huge_pmd(const struct vm_area_struct *vma, struct page *page)
{
	pmd_t entry = pmd_mkdirty(pfn_pmd(page_to_pfn(page), vm_get_page_prot(vma->vm_flags)));
	return vma->vm_flags & VM_WRITE ? pmd_mkwrite(entry) : entry;
}

/*
 * The deposit (Linux's pgtable_trans_huge_deposit/withdraw): a stack of PTE
 * tables in the PMD table's struct page, one per huge PMD of that table,
 * linked through their own pmd_huge_pte. Any table will do for any huge
 * PMD: each is fresh and empty. PMD lock held.
 */
void pgtable_trans_huge_deposit(pmd_t *pmd, struct page *table)
{
	struct page *pmd_table = virt_to_page(pmd);

	table->pmd_huge_pte = pmd_table->pmd_huge_pte;
	pmd_table->pmd_huge_pte = table;
}

static struct page *pgtable_trans_huge_withdraw(pmd_t *pmd)
{
	struct page *pmd_table = virt_to_page(pmd);
	struct page *table = pmd_table->pmd_huge_pte;

	if (!table)
		panic("huge PMD at %p has no deposited PTE table", pmd);
	pmd_table->pmd_huge_pte = table->pmd_huge_pte;
	table->pmd_huge_pte = NULL;           /* also pt_count = 0 (a union) */
	return table;
}

/*
 * Under the PMD lock, if vmf->pmd is still none: R4, deposit, account, set
 * entry (page: ours, or NULL for the huge zero page). False if another CPU
 * filled it first: the caller frees what it allocated, the access retries.
 */
static bool huge_pmd_install(struct vm_fault *vmf, pmd_t entry, struct page *page,
			     struct page *deposit)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	spinlock_t *ptl = pmd_lock(vmf->pmd);
	/* R4, the huge half: may drop the PMD lock to flush; true if still none */
	bool none = pmd_none(pmdp_get(vmf->pmd)) &&
		    flush_tlb_before_set_pmd(mm, vmf->pmd, vmf->address);

	if (none) {
		pgtable_trans_huge_deposit(vmf->pmd, deposit);
		mm_add_pgtable(mm, 1);                        /* the deposit is in VmPTE, as on Linux */
		if (page) {
			add_mm_rss(mm, HPAGE_PMD_NR);
			thp_account(mm, 1);
			WRITE_ONCE(vmf->vma->anon_vma, true);
		}
		smp_wmb();                                    /* the zeroes before the entry */
		set_pmd(vmf->pmd, entry);
	}
	spin_unlock(ptl);
	return none;
}

/* A read fault: the huge zero page, read-only (a write copies it: do_huge_zero_wp_pmd). */
static int do_huge_zero_page_fault(struct vm_fault *vmf)
{
	struct page *deposit = pte_alloc_one();
	pmd_t entry = pfn_pmd(page_to_pfn(huge_zero_page), vm_get_page_prot(vmf->vma->vm_flags));

	if (!deposit)
		return THP_FALLBACK;
	if (!huge_pmd_install(vmf, entry, NULL, deposit))
		pte_free(deposit);
	return 0;
}

int do_huge_pmd_anonymous_page(struct vm_fault *vmf)
{
	if (!(vmf->flags & FAULT_FLAG_WRITE) && huge_zero_page)
		return do_huge_zero_page_fault(vmf);
	struct page *page = alloc_pages(HPAGE_PMD_ORDER);
	struct page *deposit = page ? pte_alloc_one() : NULL;

	if (!deposit) {
		if (page)
			__free_pages(page, HPAGE_PMD_ORDER);
		count_vm_event(THP_FAULT_FALLBACK);
		return THP_FALLBACK;
	}
	memset(page_address(page), 0, PMD_SIZE);      /* unlocked: 2 MiB take a while */
	if (!huge_pmd_install(vmf, mk_huge_pmd(vmf->vma, page), page, deposit)) {
		pte_free(deposit);
		__free_pages(page, HPAGE_PMD_ORDER);
		return 0;
	}
	count_vm_event(THP_FAULT_ALLOC);
	return 0;
}

/*
 * A write to the huge zero page: a huge page of our own in its place, or,
 * with none to be had, 4 KiB pages (split into zero-page PTEs; the access
 * retries and copies one). Clear, flush, then set, as wp_page_copy: no CPU
 * may go on reading zeroes through a stale 2 MiB entry after another wrote.
 */
static int do_huge_zero_wp_pmd(struct vm_fault *vmf, pmd_t orig)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	unsigned long haddr = vmf->address & PMD_MASK;
	struct page *page = alloc_pages(HPAGE_PMD_ORDER);

	if (!page) {
		count_vm_event(THP_FAULT_FALLBACK);
		split_huge_pmd(mm, vmf->pmd, haddr);
		return 0;
	}
	memset(page_address(page), 0, PMD_SIZE);
	spinlock_t *ptl = pmd_lock(vmf->pmd);
	if (!pmd_same(pmdp_get(vmf->pmd), orig)) {
		spin_unlock(ptl);
		__free_pages(page, HPAGE_PMD_ORDER);
		return 0;                     /* changed meanwhile: retry the access */
	}
	pmdp_xchg(vmf->pmd, __pmd(0));
	ptcheck_pmd_cleared(mm, haddr);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, PAGE_SHIFT, false);
	ptcheck_pmd_populate(mm, haddr);
	add_mm_rss(mm, HPAGE_PMD_NR);
	thp_account(mm, 1);
	WRITE_ONCE(vmf->vma->anon_vma, true);
	smp_wmb();
	set_pmd(vmf->pmd, mk_huge_pmd(vmf->vma, page));   /* the deposit stays with it */
	spin_unlock(ptl);
	count_vm_event(THP_FAULT_ALLOC);
	return 0;
}

int do_huge_pmd_fault(struct vm_fault *vmf)
{
	spinlock_t *ptl = pmd_lock(vmf->pmd);
	pmd_t pmdval = pmdp_get(vmf->pmd);

	if (!pmd_trans_huge(pmdval)) {
		spin_unlock(ptl);
		return 0;                     /* split or zapped meanwhile: retry the access */
	}
	if (!pmd_present(pmdval))             /* the PMD lock excludes a split half done */
		panic("fault at %#lx: huge PMD %#lx is PROT_NONE in VMA flags %#lx",
		      vmf->address, pmd_val(pmdval), vmf->vma->vm_flags);
	bool zero_wp = (vmf->flags & FAULT_FLAG_WRITE) && !pmd_write(pmdval);
	/* Our own page, mapped once (no fork): a write upgrades it in place, as do_wp_page. */
	if (zero_wp && !is_huge_zero_pmd(pmdval)) {
		set_pmd(vmf->pmd, pmd_mkdirty(pmd_mkwrite(pmdval)));
		zero_wp = false;
	}
	spin_unlock(ptl);
	return zero_wp ? do_huge_zero_wp_pmd(vmf, pmdval) : 0;
}

bool zap_huge_pmd(struct mmu_gather *tlb, pmd_t *pmd, unsigned long addr)
{
	struct mm_struct *mm = tlb->mm;
	spinlock_t *ptl = pmd_lock(pmd);

	if (!pmd_trans_huge(pmdp_get(pmd))) {
		spin_unlock(ptl);
		return false;
	}
	/*
	 * R2: the entry is cleared under the PMD lock, its page freed after
	 * the flush. R4: until that flush, a fault that finds it none flushes.
	 */
	pmd_t old = tlb_pmdp_get_and_clear(tlb, pmd, addr);
	struct page *deposit = pgtable_trans_huge_withdraw(pmd);
	spin_unlock(ptl);
	mm_add_pgtable(mm, -1);
	pte_free(deposit);                    /* never visible to any walker: no grace period */
	if (is_huge_zero_pmd(old))
		return true;                  /* shared, never freed, in nobody's RSS */
	add_mm_rss(mm, -HPAGE_PMD_NR);
	thp_account(mm, -1);
	if (__tlb_remove_page(tlb, pfn_to_page(pmd_pfn(old))))
		tlb_flush_mmu(tlb);           /* no room for more: flush and free now */
	return true;
}

bool change_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmd,
		     unsigned long addr)
{
	spinlock_t *ptl = pmd_lock(pmd);
	pmd_t old = pmdp_get(pmd);

	if (!pmd_trans_huge(old)) {
		spin_unlock(ptl);
		return false;
	}
	/* Invalid while rewritten, so no dirty bit the hardware sets meanwhile is lost. */
	old = pmdp_xchg(pmd, pmd_mkinvalid(old));
	pmd_t new = pmd_modify(old, vm_get_page_prot(vma->vm_flags));
	if ((vma->vm_flags & VM_WRITE) && pmd_present(new) && !is_huge_zero_pmd(old))
		new = pmd_mkwrite(new);       /* the zero page never: a write must copy it */
	set_pmd(pmd, new);
	spin_unlock(ptl);
	if (!pmd_same(old, new))
		tlb_flush_pte_range(tlb, addr & PMD_MASK, PMD_SIZE);   /* stale until the flush */
	return true;
}

/* PMD lock held, *pmd trans huge: make it a PTE table mapping the same pages. */
static void __split_huge_pmd_locked(struct mm_struct *mm, pmd_t *pmd, unsigned long haddr)
{
	/* Not present but still trans huge: lockless walkers wait for our lock, not see none. */
	pmd_t old = pmdp_xchg(pmd, pmd_mkinvalid(pmdp_get(pmd)));
	ptcheck_pmd_cleared(mm, haddr);
	/*
	 * R4: no CPU may keep the 2 MiB translation once 4 KiB ones can be
	 * loaded for the same addresses (TLB multihit). Flush before the
	 * table goes in, holding the PMD lock so that nobody fills it first.
	 */
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, PAGE_SHIFT, false);
	struct page *table = pgtable_trans_huge_withdraw(pmd);
	pte_t *pte = page_address(table);
	bool zero = is_huge_zero_pmd(old);
	unsigned long pfn = pmd_pfn(old);

	/* The huge zero page splits into the 4 KiB zero page, 512 times. */
	for (int i = 0; i < PTRS_PER_PTE; i++)
		set_pte(&pte[i], pfn_pte(zero ? zero_pfn() : pfn + i, pmd_pte_flags(old)));
	table->pt_count = PTRS_PER_PTE;
	if (!zero) {
		split_page(pfn_to_page(pfn), HPAGE_PMD_ORDER);   /* from now each page is freed alone */
		for (int i = 0; i < PTRS_PER_PTE; i++)
			pfn_to_page(pfn + i)->mapcount = 1;     /* one PTE each (mm/fork.c) */
		thp_account(mm, -1);
	}
	ptcheck_pmd_populate(mm, haddr);                 /* flushed above, PMD lock held */
	smp_wmb();                                       /* the PTEs before the entry */
	set_pmd(pmd, pmd_user_table(page_to_phys(table)));
	count_vm_event(THP_SPLIT_PMD);
}

void split_huge_pmd(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *ptl = pmd_lock(pmd);

	if (pmd_trans_huge(pmdp_get(pmd)))
		__split_huge_pmd_locked(mm, pmd, addr & PMD_MASK);
	spin_unlock(ptl);
}

void split_huge_pmd_address(struct vm_area_struct *vma, unsigned long addr)
{
	if (IS_ALIGNED(addr, PMD_SIZE))
		return;                       /* a boundary between blocks splits none */
	pmd_t *pmd = mm_find_pmd(vma->vm_mm, addr);
	if (pmd && pmd_trans_huge(pmdp_get(pmd)))
		split_huge_pmd(vma->vm_mm, pmd, addr);
}

/* --- /sys/kernel/mm/transparent_hugepage: Linux's formats ------------------ */

size_t thp_enabled_show(char *buf, size_t size)
{
	size_t len = 0;

	for (int i = THP_ALWAYS; i >= THP_NEVER; i--)
		len += snprintf(buf + len, len < size ? size - len : 0, i == (int)thp_mode ?
				"[%s]%s" : "%s%s", thp_mode_names[i], i == THP_NEVER ? "\n" : " ");
	return len;
}

size_t thp_use_zero_page_show(char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", huge_zero_page != NULL);
}

size_t thp_hpage_pmd_size_show(char *buf, size_t size)
{
	return snprintf(buf, size, "%lu\n", PMD_SIZE);
}
