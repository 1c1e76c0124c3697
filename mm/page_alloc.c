/*
 * The buddy allocator (see page_alloc.h).
 *
 * One zone covers all of RAM. free_area[k] lists the free blocks of 2^k
 * pages; only the first page of a free block is on a list, marked PG_buddy
 * with page->order = k. The invariant that makes merging work: a free block
 * and its buddy are never both free at the same order -- freeing merges them
 * at once -- so the free lists are fully determined by which pages are free.
 *
 * Debug poisoning, cheap enough for TCG: freeing a block writes a poison word
 * at the start of each of its pages (PG_poisoned) and allocating checks it,
 * which catches the classic write-after-free into the first bytes of a page.
 * The boot option page_poison fills the whole page with that word instead,
 * and checks every word at allocation: then a read through a stale
 * translation sees poison wherever it lands, which is how the R2 test
 * (mm/tlb_rules_test.c) makes a page freed before its flush visible.
 * Pages that reach the buddy at boot are not poisoned: under TCG the first
 * write to a page costs microseconds, and touching all of RAM at every boot
 * would cost about a second.
 *
 * Per-CPU page lists (Linux's per_cpu_pages, "pcp"). Most allocations and
 * frees are of one page -- each anonymous fault takes one, each zap gives
 * them back -- and with a single zone.lock for all of RAM, CPUs faulting
 * and freeing at the same time all queued on it. So each CPU keeps a short
 * list of free order-0 pages in front of the buddy: alloc_page() takes from
 * it, __free_page() puts on it, and zone.lock is taken once per pcp_batch
 * pages, to refill an empty list or to give pcp_batch pages back when the
 * list grows past its high. Higher orders always go to the buddy.
 *
 * A list's high is tuned (Linux 6.7's "PCP high auto-tuning", made
 * simple): it starts at pcp_high, and each time the list runs empty -- the
 * CPU allocates more than it holds -- it grows by a batch, up to
 * pcp_high_max. A CPU that maps, touches and unmaps 16 MiB over and over
 * then keeps the 4096 pages its munmap frees for its next faults, instead
 * of giving all but 186 back to the buddy and taking them again, 31 pages
 * per zone.lock. A drain (memory ran short) puts every high back at
 * pcp_high. So a CPU may hold up to pcp_high_max pages it no longer
 * needs; they are free all the same (below), and drained before any
 * allocation fails.
 *
 * A CPU's list is used only by that CPU, with interrupts off: that is its
 * whole protection, no lock. The only code that could run on the same CPU
 * in the middle of a list operation is an interrupt handler or a cross-CPU
 * call, and interrupts off keeps both out; threads (the RCU callback
 * threads that free page tables included) are never switched with
 * interrupts off. No other CPU touches the list: to empty it, it asks the
 * owner with a cross-CPU call (drain_all_pages).
 *
 * Pages on a list are free: poisoned like any freed page, and counted by
 * nr_free_pages() (so MemFree, the leak checks and the OOM killer see
 * them, as Linux's MemFree does). But they are not PG_buddy, so they do not
 * merge: nr_free_blocks() counts the buddy alone, and a page held on some
 * list may keep a large block from forming. So before alloc_pages() gives
 * up, of any order, it drains the lists and tries once more.
 */
#include "mm/page_alloc.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/memblock.h"

bool page_poison;
BOOT_OPTION_BOOL("page_poison", page_poison,
		 "poison every word of a freed page and check them all at allocation (debug)");

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;                 /* blocks on free_list */
};

static struct zone {
	spinlock_t lock;                       /* irqsave: may be taken in interrupts */
	/* zone.lock must be held to use these: */
	struct free_area free_area[NR_PAGE_ORDERS];
	unsigned long nr_free;                 /* free pages in the buddy, every order */
	unsigned long managed_pages;           /* pages ever handed to the buddy */
} zone = { .lock = SPINLOCK_INIT("zone.lock") };

/*
 * One CPU's list of free order-0 pages (see the top of the file). Only its
 * CPU changes it, with interrupts off; a refill, a spill or a drain also
 * holds zone.lock while it moves pages, so nr_free_pages() summing the
 * buddy and every count under zone.lock sees no page twice, none missing.
 */
struct per_cpu_pages {
	struct list_head list;       /* the most recently freed (cache-hot) first */
	unsigned long count;         /* pages on list; other CPUs read it */
	unsigned long high;          /* the list gives a batch back past this: pcp_high..pcp_high_max */
};
static DEFINE_PER_CPU(struct per_cpu_pages, pcp_lists);

/*
 * The lists' bounds, the same for every CPU: Linux's classic defaults for
 * a zone of 512 MiB (batch: a quarter of managed pages / 1024, rounded to
 * 2^n - 1; high: 6 batches). What the lists buy, from lockstat of
 * 4-thread runs of 3 s (tools/run-elf --profile, -smp 4 on 2 loaded host
 * cores): zone.lock taken per 1000 pages faulted in and freed,
 * page_fault1 / tlb_flush2: no lists (pcp_high=0) 2030 / 2050, high 64
 * batch 16 124 / 103, high 186 batch 31 63 / 26; contended acquisitions
 * of tlb_flush2 in 3 s, 1.3 k-100 k -> 24-63, its time spinning for the
 * lock 110-190 ms -> 2-14 ms; page_fault1's zone.lock left the profile's
 * spinners (13-18% of them before). Throughput: see README's Benchmarks.
 */
unsigned long pcp_high = 186;
BOOT_OPTION_ULONG("pcp_high", pcp_high,
		  "most free pages a CPU keeps on its own list; 0: no per-CPU lists, "
		  "every page from the buddy under zone.lock (186)");
unsigned long pcp_batch = 31;
BOOT_OPTION_ULONG("pcp_batch", pcp_batch,
		  "pages a per-CPU list takes from or gives back to the buddy under one "
		  "zone.lock, 1..pcp_high (31)");
/*
 * How far a list's high may grow (0: a 32nd of RAM, so 4 CPUs may keep an
 * eighth of it). What the growth buys, page_fault1 (16 MiB per worker)
 * on 4 TCG vCPUs / 2 host cores, same build, two alternating pairs of
 * boots, pcp_high_max=186 (no growth) -> default, faults/s: 4 threads
 * 463-485 k -> 508-509 k, 4 processes 559-580 k -> 616-632 k, 1 thread
 * 351-382 k -> 374-382 k (one CPU never waits for zone.lock anyway).
 */
unsigned long pcp_high_max;
BOOT_OPTION_ULONG("pcp_high_max", pcp_high_max,
		  "most pages a CPU's list may keep once its high has grown; pcp_high: "
		  "no growth (0: a 32nd of RAM)");

struct page *mem_map;
unsigned long max_pfn;
static bool ready;

bool page_alloc_ready(void)
{
	return ready;
}

static void add_to_free_list(struct page *page, unsigned int order)
{
	SetPageBuddy(page);
	page->order = order;
	list_add(&page->lru, &zone.free_area[order].free_list);
	zone.free_area[order].nr_free++;
	zone.nr_free += 1ul << order;
}

static void del_from_free_list(struct page *page, unsigned int order)
{
	list_del_init(&page->lru);
	ClearPageBuddy(page);
	zone.free_area[order].nr_free--;
	zone.nr_free -= 1ul << order;
}

/* The block at buddy is free and whole at this order: it can be merged. */
static bool page_is_buddy(const struct page *buddy, unsigned int order)
{
	return PageBuddy(buddy) && buddy->order == order;
}

/*
 * Put the block of 2^order pages at pfn on the free lists, merging it with
 * its buddy, and the result with its buddy, as far up as they are free.
 * The merged block starts at the lower of the two: pfn with bit `order`
 * cleared. Zone lock held.
 */
static void free_one_page(unsigned long pfn, unsigned int order)
{
	while (order < MAX_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1ul << order);
		if (!pfn_valid(buddy_pfn) || !page_is_buddy(pfn_to_page(buddy_pfn), order))
			break;
		del_from_free_list(pfn_to_page(buddy_pfn), order);
		pfn &= ~(1ul << order);
		order++;
	}
	add_to_free_list(pfn_to_page(pfn), order);
}

/*
 * Take a free block of at least 2^order pages and split it: each split puts
 * the upper half back on the list one order down, until the lower half has
 * the order wanted. NULL if no block is large enough. Zone lock held.
 */
static struct page *rmqueue(unsigned int order)
{
	for (unsigned int cur = order; cur <= MAX_ORDER; cur++) {
		struct free_area *area = &zone.free_area[cur];
		if (list_empty(&area->free_list))
			continue;
		struct page *page = list_first_entry(&area->free_list, struct page, lru);
		del_from_free_list(page, cur);
		while (cur > order) {
			cur--;
			add_to_free_list(page + (1ul << cur), cur);
		}
		return page;
	}
	return NULL;
}

/* The words of a free page that hold poison: the first, or all (page_poison). */
static unsigned int poison_words(void)
{
	return page_poison ? PAGE_SIZE / sizeof(u64) : 1;
}

static void poison_pages(struct page *page, unsigned int order)
{
	for (unsigned long i = 0; i < 1ul << order; i++) {
		u64 *word = page_address(page + i);
		for (unsigned int w = 0; w < poison_words(); w++)
			word[w] = PAGE_POISON_FREE;
		SetPagePoisoned(page + i);
	}
}

static void check_poison(struct page *page, unsigned int order)
{
	for (unsigned long i = 0; i < 1ul << order; i++) {
		if (!PagePoisoned(page + i))
			continue;
		const u64 *word = page_address(page + i);
		for (unsigned int w = 0; w < poison_words(); w++)
			if (word[w] != PAGE_POISON_FREE)
				panic("page_alloc: pfn %#lx was written after it was freed "
				      "(offset %#x: %#lx)", page_to_pfn(page + i),
				      w * 8, word[w]);
		ClearPagePoisoned(page + i);
	}
}

/* Every taker of zone.lock comes through here: zone_lock in /proc/vmstat counts them. */
static unsigned long zone_lock_irqsave(void)
{
	unsigned long flags = spin_lock_irqsave(&zone.lock);

	count_vm_event(ZONE_LOCK);
	return flags;
}

static void zone_unlock_irqrestore(unsigned long flags)
{
	spin_unlock_irqrestore(&zone.lock, flags);
}

/* Up to pcp_batch pages from the buddy onto this CPU's empty list. Interrupts off. */
static void pcp_refill(struct per_cpu_pages *pcp)
{
	unsigned long flags = zone_lock_irqsave();

	for (unsigned long i = 0; i < pcp_batch; i++) {
		struct page *page = rmqueue(0);
		if (!page)
			break;
		list_add_tail(&page->lru, &pcp->list);
		WRITE_ONCE(pcp->count, pcp->count + 1);
	}
	zone_unlock_irqrestore(flags);
	count_vm_event(PCP_REFILL);
	/* Ran empty: this CPU allocates more than it holds, so let it keep more of what it frees. */
	if (pcp->high < pcp_high_max) {
		WRITE_ONCE(pcp->high, MIN(pcp->high + pcp_batch, pcp_high_max));
		count_vm_event(PCP_HIGH_RAISE);
	}
}

/* Give n pages (or all there are) from the cold end of this CPU's list to the buddy. Interrupts off. */
static void pcp_free_bulk(struct per_cpu_pages *pcp, unsigned long n)
{
	unsigned long flags = zone_lock_irqsave();

	for (; n && pcp->count; n--) {
		struct page *page = list_last_entry(&pcp->list, struct page, lru);
		list_del_init(&page->lru);
		WRITE_ONCE(pcp->count, pcp->count - 1);
		free_one_page(page_to_pfn(page), 0);
	}
	zone_unlock_irqrestore(flags);
}

/*
 * The fast path of alloc_page(): no lock, only interrupts off, while this
 * CPU's list has pages. NULL if the list and the buddy are both empty.
 */
static struct page *pcp_alloc(void)
{
	unsigned long flags = irq_save();
	struct per_cpu_pages *pcp = this_cpu_ptr(&pcp_lists);
	struct page *page = NULL;

	if (list_empty(&pcp->list))
		pcp_refill(pcp);
	if (!list_empty(&pcp->list)) {
		page = list_first_entry(&pcp->list, struct page, lru);
		list_del_init(&page->lru);
		WRITE_ONCE(pcp->count, pcp->count - 1);
		count_vm_event(PCP_ALLOC);
	}
	irq_restore(flags);
	return page;
}

/* The fast path of __free_page(): onto this CPU's list, spilling pcp_batch pages past its high. */
static void pcp_free(struct page *page)
{
	unsigned long flags = irq_save();
	struct per_cpu_pages *pcp = this_cpu_ptr(&pcp_lists);

	list_add(&page->lru, &pcp->list);
	WRITE_ONCE(pcp->count, pcp->count + 1);
	if (pcp->count > pcp->high) {
		pcp_free_bulk(pcp, pcp_batch);
		count_vm_event(PCP_FREE_BATCH);
	}
	irq_restore(flags);
}

void drain_local_pages(void)
{
	unsigned long flags = irq_save();
	struct per_cpu_pages *pcp = this_cpu_ptr(&pcp_lists);

	if (pcp->count)
		pcp_free_bulk(pcp, pcp->count);
	WRITE_ONCE(pcp->high, pcp_high);      /* memory ran short: start small again */
	irq_restore(flags);
}

static void drain_local_pages_call(void *unused)
{
	(void)unused;
	drain_local_pages();
}

void drain_all_pages(void)
{
	count_vm_event(PCP_DRAIN);
	on_each_cpu(drain_local_pages_call, NULL, true);
}

/* 2^order pages: order 0 through this CPU's list, larger blocks straight from the buddy. */
static struct page *get_page_from_freelist(unsigned int order)
{
	if (order == 0 && pcp_high)
		return pcp_alloc();

	unsigned long flags = zone_lock_irqsave();
	struct page *page = rmqueue(order);
	zone_unlock_irqrestore(flags);
	return page;
}

/*
 * An allocation found nothing, but free pages may sit on per-CPU lists,
 * where the buddy can neither hand them out nor merge them into the block
 * wanted: give them back. Asking the other CPUs is a waiting cross-CPU
 * call, which needs interrupts on and no interrupt handler (kernel/smp.h);
 * anywhere else (an interrupt, kernel_pt_lock held) only this CPU's own list
 * can be emptied.
 */
static void drain_before_failing(void)
{
	if (irqs_enabled() && !this_cpu()->irq_depth)
		drain_all_pages();
	else
		drain_local_pages();
}

/* fault_inject=page_alloc:every=N: walk every caller down its NULL path. */
DEFINE_FAULT_INJECT(fi_page_alloc, "page_alloc",
		    "alloc_pages() fails for user processes (every=N or percent=P:seed=S)");

struct page *alloc_pages(unsigned int order)
{
	if (order > MAX_ORDER || should_fail(&fi_page_alloc))
		return NULL;
	struct page *page = get_page_from_freelist(order);
	if (!page && pcp_high) {
		drain_before_failing();
		page = get_page_from_freelist(order);
	}
	if (!page)
		return NULL;
	check_poison(page, order);
	page->order = order;
	set_page_count(page, 1);
	return page;
}

/* The checks that catch a bad free before it corrupts the free lists. */
static void check_free(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);

	if (order > MAX_ORDER || !pfn_valid(pfn) || !IS_ALIGNED(pfn, 1ul << order))
		panic("__free_pages: bad block pfn %#lx order %u", pfn, order);
	if (PageBuddy(page) || page_count(page) <= 0)
		panic("__free_pages: pfn %#lx is already free (double free)", pfn);
	if (PageReserved(page))
		panic("__free_pages: pfn %#lx is reserved, never allocated", pfn);
}

/*
 * The last reference is gone: the owner must have freed the block with the
 * order it got and cleared every flag it set, in every page. Then poison.
 */
static void free_pages_prepare(struct page *page, unsigned int order)
{
	if (page->order != order)
		panic("__free_pages: pfn %#lx allocated with order %u, freed with %u",
		      page_to_pfn(page), page->order, order);
	for (unsigned long i = 0; i < 1ul << order; i++)
		if (page[i].flags)
			panic("__free_pages: pfn %#lx freed with flags %#lx still set",
			      page_to_pfn(page + i), page[i].flags);
	poison_pages(page, order);
}

void __free_pages(struct page *page, unsigned int order)
{
	check_free(page, order);
	if (!page_ref_dec_and_test(page))
		return;
	free_pages_prepare(page, order);
	if (order == 0 && pcp_high) {
		pcp_free(page);
		return;
	}
	unsigned long flags = zone_lock_irqsave();
	free_one_page(page_to_pfn(page), order);
	zone_unlock_irqrestore(flags);
}

unsigned long __get_free_pages(unsigned int order)
{
	struct page *page = alloc_pages(order);
	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(void)
{
	unsigned long addr = __get_free_page();
	if (addr)
		memset((void *)addr, 0, PAGE_SIZE);
	return addr;
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page((void *)addr), order);
}

void split_page(struct page *page, unsigned int order)
{
	if (page->order != order || page_count(page) != 1)
		panic("split_page: pfn %#lx is not an order-%u block with one user",
		      page_to_pfn(page), order);
	for (unsigned long i = 0; i < 1ul << order; i++) {
		page[i].order = 0;
		set_page_count(&page[i], 1);
	}
}

unsigned long nr_free_pages(void)
{
	unsigned long flags = zone_lock_irqsave();
	unsigned long n = zone.nr_free;

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		n += READ_ONCE(per_cpu_ptr(&pcp_lists, cpu)->count);
	zone_unlock_irqrestore(flags);
	return n;
}

unsigned long pcp_high_now(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&pcp_lists, cpu)->high);
}

unsigned long pcp_count(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&pcp_lists, cpu)->count);
}

unsigned long nr_free_blocks(unsigned int order)
{
	return order <= MAX_ORDER ? READ_ONCE(zone.free_area[order].nr_free) : 0;
}

unsigned long totalram_pages(void)
{
	return zone.managed_pages;
}

/*
 * Give the pfns [start, end) to the buddy in the largest blocks their
 * alignment allows, through the ordinary merging path, so that blocks from
 * neighbouring ranges merge as they would had they been freed later.
 */
void free_pages_memory(unsigned long start, unsigned long end)
{
	unsigned long flags = zone_lock_irqsave();

	while (start < end) {
		unsigned int order = MAX_ORDER;
		while (!IS_ALIGNED(start, 1ul << order) || start + (1ul << order) > end)
			order--;
		for (unsigned long i = 0; i < 1ul << order; i++) {
			struct page *p = pfn_to_page(start + i);
			ClearPageReserved(p);
			set_page_count(p, 0);
		}
		free_one_page(start, order);
		zone.managed_pages += 1ul << order;
		start += 1ul << order;
	}
	zone_unlock_irqrestore(flags);
}

/* Empty lists for every possible CPU, each high at pcp_high; pcp_batch brought within 1..pcp_high. */
static void pcp_init(void)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		INIT_LIST_HEAD(&per_cpu_ptr(&pcp_lists, cpu)->list);
		per_cpu_ptr(&pcp_lists, cpu)->high = pcp_high;
	}
	if (pcp_high)
		pcp_batch = MIN(MAX(pcp_batch, 1ul), pcp_high);
}

/* Once RAM is in the buddy: how far a high may grow. */
static void pcp_init_high_max(void)
{
	if (!pcp_high) {
		printk("page_alloc: per-CPU page lists off (pcp_high=0)\n");
		return;
	}
	if (!pcp_high_max)
		pcp_high_max = zone.managed_pages / 32;
	pcp_high_max = MAX(pcp_high_max, pcp_high);
	printk("page_alloc: per-CPU page lists: high %lu (grows to %lu), batch %lu\n", pcp_high,
	       pcp_high_max, pcp_batch);
}

/*
 * mem_map comes from memblock (not zeroed by it: each entry is written
 * here anyway); every page starts reserved with one reference, and memblock_free_all() then frees the ones that are RAM and
 * not in use. Runs once, on the boot CPU, after the kernel page tables map
 * all RAM (mem_map may lie above 4 GiB).
 */
void page_alloc_init(void)
{
	max_pfn = memblock_end_of_DRAM() >> PAGE_SHIFT;
	mem_map = memblock_alloc_raw(max_pfn * sizeof(struct page), PAGE_SIZE);
	if (!mem_map)
		panic("page_alloc_init: no memory for mem_map (%lu pages)", max_pfn);
	for (unsigned long pfn = 0; pfn < max_pfn; pfn++)
		mem_map[pfn] = (struct page){ .flags = 1ul << PG_reserved, ._refcount = 1 };
	for (unsigned int order = 0; order <= MAX_ORDER; order++)
		INIT_LIST_HEAD(&zone.free_area[order].free_list);
	pcp_init();
	memblock_free_all();
	pcp_init_high_max();
	ready = true;
}
