/*
 * ptcheck, the page-table lifetime checker, and ptbug, the bugs it exists
 * to catch (see ptcheck.h for what each check means).
 *
 * State:
 *  - for every page frame, one word (pt_meta[pfn]): the table's stage of
 *    life in the low bits, and, once flushed, the RCU cookie of the grace
 *    period that must end before it may be freed;
 *  - a list of tables unhooked, and huge PMDs cleared, not yet flushed,
 *    with their mm and the address they mapped, each recorded when its PMD
 *    entry was cleared. A flush of (mm, range) takes the entries it
 *    covers off the list: that list *is* "the PMD slots whose flush is
 *    pending", which is what R4 asks about;
 *  - the records the flush took off, kept on a second list until their
 *    table is freed: not for any check, but so that the page-table dump
 *    (mm/ptdump.c) can show which tables of an mm await a grace period.
 * All under ptcheck_lock, with interrupts off (flushes run anywhere).
 */
#include "mm/ptcheck.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/bootopt.h"
#include "kernel/list.h"
#include "kernel/printk.h"
#include "kernel/rcu.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/tlb.h"

bool ptcheck_enabled;
BOOT_OPTION_BOOL("ptcheck", ptcheck_enabled,
		 "check the page-table lifetime rules R1-R6 at run time, report violations");

enum pt_stage { PT_LIVE, PT_UNHOOKED, PT_FLUSHED };
#define STAGE_BITS 2
#define STAGE_MASK ((1ul << STAGE_BITS) - 1)

static unsigned long *pt_meta;          /* one word per pfn below max_pfn */
static unsigned long pt_meta_pfns;

/*
 * A table unhooked, or a huge PMD cleared, and not flushed yet
 * (pt_pending_list); or a table flushed and not freed yet (pt_flushed_list).
 */
struct pt_pending {
	struct list_head node;
	struct mm_struct *mm;
	unsigned long addr;              /* an address the table or huge page mapped */
	struct page *table;              /* NULL: a huge PMD, no table to follow */
	bool pte_table;                  /* its PMD slot (addr's) is what R4 guards */
	unsigned long gp;                /* on pt_flushed_list: the grace period it waits for */
};

static spinlock_t ptcheck_lock = SPINLOCK_INIT("ptcheck");
static LIST_HEAD(pt_pending_list);
/*
 * Tables flushed and waiting for their grace period, kept only so that the
 * page-table dump (mm/ptdump.c) can show them beside their mm; the checks
 * use pt_meta. A record leaves when its table is freed or its mm dies.
 */
static LIST_HEAD(pt_flushed_list);

void ptcheck_init(void)
{
	if (!ptcheck_enabled)
		return;
	unsigned long bytes = max_pfn * sizeof(unsigned long);
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	struct page *page = order <= MAX_ORDER ? alloc_pages(order) : NULL;
	if (!page) {
		printk("ptcheck: cannot allocate %lu KiB of state: checker off\n", bytes >> 10);
		ptcheck_enabled = false;
		return;
	}
	pt_meta = page_address(page);
	pt_meta_pfns = max_pfn;
	memset(pt_meta, 0, PAGE_SIZE << order);
	printk("ptcheck: checking page-table lifetime rules (R1-R6)\n");
}

static void violation(int rule, const char *what, unsigned long addr)
{
	count_vm_event(PTCHECK_VIOLATIONS);
	printk("ptcheck: violation R%d: %s at %#lx\n", rule, what, addr);
	dump_backtrace(read_rbp(), 0);
}

static unsigned long *meta(struct page *table)
{
	unsigned long pfn = page_to_pfn(table);
	return pfn < pt_meta_pfns ? &pt_meta[pfn] : NULL;
}

static enum pt_stage stage(unsigned long m)
{
	return m & STAGE_MASK;
}

void __ptcheck_table_alloc(struct page *table)
{
	unsigned long *m = meta(table);
	if (m)
		WRITE_ONCE(*m, PT_LIVE);
}

void __ptcheck_table_unhooked(struct mm_struct *mm, struct page *table, unsigned long addr,
			      bool pte_table)
{
	struct pt_pending *p = kmalloc(sizeof(*p));
	unsigned long *m = meta(table);

	if (!p || !m) {
		kfree(p);
		return;                       /* unchecked: no memory, or beyond the table */
	}
	*p = (struct pt_pending){ .mm = mm, .addr = addr, .table = table, .pte_table = pte_table };
	unsigned long flags = spin_lock_irqsave(&ptcheck_lock);
	if (stage(*m) != PT_LIVE)
		violation(1, "table unhooked twice", addr);
	WRITE_ONCE(*m, PT_UNHOOKED);
	list_add_tail(&p->node, &pt_pending_list);
	spin_unlock_irqrestore(&ptcheck_lock, flags);
}

/* The table is freed or hooked again: forget its flushed record (the dump's), if it has one. */
static void forget_flushed(struct page *table)
{
	struct pt_pending *p, *found = NULL;

	unsigned long flags = spin_lock_irqsave(&ptcheck_lock);
	list_for_each_entry(p, &pt_flushed_list, node) {
		if (p->table == table) {
			found = p;
			list_del_init(&p->node);
			break;
		}
	}
	spin_unlock_irqrestore(&ptcheck_lock, flags);
	kfree(found);
}

/* R1 step 2 happened for these tables: from now a grace period is what they wait for. */
void __ptcheck_flushed(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct pt_pending *p, *tmp;
	LIST_HEAD(done);
	unsigned long cookie = get_state_synchronize_rcu();
	unsigned long flags = spin_lock_irqsave(&ptcheck_lock);
	list_for_each_entry_safe(p, tmp, &pt_pending_list, node) {
		if (p->mm != mm || p->addr < start || p->addr >= end)
			continue;
		unsigned long *m = p->table ? meta(p->table) : NULL;
		if (m && stage(*m) == PT_UNHOOKED)
			WRITE_ONCE(*m, (cookie << STAGE_BITS) | PT_FLUSHED);
		list_del_init(&p->node);
		p->gp = cookie;
		/* A table's record stays for the dump until it is freed; a huge PMD's is done. */
		list_add_tail(&p->node, p->table ? &pt_flushed_list : &done);
	}
	spin_unlock_irqrestore(&ptcheck_lock, flags);
	list_for_each_entry_safe(p, tmp, &done, node)
		kfree(p);
}

void __ptcheck_pmd_cleared(struct mm_struct *mm, unsigned long addr)
{
	struct pt_pending *p = kmalloc(sizeof(*p));

	if (!p)
		return;                       /* unchecked: no memory */
	*p = (struct pt_pending){ .mm = mm, .addr = addr, .table = NULL, .pte_table = true };
	unsigned long flags = spin_lock_irqsave(&ptcheck_lock);
	list_add_tail(&p->node, &pt_pending_list);
	spin_unlock_irqrestore(&ptcheck_lock, flags);
}

void __ptcheck_table_rehooked(struct page *table)
{
	unsigned long *m = meta(table);

	if (m)
		WRITE_ONCE(*m, PT_LIVE);
	forget_flushed(table);                /* live again: not pending any more */
}

/*
 * Exact, whoever populates and however it flushed: every clear of this
 * slot was recorded when it happened, under the PMD lock the populate
 * holds now (a PTE table by tlb_pmdp_get_and_clear or a collapse, a huge
 * PMD by a zap, a split or a huge zero page's copy), and only a flush of
 * the mm that covers the slot, started after the clear, takes the record
 * off. A record still there is a flush still owed.
 */
void __ptcheck_pmd_populate(struct mm_struct *mm, unsigned long addr)
{
	struct pt_pending *p;
	unsigned long slot = addr & PMD_MASK;
	bool owed = false;

	unsigned long flags = spin_lock_irqsave(&ptcheck_lock);
	list_for_each_entry(p, &pt_pending_list, node)
		owed |= p->mm == mm && p->pte_table && (p->addr & PMD_MASK) == slot;
	spin_unlock_irqrestore(&ptcheck_lock, flags);
	if (owed)
		violation(4, "PMD populated while its TLB flush is pending", slot);
}

/* Has this unhooked table been flushed, and has a grace period passed since? */
static bool past_grace_period(struct page *table, unsigned long *addr_out, const char **why)
{
	unsigned long *m = meta(table);

	*addr_out = page_to_phys(table);
	if (!m || stage(*m) == PT_LIVE)
		return true;                  /* never hooked (a lost install race), or unchecked */
	if (stage(*m) == PT_UNHOOKED) {
		*why = "before its TLB flush";
		return false;
	}
	if (!poll_state_synchronize_rcu(*m >> STAGE_BITS)) {
		*why = "before a grace period after its flush";
		return false;
	}
	return true;
}

/* R1 step 3: report `event` (what happened to table) if it came before its grace period. */
static void check_past_grace_period(struct page *table, const char *event)
{
	unsigned long addr;
	const char *why;
	char what[80];

	if (!past_grace_period(table, &addr, &why)) {
		snprintf(what, sizeof(what), "%s %s (phys)", event, why);
		violation(1, what, addr);
	}
}

void __ptcheck_table_free(struct page *table)
{
	check_past_grace_period(table, "page-table page freed");
	unsigned long *m = meta(table);
	if (m)
		WRITE_ONCE(*m, PT_LIVE);      /* a free page: no stage until reused */
	forget_flushed(table);
}

void __ptcheck_lock_destroy(struct page *table)
{
	check_past_grace_period(table, "split PTE lock destroyed");
}

void __ptcheck_walk_locked(struct page *table, unsigned long addr)
{
	unsigned long *m = meta(table);

	if (m && stage(READ_ONCE(*m)) != PT_LIVE)
		violation(3, "walker holds the lock of an unhooked PTE table (no PMD recheck)", addr);
}

void __ptcheck_reclaim(struct page *table, unsigned long addr)
{
	const pte_t *pte = page_address(table);

	for (int i = 0; i < PTRS_PER_PTE; i++) {
		if (!pte_none(pte[i])) {
			violation(6, "PTE table reclaimed with an entry in use",
				  (addr & PMD_MASK) + ((unsigned long)i << PAGE_SHIFT));
			return;
		}
	}
}

void __ptcheck_pages_free(struct mmu_gather *tlb)
{
	if (tlb->start < tlb->end && tlb->local.nr)
		violation(2, "data pages freed before their TLB flush", tlb->start);
}

void __ptcheck_mm_exit(struct mm_struct *mm)
{
	struct pt_pending *p, *tmp;
	LIST_HEAD(stale);
	LIST_HEAD(forget);

	unsigned long flags = spin_lock_irqsave(&ptcheck_lock);
	list_for_each_entry_safe(p, tmp, &pt_pending_list, node) {
		if (p->mm == mm) {
			list_del_init(&p->node);
			list_add(&p->node, &stale);
		}
	}
	/* Flushed ones are in order; their records only named the mm for the dump. */
	list_for_each_entry_safe(p, tmp, &pt_flushed_list, node) {
		if (p->mm == mm) {
			list_del_init(&p->node);
			list_add(&p->node, &forget);
		}
	}
	spin_unlock_irqrestore(&ptcheck_lock, flags);
	list_for_each_entry_safe(p, tmp, &stale, node) {
		violation(1, "mm destroyed with a table never flushed", p->addr);
		kfree(p);
	}
	list_for_each_entry_safe(p, tmp, &forget, node)
		kfree(p);
}

int ptcheck_pending_walk(struct mm_struct *mm,
			 void (*fn)(void *arg, const struct ptcheck_pending_info *info), void *arg)
{
	const struct list_head *lists[] = { &pt_pending_list, &pt_flushed_list };
	struct pt_pending *p;
	int n = 0;

	unsigned long flags = spin_lock_irqsave(&ptcheck_lock);
	for (unsigned int i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry(p, lists[i], node) {
			if (p->mm != mm)
				continue;
			struct ptcheck_pending_info info = {
				.addr = p->addr, .pte_table = p->pte_table, .gp = i ? p->gp : 0,
				.phys = p->table ? page_to_phys(p->table) : 0,
			};
			fn(arg, &info);
			n++;
		}
	}
	spin_unlock_irqrestore(&ptcheck_lock, flags);
	return n;
}

/* ---- ptbug ---- */

/* LAB bughunt: begin */
enum ptbug ptbug;
/* LAB bughunt: end */
static const char *ptbug_name = "";
BOOT_OPTION_STR("ptbug", ptbug_name, "ptlock-early|stale-scan|ipi-free|no-r4|collapse-free-now: "
		"plant one of Linux's historic page-table bugs ON PURPOSE (for ptcheck and the labs)");

static const char *const ptbug_names[] = {
	[PTBUG_PTLOCK_EARLY] = "ptlock-early",
	[PTBUG_STALE_SCAN] = "stale-scan",
	[PTBUG_IPI_FREE] = "ipi-free",
	[PTBUG_NO_R4] = "no-r4",
	[PTBUG_COLLAPSE_FREE_NOW] = "collapse-free-now",
};

static const char *const ptbug_what[] = {
	[PTBUG_PTLOCK_EARLY] = "the split PTE lock is destroyed when its table is unhooked, "
			       "not after the grace period (syzbot, Dec 2024)",
	[PTBUG_STALE_SCAN] = "the reclaim slow path trusts an emptiness check made before "
			     "the PTE lock was dropped (Linux 6.14-rc1)",
	[PTBUG_IPI_FREE] = "page tables are freed after an IPI round trip instead of a "
			   "grace period (R5)",
	[PTBUG_NO_R4] = "a PMD whose TLB flush is pending is populated without the flush (R4)",
	[PTBUG_COLLAPSE_FREE_NOW] = "MADV_COLLAPSE frees the PTE table it retracted at once, "
				    "not after a grace period (what pte_free_defer prevents)",
};

void ptbug_init(void)
{
	if (!ptbug_name[0])
		return;
	for (unsigned int i = 1; i < ARRAY_SIZE(ptbug_names); i++) {
		if (!strcmp(ptbug_name, ptbug_names[i])) {
			ptbug = i;
			printk("!!! ptbug=%s: THIS KERNEL IS BROKEN ON PURPOSE !!!\n", ptbug_name);
			printk("!!! %s\n", ptbug_what[i]);
			return;
		}
	}
	printk("ptbug: unknown bug '%s' (known: ptlock-early, stale-scan, ipi-free, no-r4, "
	       "collapse-free-now)\n", ptbug_name);
}
