/*
 * Where a user page table is born (see pgtable.h): allocation with its split
 * lock, installation under the parent's lock, the locked walk of rule R3,
 * and the single exit every table page takes.
 */
#include "mm/pgtable.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tlb.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/huge_memory.h"
#include "mm/ptcheck.h"

/*
 * A new page-table page: zeroed, PG_table, its split lock ready, counted in
 * nr_page_table_pages until free_pgtable_page(). NULL if out of memory.
 * Zeroed before anyone can see it: every entry starts none.
 */
DEFINE_FAULT_INJECT(fi_pgtable_alloc, "pgtable_alloc",
		    "page-table pages cannot be had for user processes (every=N or percent=P:seed=S)");

static struct page *pgtable_alloc(void)
{
	struct page *page = should_fail(&fi_pgtable_alloc) ? NULL : alloc_page();

	if (!page)
		return NULL;
	memset(page_address(page), 0, PAGE_SIZE);
	SetPageTable(page);
	INIT_LIST_HEAD(&page->pt_list);
	page->pt_mm = NULL;              /* also clears pt_count (a union) */
	spin_lock_init(&page->ptl, "ptl");
	ptcheck_table_alloc(page);
	mod_vm_state(NR_PAGE_TABLE_PAGES, 1);
	return page;
}

void free_pgtable_page(struct page *table)
{
	if (!PageTable(table))
		panic("pfn %#lx is not a page table", page_to_pfn(table));
	/* The split lock dies with the table: nobody may hold it or wait for it. */
	if (spin_is_locked(&table->ptl))
		panic("page table pfn %#lx freed with its lock held", page_to_pfn(table));
	ptcheck_table_free(table);
	table->pt_mm = NULL;
	ClearPageTable(table);
	mod_vm_state(NR_PAGE_TABLE_PAGES, -1);
	__free_page(table);
}

void pgtable_lock_destroy(struct page *table)
{
	ptcheck_lock_destroy(table);
}

/*
 * Debug poisoning of a dead table: every entry PGTABLE_POISON. Done in the
 * RCU callback, not when the table is queued: until the grace period ends
 * a reader inside rcu_read_lock() may legitimately still look at it and
 * must find what it held (all none), not poison. After it, nobody may;
 * a walker that does anyway (an IPI instead of a grace period, R5) reads
 * poison and a test can tell.
 */
static void pgtable_poison(struct page *table)
{
	u64 *entry = page_address(table);

	for (int i = 0; i < PTRS_PER_PTE; i++)
		WRITE_ONCE(entry[i], PGTABLE_POISON);
}

/* R1 step 3, the end: a grace period has passed since the table was queued. */
static void pgtable_free_rcu(struct rcu_head *head)
{
	struct page *table = container_of(head, struct page, pt_rcu_head);

	pgtable_poison(table);
	/*
	 * R1: the split lock is destroyed here, in the callback, and not at
	 * the unhook: an R3 walker that mapped the table before the unhook may
	 * take its lock (and find the pmd changed) at any time until now.
	 * free_pgtable_page() checks that nobody holds it.
	 */
	pgtable_lock_destroy(table);
	free_pgtable_page(table);
	count_vm_event(PGTABLE_FREE_DONE);
}

/*
 * ptbug=ipi-free: the older scheme, where an IPI round trip to every CPU
 * stands in for the grace period (Linux's x86 freed tables this way before
 * it moved to RCU). It is enough against walkers that run with interrupts
 * OFF (a CPU that answered the IPI has left such a walk), but not against
 * pte_offset_map() walkers under rcu_read_lock(), which run with
 * interrupts ON: the IPI is answered in the middle of their walk, and the
 * table is freed under them (R5). The test pgtable_not_freed_under_rcu_reader
 * fails under this bug, on purpose (tools/suites.py: ptbug-ipi-free), and
 * ptcheck reports each table freed before its grace period.
 */
static void ipi_roundtrip(void *unused)
{
}

void free_pgtable_page_rcu(struct page *table)
{
	if (!PageTable(table))
		panic("pfn %#lx is not a page table", page_to_pfn(table));
	count_vm_event(PGTABLE_FREE_DEFERRED);
	if (ptbug_is(PTBUG_IPI_FREE)) {
		on_each_cpu(ipi_roundtrip, NULL, true);   /* every CPU took an interrupt ... */
		pgtable_free_rcu(&table->pt_rcu_head);     /* ... which does not prove R5 */
		return;
	}
	/* R1 step 3 / R5: a grace period, not the flush's IPIs, proves every walker left. */
	call_rcu(&table->pt_rcu_head, pgtable_free_rcu);
}

void pte_free_defer(struct page *table)
{
	if (ptbug_is(PTBUG_COLLAPSE_FREE_NOW)) {
		/* ptbug: a walker that mapped it before the retract may still be inside (R1, R3). */
		count_vm_event(PGTABLE_FREE_DEFERRED);
		pgtable_free_rcu(&table->pt_rcu_head);
		return;
	}
	/*
	 * R1 step 3: after a grace period, through the table's own rcu_head
	 * (it is on no gather's list, so pt_rcu_head is free to use). Its
	 * split lock lives until then too: a walker that read the PMD before
	 * the retract may be spinning on that lock right now, to find the
	 * PMD changed once it has it (R3). Destroyed earlier, or the page
	 * reused and its lock set up by a new owner, that walker would take a
	 * lock that is no longer this table's. Only a grace period proves
	 * every such walker has taken, dropped and left it.
	 */
	free_pgtable_page_rcu(table);
}

int pgd_alloc(struct mm_struct *mm)
{
	struct page *page = pgtable_alloc();

	if (!page)
		return -ENOMEM;
	page->pt_mm = mm;
	mm->pgd = page_address(page);
	/*
	 * The kernel half: swapper_pg_dir's entries 256..511 point at PUD
	 * tables made at boot that never change (kernel_pgtable.c fixes them
	 * before any mm exists), so this one copy stays right for good.
	 */
	memcpy(mm->pgd + KERNEL_PGD_FIRST, swapper_pg_dir + KERNEL_PGD_FIRST,
	       (PTRS_PER_PGD - KERNEL_PGD_FIRST) * sizeof(pgd_t));
	return 0;
}

/*
 * The PGD goes at once, with no grace period: only a dead mm frees it, after
 * every CPU let go of it (mmput shoots lazy users down), and no walker can
 * reach a table of an mm nobody holds. The tables below it left through the
 * gather, after a grace period each (exit_mmap).
 */
void pgd_free(struct mm_struct *mm)
{
	free_pgtable_page(virt_to_page(mm->pgd));
	mm->pgd = NULL;
}

/*
 * The new table's zeroes must be visible before the entry that points at
 * it, or a walker on another CPU could follow the entry into garbage. x86
 * keeps stores in order; smp_wmb() says where another CPU would need it.
 */
int __pud_alloc(struct mm_struct *mm, pgd_t *pgd)
{
	struct page *new = pgtable_alloc();

	if (!new)
		return -ENOMEM;
	smp_wmb();
	spin_lock(&mm->page_table_lock);
	if (pgd_none(pgdp_get(pgd))) {        /* still none: ours goes in */
		mm_add_pgtable(mm, 1);
		set_pgd(pgd, pgd_user_table(page_to_phys(new)));
		new = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (new)                              /* another thread was first */
		free_pgtable_page(new);
	return 0;
}

int __pmd_alloc(struct mm_struct *mm, pud_t *pud)
{
	struct page *new = pgtable_alloc();

	if (!new)
		return -ENOMEM;
	smp_wmb();
	spin_lock(&mm->page_table_lock);      /* x86 has no split PUD lock, as Linux */
	if (pud_none(pudp_get(pud))) {
		mm_add_pgtable(mm, 1);
		set_pud(pud, pud_user_table(page_to_phys(new)));
		new = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (new)
		free_pgtable_page(new);
	return 0;
}

struct page *pte_alloc_one(void)
{
	return pgtable_alloc();
}

void pte_free(struct page *table)
{
	free_pgtable_page(table);
}

/*
 * Fault injection for R4's recheck (suite r4-recheck-race,
 * fault_inject=r4_relock:MS): hold a populate after its R4 flush, holding
 * no page-table lock, before it takes the PMD lock again. r4_relock_hook,
 * at the same point, is a test's "meanwhile, another CPU fills and clears
 * this PMD" (mm/pt_reclaim_test.c: r4_flush_unlocked_then_rechecks).
 */
DEFINE_FAULT_INJECT(fi_r4_relock, "r4_relock",
		    "hold a PMD populate between its R4 flush and retaking the PMD lock");
void (*r4_relock_hook)(struct mm_struct *mm, pmd_t *pmd, unsigned long addr);

bool flush_tlb_before_set_pmd(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	bool flushed = false;
	/*
	 * R4: flush before set_pmd. A gather may have cleared this PMD
	 * (unhooked a PTE table, zapped a huge PMD) and not flushed yet: some
	 * CPU may still hold translations through the old entry. Flush them
	 * before a new table or a huge page gives the same addresses a second
	 * translation (of another size: TLB multihit).
	 *
	 * Which clears are owed: each one counts in its bucket's pending
	 * (mm->pmd_clears, by slot), raised under this PMD lock before the
	 * entry reads none and lowered once its gather's flush has completed
	 * (tlb_pmdp_get_and_clear). We hold the lock and see none: zero means
	 * every clear of this slot has been flushed. A gather that cleared no
	 * PMD owes R4 nothing.
	 *
	 * The flush waits for every CPU of the mm to answer; the PMD lock
	 * covers 1 GiB, and every fault that installs a table there would spin
	 * on it meanwhile (4-thread tlb_flush2: lock class ptl waited 6.7 s in
	 * a 3 s run, 0.1 s once the lock was dropped; rounds/s 4x). So we drop
	 * it and flush, and after taking it again make sure no clear came in
	 * between: a clear of this slot after we read the bucket's seq, before
	 * our flush or after it, was made under this lock, so it moved seq
	 * before we could take the lock again. Seq unchanged: our flush came
	 * after every clear of this slot. Seq moved (a clear in the bucket,
	 * maybe not this slot): look at the entry and the debt again.
	 */
	/* LAB r4: begin */
	spinlock_t *ptl = pmd_lockptr(pmd);
	unsigned long slot = addr & PMD_MASK;

	while (pmd_none(pmdp_get(pmd)) && mm_pmd_clear_pending(mm, addr) &&
	       !ptbug_is(PTBUG_NO_R4)) {
		unsigned long seq = mm_pmd_clear_seq(mm, addr);

		spin_unlock(ptl);
		flush_tlb_mm_range(mm, slot, slot + PMD_SIZE, PAGE_SHIFT, true);
		count_vm_event(TLB_FLUSH_BEFORE_SET_PMD);
		flushed = true;
		fault_inject_delay(&fi_r4_relock);        /* fault injection: widen the window */
		if (r4_relock_hook)
			r4_relock_hook(mm, pmd, addr);    /* a test's "meanwhile" */
		spin_lock(ptl);
		if (mm_pmd_clear_seq(mm, addr) == seq)    /* R4's recheck, see above */
			break;                            /* no clear since: our flush covers all */
		count_vm_event(TLB_FLUSH_BEFORE_SET_PMD_RETRY);
	}
	/* LAB r4: end */
	/* What precision buys: the old rule flushed whenever any gather was open. */
	if (!flushed && mm_tlb_flush_pending(mm))
		count_vm_event(TLB_FLUSH_BEFORE_SET_PMD_SKIPPED);
	if (!pmd_none(pmdp_get(pmd)))
		return false;                             /* filled while the lock was dropped */
	ptcheck_pmd_populate(mm, addr);
	return true;
}

/* LAB walk: begin */
void pmd_install(struct mm_struct *mm, pmd_t *pmd, struct page **new, unsigned long addr)
{
	spinlock_t *ptl = pmd_lock(pmd);

	/* R4: may drop the PMD lock to flush; true if the entry is still none */
	if (pmd_none(pmdp_get(pmd)) && flush_tlb_before_set_pmd(mm, pmd, addr)) {
		mm_add_pgtable(mm, 1);
		smp_wmb();                    /* the zeroed table before the entry (see above) */
		set_pmd(pmd, pmd_user_table(page_to_phys(*new)));
		*new = NULL;
	}
	spin_unlock(ptl);
}
/* LAB walk: end */

int __pte_alloc(struct mm_struct *mm, pmd_t *pmd, unsigned long addr)
{
	struct page *new = pgtable_alloc();

	if (!new)
		return -ENOMEM;
	pmd_install(mm, pmd, &new, addr);
	if (new)                              /* lost the race; never visible to anyone */
		free_pgtable_page(new);
	return 0;
}

pte_t *pte_offset_map(pmd_t *pmd, unsigned long addr, pmd_t *pmdvalp)
{
	/* R3: inside rcu_read_lock, so the table we find cannot be freed under us. */
	rcu_read_lock();
	pmd_t pmdval = pmdp_get(pmd);         /* R3: read the pmd once */

	if (pmdvalp)
		*pmdvalp = pmdval;
	/* No table: none, or a huge PMD (THP), which callers must handle themselves. */
	if (pmd_none(pmdval) || pmd_trans_huge(pmdval)) {
		rcu_read_unlock();
		return NULL;
	}
	return (pte_t *)phys_to_virt(pmd_phys(pmdval)) + pte_index(addr);
}

/*
 * Fault injection for rule R3's test (mm/pgtable_test.c, which switches it
 * on itself): hold the walker between the lockless pmd read and taking
 * the PTE lock, so that a DONTNEED on another CPU can reclaim the table
 * inside the window. pte_map_retry counts the retries that follow.
 */
DEFINE_FAULT_INJECT(fi_pte_map_lock, "pte_map_lock",
		    "hold pte_offset_map_lock between its pmd read and the PTE lock (R3)");

pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			   spinlock_t **ptlp)
{
	if (!irqs_enabled())
		panic("PTE lock taken with interrupts off (a TLB-flush IPI could deadlock)");
	for (;;) {
		pmd_t pmdval;
		pte_t *pte = pte_offset_map(pmd, addr, &pmdval);
		if (!pte)
			return NULL;
		fault_inject_delay(&fi_pte_map_lock);   /* fault injection: widen R3's window */
		collapse_walker_hold(pmd, pmdval);   /* fault injection: a collapse takes the table now */
		spinlock_t *ptl = pte_lockptr(mm, pmdval);
		spin_lock(ptl);
		/*
		 * R3: lockless map, locked recheck. The table we locked is the
		 * one the pmd still points to, so nobody can unhook it while we
		 * hold its lock. If the pmd changed between our read and the
		 * lock, the table was reclaimed or replaced: drop it and retry.
		 */
		if (pmd_same(pmdval, pmdp_get(pmd))) {
			ptcheck_walk_locked(pmd_pgtable(pmdval), addr);
			*ptlp = ptl;
			return pte;
		}
		count_vm_event(PTE_MAP_RETRY);
		pte_unmap_unlock(pte, ptl);
	}
}

/* LAB walk: begin */
pmd_t *mm_find_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);

	if (!pgd_present(pgdp_get(pgd)))
		return NULL;
	pud_t *pud = pud_offset(pgd, addr);
	if (!pud_present(pudp_get(pud)))
		return NULL;
	return pmd_offset(pud, addr);
}
/* LAB walk: end */

pte_t mm_get_pte(struct mm_struct *mm, unsigned long addr)
{
	pmd_t *pmd = mm_find_pmd(mm, addr);
	spinlock_t *ptl;

	if (pmd && pmd_trans_huge(pmdp_get(pmd))) {
		ptl = pmd_lock(pmd);              /* not in the middle of a split */
		pmd_t pmdval = pmdp_get(pmd);
		spin_unlock(ptl);
		if (pmd_trans_huge(pmdval))       /* the 4 KiB part of the huge page at addr */
			return pfn_pte(pmd_pfn(pmdval) + pte_index(addr), pmd_pte_flags(pmdval));
	}
	pte_t *pte = pmd ? pte_offset_map_lock(mm, pmd, addr, &ptl) : NULL;

	if (!pte)
		return __pte(0);
	pte_t val = ptep_get(pte);
	pte_unmap_unlock(pte, ptl);
	return val;
}
