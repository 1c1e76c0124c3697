/*
 * MADV_COLLAPSE, and khugepaged which does the same in the background
 * (thp=always; at the end of this file): turn a 2 MiB block of small
 * anonymous pages into one huge page, holding mmap_lock only for READING
 * (Linux's collapse takes it for writing). So faults and MADV_DONTNEEDs of
 * the same mm go on meanwhile, and a faulting CPU may be inside the
 * block's PTE table under rcu_read_lock() (R3) at the very moment the
 * collapse takes it away.
 *
 * One block, collapse_pmd():
 *
 *   1. find    the VMA must have had a page of its own once (Linux's
 *              anon_vma: else EINVAL, even for a block read); the PMD must
 *              point at a PTE table (none: EINVAL, huge: done)
 *   2. alloc   an order-9 page and a PTE table to deposit (ENOMEM)
 *   3. scan    under the PTE lock: remember all 512 entries, clearing the
 *              dirty bit of each page of our own. Then flush the block on
 *              every CPU: from here a write to any of these pages must set
 *              the dirty bit in its PTE again, so the step-5 check sees it.
 *   4. copy    each page into the huge page (zeroes for none and zero-page
 *              entries), with no lock held
 *   5. install PMD lock, PTE lock (the lock order); the PMD must still
 *              point at the same table. Clear the PMD (R1 step 1) and flush
 *              the block on every CPU (R1 step 2, and R4: no CPU may keep a
 *              4 KiB translation once the 2 MiB one can be loaded). Only now
 *              can no CPU reach the old pages, so only now are the 512
 *              entries checked against step 3: any change (a fault filled
 *              one, a DONTNEED zapped one, a write set a dirty bit) puts the
 *              table back and gives up with EAGAIN. Else deposit the fresh
 *              table and set the huge PMD.
 *   6. release the old pages are freed (their flush was in step 5, R2), and
 *              the retracted table goes to pte_free_defer(): freed after a
 *              grace period (R1 step 3, R5), because a walker may still be
 *              inside it.
 *
 * rcu_read_lock() is held from step 3 to step 5, so the table the scan saw
 * cannot be freed and reused as another table at the same PMD meanwhile:
 * "the PMD still points at the same table" then means the same table.
 */
#include "mm/huge_memory.h"
#include "arch/x86_64/tlb.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/timer.h"
#include "kernel/vmstat.h"
#include "mm/pgtable.h"
#include "mm/ptcheck.h"
#include "mm/slab.h"

/* One block being collapsed. */
struct collapse_control {
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long haddr;             /* the block: [haddr, haddr + PMD_SIZE) */
	pmd_t *pmd;
	struct page *table;              /* the PTE table to retract */
	pte_t *snap;                     /* its 512 entries at the scan, dirty bits cleared */
	int own;                         /* entries that map a page of our own */
	bool khugepaged;                 /* khugepaged's, not MADV_COLLAPSE's: see collapse_scan */
	struct page *hpage, *deposit;
};

/* --- Fault injection ---------------------------------------------------- */

DEFINE_FAULT_INJECT(fi_collapse_walker_hold, "collapse_walker_hold",
		    "hold a PTE-table walker between map and lock while a collapse runs, "
		    "until its PMD changes or the collapse ends");
DEFINE_FAULT_INJECT(fi_collapse_free_delay, "collapse_free_delay",
		    "hold a collapse between retracting its PTE table and pte_free_defer()");

void (*collapse_before_install_hook)(struct vm_area_struct *vma, unsigned long haddr);

static int collapses_running;            /* atomic: collapses between scan and install */
static unsigned long collapses_ended;    /* atomic: each collapse that ended, bumps it */

struct walker_hold {
	pmd_t *pmd;
	pmd_t pmdval;
	unsigned long ended;
};

static bool walker_may_go(void *arg)
{
	struct walker_hold *w = arg;

	return !pmd_same(pmdp_get(w->pmd), w->pmdval) ||
	       __atomic_load_n(&collapses_ended, __ATOMIC_ACQUIRE) != w->ended;
}

void collapse_walker_hold(pmd_t *pmd, pmd_t pmdval)
{
	if (!READ_ONCE(fi_collapse_walker_hold.ms) ||
	    !__atomic_load_n(&collapses_running, __ATOMIC_ACQUIRE))
		return;
	struct walker_hold w = {
		.pmd = pmd, .pmdval = pmdval,
		.ended = __atomic_load_n(&collapses_ended, __ATOMIC_ACQUIRE),
	};
	fault_inject_hold_until(&fi_collapse_walker_hold, walker_may_go, &w);
}

/* --- One block ---------------------------------------------------------- */

/* Step 1. 0: a PTE table is there; 1: already a huge PMD; -EINVAL: nothing to collapse. */
static int collapse_find_table(struct collapse_control *cc)
{
	if (!READ_ONCE(cc->vma->anon_vma))
		return -EINVAL;               /* as Linux: no page of our own ever mapped here */
	cc->pmd = mm_find_pmd(cc->mm, cc->haddr);
	pmd_t pmdval = cc->pmd ? pmdp_get(cc->pmd) : __pmd(0);

	if (pmd_none(pmdval))
		return -EINVAL;
	return pmd_trans_huge(pmdval) ? 1 : 0;
}

/* Step 2. */
static int collapse_alloc(struct collapse_control *cc)
{
	cc->snap = kmalloc(PTRS_PER_PTE * sizeof(pte_t));
	cc->hpage = cc->snap ? alloc_pages(HPAGE_PMD_ORDER) : NULL;
	cc->deposit = cc->hpage ? pte_alloc_one() : NULL;
	if (cc->deposit) {
		count_vm_event(THP_COLLAPSE_ALLOC);
		return 0;
	}
	count_vm_event(THP_COLLAPSE_ALLOC_FAILED);
	return -ENOMEM;
}

static void collapse_free_alloc(struct collapse_control *cc)
{
	if (cc->deposit)
		pte_free(cc->deposit);
	if (cc->hpage)
		__free_pages(cc->hpage, HPAGE_PMD_ORDER);
	kfree(cc->snap);
}

/*
 * Step 3, under rcu_read_lock(). 0; -EAGAIN: the table is gone; -EINVAL:
 * khugepaged, and no page of our own (Linux's max_ptes_none of 511 refuses
 * a block of none and zero-page entries only; MADV_COLLAPSE takes it).
 */
static int collapse_scan(struct collapse_control *cc)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(cc->mm, cc->pmd, cc->haddr, &ptl);

	if (!pte)
		return -EAGAIN;               /* reclaimed, or collapsed by another thread */
	cc->table = virt_to_page(pte);
	cc->own = 0;
	for (int i = 0; i < PTRS_PER_PTE; i++) {
		pte_t entry = ptep_get(&pte[i]);
		if (!pte_none(entry) && vm_normal_page(entry)) {
			/* Clean from now: a write after the flush below sets the bit again. */
			entry = __pte(__atomic_and_fetch(&pte[i].pte, ~_PAGE_DIRTY, __ATOMIC_SEQ_CST));
			cc->own++;
		}
		cc->snap[i] = entry;
	}
	pte_unmap_unlock(pte, ptl);
	if (cc->khugepaged && !cc->own)
		return -EINVAL;
	flush_tlb_mm_range(cc->mm, cc->haddr, cc->haddr + PMD_SIZE, PAGE_SHIFT, false);
	return 0;
}

/*
 * Step 4, no lock held. A page may be zapped and freed by a DONTNEED while
 * we read it (pages are not RCU-freed): the direct map still maps it, we
 * read garbage, and step 5 finds its entry changed and throws the copy away.
 */
static void collapse_copy(struct collapse_control *cc)
{
	u8 *dst = page_address(cc->hpage);

	for (int i = 0; i < PTRS_PER_PTE; i++, dst += PAGE_SIZE) {
		pte_t entry = cc->snap[i];
		if (!pte_none(entry) && vm_normal_page(entry))
			memcpy(dst, page_address(vm_normal_page(entry)), PAGE_SIZE);
		else
			memset(dst, 0, PAGE_SIZE);
	}
}

/* Has any entry changed since the scan? (The accessed bit does not count.) */
static bool collapse_changed(const struct collapse_control *cc, const pte_t *pte)
{
	for (int i = 0; i < PTRS_PER_PTE; i++)
		if ((pte_val(ptep_get(&pte[i])) ^ pte_val(cc->snap[i])) & ~_PAGE_ACCESSED)
			return true;
	return false;
}

/* Step 5, PMD and PTE locks held, the PMD still pointing at cc->table. 0 or -EAGAIN. */
static int collapse_install_locked(struct collapse_control *cc, pte_t *pte)
{
	pmd_t old = pmdp_xchg(cc->pmd, __pmd(0));        /* R1 step 1: unhook under the PMD lock */
	ptcheck_table_unhooked(cc->mm, cc->table, cc->haddr, true);
	/* R1 step 2 and R4: flush everywhere, paging-structure caches too, BEFORE set_pmd. */
	flush_tlb_mm_range(cc->mm, cc->haddr, cc->haddr + PMD_SIZE, PAGE_SHIFT, true);
	if (collapse_changed(cc, pte)) {
		/* Someone got there meanwhile: put the table back as it was and give up. */
		ptcheck_table_rehooked(cc->table);
		ptcheck_pmd_populate(cc->mm, cc->haddr);
		set_pmd(cc->pmd, old);
		count_vm_event(THP_COLLAPSE_BUSY);
		return -EAGAIN;
	}
	for (int i = 0; i < PTRS_PER_PTE; i++)
		pte_clear(&pte[i]);
	cc->table->pt_count = 0;
	pgtable_trans_huge_deposit(cc->pmd, cc->deposit);
	ptcheck_pmd_populate(cc->mm, cc->haddr);
	smp_wmb();                                        /* the copy before the entry */
	set_pmd(cc->pmd, mk_huge_pmd(cc->vma, cc->hpage));
	return 0;
}

/* Step 5. 0 or -EAGAIN; on success the huge page and the deposit are in use. */
static int collapse_install(struct collapse_control *cc)
{
	spinlock_t *pml = pmd_lock(cc->pmd);
	pmd_t pmdval = pmdp_get(cc->pmd);
	int ret = -EAGAIN;

	if (!pmd_trans_huge(pmdval) && pmd_present(pmdval) && pmd_pgtable(pmdval) == cc->table) {
		pte_t *pte = page_address(cc->table);
		spinlock_t *ptl = pte_lockptr(cc->mm, pmdval);   /* the PTE lock, as every taker asks */
		spin_lock(ptl);
		ret = collapse_install_locked(cc, pte);
		spin_unlock(ptl);
	}
	spin_unlock(pml);
	if (ret)
		return ret;
	/* The deposit joined, the table left: VmPTE stays. The holes are filled now. */
	add_mm_rss(cc->mm, HPAGE_PMD_NR - cc->own);
	thp_account(cc->mm, 1);
	count_vm_event(THP_COLLAPSE_RETRACT);
	return 0;
}

/* Step 6: the old pages (flushed in step 5: R2), then the table, after a grace period. */
static void collapse_release(struct collapse_control *cc)
{
	for (int i = 0; i < PTRS_PER_PTE; i++) {
		struct page *page = pte_none(cc->snap[i]) ? NULL : vm_normal_page(cc->snap[i]);
		if (page) {
			page_mapcount_dec(page);      /* another mm may map it still (fork) */
			__free_page(page);
		}
	}
	kfree(cc->snap);
	fault_inject_delay(&fi_collapse_free_delay);   /* widen "retracted, not yet freed" */
	pte_free_defer(cc->table);                       /* R1 step 3, R5 */
}

static int collapse_pmd(struct vm_area_struct *vma, unsigned long haddr, bool khugepaged)
{
	struct collapse_control cc = {
		.vma = vma, .mm = vma->vm_mm, .haddr = haddr, .khugepaged = khugepaged,
	};
	int ret = collapse_find_table(&cc);

	if (ret)
		return ret;                       /* 1: already huge; or -EINVAL */
	if ((ret = collapse_alloc(&cc))) {
		collapse_free_alloc(&cc);
		return ret;
	}
	rcu_read_lock();                       /* the scanned table stays this table: see top */
	ret = collapse_scan(&cc);
	if (!ret) {
		/* After our own scan, or its pte_offset_map_lock would wait for us. */
		__atomic_fetch_add(&collapses_running, 1, __ATOMIC_RELEASE);
		collapse_copy(&cc);
		if (collapse_before_install_hook)
			collapse_before_install_hook(vma, haddr);   /* a test's "meanwhile" */
		ret = collapse_install(&cc);
		__atomic_fetch_sub(&collapses_running, 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&collapses_ended, 1, __ATOMIC_RELEASE);
	}
	rcu_read_unlock();
	if (ret) {
		collapse_free_alloc(&cc);
		return ret;
	}
	collapse_release(&cc);
	return 0;
}

/* Can a VMA take huge pages at all: not refused, and room for one aligned block? */
static bool thp_vma_collapsible(const struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return false;
	return ALIGN_UP(vma->vm_start, PMD_SIZE) + PMD_SIZE <= vma->vm_end;
}

int madvise_collapse(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	if (!thp_vma_collapsible(vma))
		return -EINVAL;
	unsigned long hstart = ALIGN_UP(start, PMD_SIZE), hend = ALIGN_DOWN(end, PMD_SIZE);
	if (hstart > hend)
		return -EINVAL;               /* Linux: inside one block, covering none */
	int last = 0, done = 0;

	for (unsigned long addr = hstart; addr < hend; addr += PMD_SIZE) {
		int ret = collapse_pmd(vma, addr, false);
		if (ret >= 0) {
			done++;                   /* collapsed, or huge already */
			continue;
		}
		last = ret;
		if (ret == -ENOMEM)
			break;                /* as Linux: no point trying the next block */
		cond_resched();
	}
	return done == (int)((hend - hstart) >> PMD_SHIFT) ? 0 : last;
}

/* --- khugepaged: collapse behind the programs' backs ------------------------
 *
 * Under thp=always a kernel thread does what MADV_COLLAPSE does, for every
 * mm that has a VMA it may collapse (registered by khugepaged_enter, taken
 * off by khugepaged_exit when the mm's last user goes). Each wake-up it
 * looks at pages_to_scan pages' worth of 2 MiB blocks, taking the mms in
 * turn, then sleeps scan_sleep_ms: a bounded rate, as Linux's. It holds
 * each mm by mm_count (the struct stays) and its mmap_lock for reading;
 * an mm whose users are gone is left alone, and its exit_mmap, which takes
 * mmap_lock for writing, waits for the scan to finish.
 */

static unsigned long khugepaged_sleep_ms = 10000;
BOOT_OPTION_ULONG("khugepaged.scan_sleep_ms", khugepaged_sleep_ms,
		  "thp=always: ms khugepaged sleeps between scans (default 10000, as Linux)");
static unsigned long khugepaged_pages_to_scan = 4096;
BOOT_OPTION_ULONG("khugepaged.pages_to_scan", khugepaged_pages_to_scan,
		  "thp=always: pages khugepaged looks at per scan, in 2 MiB blocks (default 4096)");

static spinlock_t khugepaged_lock = SPINLOCK_INIT("khugepaged");
static LIST_HEAD(khugepaged_mms);        /* by mm->khugepaged_node, under khugepaged_lock */
static bool khugepaged_running;
static unsigned long khugepaged_scan_addr;   /* where the first mm's scan goes on */
static unsigned long khugepaged_pages_collapsed, khugepaged_full_scans;   /* atomic */

void khugepaged_enter(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	if (!khugepaged_running || !thp_vma_allowable(vma) || !thp_vma_collapsible(vma))
		return;
	spin_lock(&khugepaged_lock);
	if (list_empty(&mm->khugepaged_node))
		list_add_tail(&mm->khugepaged_node, &khugepaged_mms);
	spin_unlock(&khugepaged_lock);
}

void khugepaged_exit(struct mm_struct *mm)
{
	spin_lock(&khugepaged_lock);
	list_del_init(&mm->khugepaged_node);
	spin_unlock(&khugepaged_lock);
}

/*
 * Collapse what khugepaged may in mm from addr on, looking at blocks while
 * *budget lasts. Returns where to go on next time, or 0: mm done.
 */
static unsigned long khugepaged_scan_mm(struct mm_struct *mm, unsigned long addr, long *budget)
{
	struct vm_area_struct *vma;

	down_read(&mm->mmap_lock);
	if (!__atomic_load_n(&mm->mm_users, __ATOMIC_ACQUIRE)) {
		addr = 0;                             /* on its way out: exit_mmap waits for us */
		goto out;
	}
	for (vma = find_vma(mm, addr); vma; vma = vma_next(mm, vma), addr = 0) {
		if (!thp_vma_allowable(vma) || !READ_ONCE(vma->anon_vma))
			continue;
		for (addr = ALIGN_UP(MAX(addr, vma->vm_start), PMD_SIZE);
		     addr + PMD_SIZE <= vma->vm_end; addr += PMD_SIZE) {
			if (*budget <= 0)
				goto out;             /* go on from addr next time */
			(*budget)--;
			if (collapse_pmd(vma, addr, true) == 0)
				__atomic_fetch_add(&khugepaged_pages_collapsed, HPAGE_PMD_NR,
						   __ATOMIC_RELAXED);
		}
	}
	addr = 0;
out:
	up_read(&mm->mmap_lock);
	return addr;
}

/* The first mm on the list, held, and where its scan goes on; NULL if none. */
static struct mm_struct *khugepaged_next_mm(unsigned long *addr)
{
	spin_lock(&khugepaged_lock);
	struct mm_struct *mm = list_empty(&khugepaged_mms) ? NULL :
		list_first_entry(&khugepaged_mms, struct mm_struct, khugepaged_node);
	if (mm)
		mmgrab(mm);                           /* still listed: its struct is alive */
	*addr = khugepaged_scan_addr;
	spin_unlock(&khugepaged_lock);
	return mm;
}

/*
 * One wake-up: pages_to_scan pages' worth of blocks, going on where the
 * last one stopped (as Linux's khugepaged_scan), the mms in turn.
 */
static void khugepaged_do_scan(void)
{
	long budget = (long)(khugepaged_pages_to_scan / HPAGE_PMD_NR);
	unsigned long addr;
	struct mm_struct *mm;

	while (budget > 0 && (mm = khugepaged_next_mm(&addr))) {
		addr = khugepaged_scan_mm(mm, addr, &budget);
		spin_lock(&khugepaged_lock);
		bool first = !list_empty(&khugepaged_mms) &&
			     list_first_entry(&khugepaged_mms, struct mm_struct, khugepaged_node) == mm;
		khugepaged_scan_addr = first ? addr : 0;
		if (first && !addr) {                 /* this mm done: the next one's turn */
			list_del_init(&mm->khugepaged_node);
			list_add_tail(&mm->khugepaged_node, &khugepaged_mms);
			__atomic_fetch_add(&khugepaged_full_scans, 1, __ATOMIC_RELAXED);
		}
		spin_unlock(&khugepaged_lock);
		mmdrop(mm);
		cond_resched();
	}
}

static int khugepaged(void *unused)
{
	for (;;) {
		sleep_ns(khugepaged_sleep_ms * 1000000ull);
		khugepaged_do_scan();
	}
	return 0;
}

void khugepaged_init(void)
{
	if (!thp_mode_always())
		return;
	khugepaged_running = true;
	put_thread(kthread_run("khugepaged", khugepaged, NULL, -1));
}

size_t khugepaged_scan_sleep_show(char *buf, size_t size)
{
	return snprintf(buf, size, "%lu\n", khugepaged_sleep_ms);
}

size_t khugepaged_pages_collapsed_show(char *buf, size_t size)
{
	return snprintf(buf, size, "%lu\n",
			__atomic_load_n(&khugepaged_pages_collapsed, __ATOMIC_RELAXED));
}

size_t khugepaged_full_scans_show(char *buf, size_t size)
{
	return snprintf(buf, size, "%lu\n", __atomic_load_n(&khugepaged_full_scans, __ATOMIC_RELAXED));
}
