/*
 * Tests of the buddy allocator and the per-CPU page lists in front of it
 * (mm/page_alloc.c). Each ends with the free count it began with. Order-0
 * pages freed go onto a CPU's list, not into the buddy's blocks, so a test
 * that counts blocks drains the lists first (drain_all_pages).
 */
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/vmstat.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

/* A value to write in word w of page i of a block: differs for every word tested. */
static u64 pattern(unsigned int order, unsigned long i, int w)
{
	return 0xb0dd1e5000000000ul | (u64)order << 32 | i << 1 | (w != 0);
}

KTEST(buddy_every_order)
{
	unsigned long before = nr_free_pages();

	for (unsigned int order = 0; order <= MAX_ORDER; order++) {
		unsigned long n = 1ul << order;
		struct page *p = alloc_pages(order);
		KT_ASSERT(p != NULL);
		KT_EXPECT_EQ(page_order(p), order);
		KT_EXPECT_EQ(page_count(p), 1);
		KT_EXPECT(IS_ALIGNED(page_to_phys(p), PAGE_SIZE << order));
		KT_EXPECT_EQ(nr_free_pages(), before - n);

		/* The first and last word of every page: all mapped, writable, distinct. */
		for (unsigned long i = 0; i < n; i++) {
			u64 *w = page_address(p + i);
			w[0] = pattern(order, i, 0);
			w[PAGE_SIZE / 8 - 1] = pattern(order, i, 1);
		}
		for (unsigned long i = 0; i < n; i++) {
			u64 *w = page_address(p + i);
			KT_EXPECT_EQ(w[0], pattern(order, i, 0));
			KT_EXPECT_EQ(w[PAGE_SIZE / 8 - 1], pattern(order, i, 1));
		}
		__free_pages(p, order);
		KT_EXPECT_EQ(nr_free_pages(), before);
	}
	KT_EXPECT(alloc_pages(MAX_ORDER + 1) == NULL);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/*
 * Split a MAX_ORDER block into single pages and free them in an order that
 * makes every level of merging happen: the odd pages first (no buddy of
 * theirs is free, so nothing merges), then the even ones from the top down.
 */
KTEST(buddy_coalesce)
{
	drain_all_pages();
	unsigned long before = nr_free_pages(), top = nr_free_blocks(MAX_ORDER);
	unsigned long n = 1ul << MAX_ORDER;

	KT_ASSERT(top > 0);
	struct page *p = alloc_pages(MAX_ORDER);
	KT_ASSERT(p != NULL);
	KT_EXPECT_EQ(nr_free_blocks(MAX_ORDER), top - 1);
	split_page(p, MAX_ORDER);

	unsigned long singles = nr_free_blocks(0);
	for (unsigned long i = 1; i < n; i += 2)
		__free_page(p + i);
	drain_all_pages();
	KT_EXPECT_EQ(nr_free_blocks(0), singles + n / 2);
	KT_EXPECT_EQ(nr_free_blocks(MAX_ORDER), top - 1);

	for (long i = n - 2; i >= 0; i -= 2)
		__free_page(p + i);
	drain_all_pages();
	KT_EXPECT_EQ(nr_free_blocks(0), singles);
	KT_EXPECT_EQ(nr_free_blocks(MAX_ORDER), top);
	KT_EXPECT_EQ(nr_free_pages(), before);

	/* The merged block is whole again: the next MAX_ORDER allocation is it. */
	struct page *again = alloc_pages(MAX_ORDER);
	KT_EXPECT(again == p);
	if (again)
		__free_pages(again, MAX_ORDER);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/*
 * Splitting takes the smallest block that fits and leaves one free block
 * per order below it. Order 1: an order-0 allocation goes through the
 * per-CPU list, which takes pcp_batch pages from the buddy at once.
 */
KTEST(buddy_split)
{
	const unsigned int order = 1;
	unsigned long before, blocks[NR_PAGE_ORDERS];
	unsigned int from = order;

	drain_all_pages();
	before = nr_free_pages();
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		blocks[o] = nr_free_blocks(o);
	while (from <= MAX_ORDER && !blocks[from])
		from++;
	KT_ASSERT(from <= MAX_ORDER);

	struct page *p = alloc_pages(order);
	KT_ASSERT(p != NULL);
	KT_EXPECT_EQ(nr_free_blocks(from), blocks[from] - 1);
	for (unsigned int o = order; o < from; o++)
		KT_EXPECT_EQ(nr_free_blocks(o), blocks[o] + 1);
	KT_EXPECT_EQ(nr_free_blocks(0), blocks[0]);
	__free_pages(p, order);
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		KT_EXPECT_EQ(nr_free_blocks(o), blocks[o]);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/*
 * Allocate single pages until there are none: the number must match the
 * free count. Freeing them all must rebuild exactly the free lists there
 * were, order by order (merging leaves one layout for one set of pages).
 */
KTEST(buddy_exhaust)
{
	unsigned long before, blocks[NR_PAGE_ORDERS], n = 0;
	LIST_HEAD(taken);
	struct page *p, *tmp;

	drain_all_pages();
	before = nr_free_pages();
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		blocks[o] = nr_free_blocks(o);
	while ((p = alloc_page()) != NULL) {
		list_add(&p->lru, &taken);     /* an allocated page's lru is its owner's */
		n++;
	}
	KT_EXPECT_EQ(n, before);
	KT_EXPECT_EQ(nr_free_pages(), 0);
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		KT_EXPECT_EQ(nr_free_blocks(o), 0);

	list_for_each_entry_safe(p, tmp, &taken, lru) {
		list_del_init(&p->lru);
		__free_page(p);
	}
	KT_EXPECT_EQ(nr_free_pages(), before);
	drain_all_pages();
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		KT_EXPECT_EQ(nr_free_blocks(o), blocks[o]);
}

/* The helpers that go by address, and conversions between page, pfn and addresses. */
KTEST(buddy_addresses)
{
	unsigned long before = nr_free_pages();
	unsigned long a = get_zeroed_page();

	KT_ASSERT(a != 0);
	const u64 *w = (const u64 *)a;
	bool zero = true;
	for (unsigned long i = 0; i < PAGE_SIZE / 8; i++)
		zero &= w[i] == 0;
	KT_EXPECT(zero);

	struct page *p = virt_to_page((void *)a);
	KT_EXPECT((unsigned long)page_address(p) == a);
	KT_EXPECT(phys_to_page(page_to_phys(p)) == p);
	KT_EXPECT(pfn_to_page(page_to_pfn(p)) == p);
	KT_EXPECT_EQ(nr_free_pages(), before - 1);
	free_page(a);

	unsigned long b = __get_free_pages(3);
	KT_ASSERT(b != 0);
	KT_EXPECT(IS_ALIGNED(virt_to_phys((void *)b), 8 * PAGE_SIZE));
	KT_EXPECT_EQ(nr_free_pages(), before - 8);
	free_pages(b, 3);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/* ---- The per-CPU page lists ---- */

/*
 * The tests below count this CPU's events (vm_event_this_cpu) with
 * interrupts off: only this CPU's own work can move them, a count of what
 * the code did, not a time.
 */

/* Allocate up to n single pages onto taken (an allocated page's lru is its owner's). */
static unsigned long take_pages(struct list_head *taken, unsigned long n)
{
	unsigned long got = 0;
	struct page *p;

	while (got < n && (p = alloc_page()) != NULL) {
		list_add(&p->lru, taken);
		got++;
	}
	return got;
}

static void give_back(struct list_head *taken)
{
	struct page *p, *tmp;

	list_for_each_entry_safe(p, tmp, taken, lru) {
		list_del_init(&p->lru);
		__free_page(p);
	}
}

/* Pages on every CPU's list; *holding: how many CPUs hold some. */
static unsigned long pcp_total(int *holding)
{
	unsigned long sum = 0;

	*holding = 0;
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		sum += pcp_count(cpu);
		*holding += pcp_count(cpu) > 0;
	}
	return sum;
}

/*
 * What the lists are for: while this CPU's list has pages, alloc_page()
 * and __free_page() take no zone.lock. From an empty list, pcp_batch
 * allocations cost one refill -- one zone.lock -- and freeing them, then a
 * thousand allocate-and-free pairs, cost none. Interrupts stay off, so
 * nothing else on this CPU takes the lock meanwhile.
 */
KTEST(pcp_alloc_free_without_zone_lock)
{
	const unsigned long pairs = 1000;
	unsigned long before = nr_free_pages(), got, on_list, pair = 0;
	LIST_HEAD(taken);

	if (!pcp_high)
		KT_SKIP("per-CPU lists off (pcp_high=0)");
	unsigned long flags = irq_save();
	drain_local_pages();
	unsigned long locks0 = vm_event_this_cpu(ZONE_LOCK);
	unsigned long refills0 = vm_event_this_cpu(PCP_REFILL);
	unsigned long allocs0 = vm_event_this_cpu(PCP_ALLOC);
	got = take_pages(&taken, pcp_batch);
	unsigned long locks_taking = vm_event_this_cpu(ZONE_LOCK) - locks0;
	give_back(&taken);
	on_list = pcp_count(cpu_id());
	for (struct page *p; pair < pairs && (p = alloc_page()) != NULL; pair++)
		__free_page(p);
	unsigned long locks = vm_event_this_cpu(ZONE_LOCK) - locks0;
	unsigned long refills = vm_event_this_cpu(PCP_REFILL) - refills0;
	unsigned long allocs = vm_event_this_cpu(PCP_ALLOC) - allocs0;
	irq_restore(flags);

	KT_EXPECT_EQ(got, pcp_batch);
	KT_EXPECT_EQ(pair, pairs);
	KT_EXPECT_EQ(locks_taking, 1);        /* the refill */
	KT_EXPECT_EQ(refills, 1);
	KT_EXPECT_EQ(on_list, pcp_batch);     /* the frees kept them all */
	KT_EXPECT_EQ(locks, 1);               /* and nothing since took the lock */
	KT_EXPECT_EQ(allocs, pcp_batch + pairs);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/*
 * A list never holds more than its high: the free that would take it
 * past gives pcp_batch pages back to the buddy, under one zone.lock. Take
 * pcp_high + pcp_batch pages, free them one by one and watch the count.
 * The high's growth is held off meanwhile (pcp_high_max = pcp_high), so
 * the high stays pcp_high; pcp_high_grows_until_drained tests the growth.
 */
KTEST(pcp_list_bounded_by_high)
{
	unsigned long before = nr_free_pages(), n = pcp_high + pcp_batch, most = 0;
	unsigned long high_max = pcp_high_max;
	LIST_HEAD(taken);
	struct page *p, *tmp;

	if (!pcp_high)
		KT_SKIP("per-CPU lists off (pcp_high=0)");
	WRITE_ONCE(pcp_high_max, pcp_high);
	unsigned long flags = irq_save();
	drain_local_pages();
	unsigned long locks0 = vm_event_this_cpu(ZONE_LOCK);
	unsigned long refills0 = vm_event_this_cpu(PCP_REFILL);
	unsigned long spills0 = vm_event_this_cpu(PCP_FREE_BATCH);
	unsigned long got = take_pages(&taken, n);
	unsigned long left_after_taking = pcp_count(cpu_id());
	list_for_each_entry_safe(p, tmp, &taken, lru) {
		list_del_init(&p->lru);
		__free_page(p);
		most = MAX(most, pcp_count(cpu_id()));
	}
	unsigned long left = pcp_count(cpu_id());
	unsigned long locks = vm_event_this_cpu(ZONE_LOCK) - locks0;
	unsigned long refills = vm_event_this_cpu(PCP_REFILL) - refills0;
	unsigned long spills = vm_event_this_cpu(PCP_FREE_BATCH) - spills0;
	unsigned long high = pcp_high_now(cpu_id());
	irq_restore(flags);
	WRITE_ONCE(pcp_high_max, high_max);

	KT_EXPECT_EQ(got, n);
	KT_EXPECT_EQ(high, pcp_high);
	KT_EXPECT_EQ(most, pcp_high);         /* reached, never passed */
	KT_EXPECT(spills >= 1);
	/* Every page freed is on the list or went back in a batch of pcp_batch. */
	KT_EXPECT_EQ(left + spills * pcp_batch, left_after_taking + n);
	KT_EXPECT_EQ(locks, refills + spills); /* zone.lock only for whole batches */
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/*
 * The high's tuning: each refill (the list ran empty) raises it by
 * pcp_batch, up to pcp_high_max, so the frees that follow stay on the
 * list -- none goes back to the buddy; a drain puts it back at pcp_high.
 * Seen failing with the raise removed (the high stays 186 and 8 batches
 * go back) and with the reset removed (the high stays grown).
 */
KTEST(pcp_high_grows_until_drained)
{
	unsigned long before = nr_free_pages(), n = pcp_high + 8 * pcp_batch;
	LIST_HEAD(taken);

	if (!pcp_high)
		KT_SKIP("per-CPU lists off (pcp_high=0)");
	if (pcp_high_max < n)
		KT_SKIP("needs pcp_high_max of %lu or more", n);
	unsigned long flags = irq_save();
	drain_local_pages();
	unsigned long high0 = pcp_high_now(cpu_id());
	unsigned long refills0 = vm_event_this_cpu(PCP_REFILL);
	unsigned long raises0 = vm_event_this_cpu(PCP_HIGH_RAISE);
	unsigned long spills0 = vm_event_this_cpu(PCP_FREE_BATCH);
	unsigned long got = take_pages(&taken, n);
	unsigned long refills = vm_event_this_cpu(PCP_REFILL) - refills0;
	unsigned long raises = vm_event_this_cpu(PCP_HIGH_RAISE) - raises0;
	unsigned long high = pcp_high_now(cpu_id()), on_list = pcp_count(cpu_id());
	give_back(&taken);
	unsigned long spills = vm_event_this_cpu(PCP_FREE_BATCH) - spills0;
	unsigned long kept = pcp_count(cpu_id()) - on_list;
	drain_local_pages();
	unsigned long high_after_drain = pcp_high_now(cpu_id()), left = pcp_count(cpu_id());
	irq_restore(flags);

	KT_EXPECT_EQ(got, n);
	KT_EXPECT_EQ(high0, pcp_high);
	KT_EXPECT(refills * pcp_batch >= n);
	KT_EXPECT_EQ(raises, refills);
	KT_EXPECT_EQ(high, MIN(pcp_high + refills * pcp_batch, pcp_high_max));
	KT_EXPECT_EQ(spills, 0);                  /* every page freed stayed on the list */
	KT_EXPECT_EQ(kept, n);
	KT_EXPECT_EQ(high_after_drain, pcp_high);
	KT_EXPECT_EQ(left, 0);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/* Run on each CPU by a cross-CPU call: leave pages on its list. */
static void fill_list(void *unused)
{
	LIST_HEAD(taken);

	(void)unused;
	take_pages(&taken, pcp_batch);
	give_back(&taken);
}

/*
 * Pages on the lists are free (nr_free_pages counts them) but in no buddy
 * block; drain_all_pages() must give every CPU's list back, so the buddy's
 * blocks are exactly those there were before the lists filled.
 */
KTEST(pcp_drain_all_returns_every_page)
{
	unsigned long before, blocks[NR_PAGE_ORDERS];
	int holding;

	if (!pcp_high)
		KT_SKIP("per-CPU lists off (pcp_high=0)");
	nr_free_pages_settled();                  /* nothing left in flight to free */
	drain_all_pages();
	before = nr_free_pages();
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		blocks[o] = nr_free_blocks(o);

	on_each_cpu(fill_list, NULL, true);
	unsigned long held = pcp_total(&holding);
	KT_EXPECT_EQ(holding, nr_cpus);
	KT_EXPECT(held >= pcp_batch * nr_cpus);
	KT_EXPECT_EQ(nr_free_pages(), before);   /* pages on lists are free */

	drain_all_pages();
	KT_EXPECT_EQ(pcp_total(&holding), 0);
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		KT_EXPECT_EQ(nr_free_blocks(o), blocks[o]);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/*
 * Memory runs out on this CPU while another CPU's list still holds pages.
 * The allocation that finds the buddy empty must drain the other lists
 * and go on: single pages can be had until every free page is taken,
 * those that sat on the other CPU's list included.
 */
KTEST(pcp_drained_under_pressure)
{
	unsigned long before, held, n, left_there, drains0;
	LIST_HEAD(taken);

	if (!pcp_high)
		KT_SKIP("per-CPU lists off (pcp_high=0)");
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	nr_free_pages_settled();
	drain_all_pages();
	preempt_disable();                         /* "this CPU" stays this one */
	int other = (cpu_id() + 1) % nr_cpus;
	smp_call_function_single(other, fill_list, NULL, true);
	held = pcp_count(other);
	before = nr_free_pages();
	drains0 = vm_event_sum(PCP_DRAIN);
	n = take_pages(&taken, ~0ul);
	left_there = pcp_count(other);
	unsigned long drains = vm_event_sum(PCP_DRAIN) - drains0;
	give_back(&taken);
	preempt_enable();

	KT_EXPECT(held > 0);
	KT_EXPECT_EQ(n, before);
	KT_EXPECT_EQ(left_there, 0);
	KT_EXPECT(drains >= 1);
	KT_EXPECT_EQ(nr_free_pages(), before);
}

/*
 * A MAX_ORDER block freed page by page goes onto a per-CPU list, which
 * gives the buddy its pages back pcp_batch at a time: while some are still
 * on the list the block cannot merge whole. With every other MAX_ORDER
 * block taken, alloc_pages(MAX_ORDER) finds none, must drain the lists --
 * which completes the block -- and gets that very block.
 */
KTEST(pcp_drained_for_high_order)
{
	unsigned long before, whole, held, drains0;
	LIST_HEAD(big);
	struct page *p, *tmp;
	int holding;

	if (!pcp_high)
		KT_SKIP("per-CPU lists off (pcp_high=0)");
	nr_free_pages_settled();
	drain_all_pages();
	before = nr_free_pages();
	while ((p = alloc_pages(MAX_ORDER)) != NULL)
		list_add(&p->lru, &big);
	KT_ASSERT(!list_empty(&big));
	struct page *victim = list_first_entry(&big, struct page, lru);
	list_del_init(&victim->lru);
	split_page(victim, MAX_ORDER);
	for (unsigned long i = 0; i < 1ul << MAX_ORDER; i++)
		__free_page(victim + i);
	held = pcp_total(&holding);
	whole = nr_free_blocks(MAX_ORDER);
	drains0 = vm_event_sum(PCP_DRAIN);
	struct page *again = alloc_pages(MAX_ORDER);
	unsigned long drains = vm_event_sum(PCP_DRAIN) - drains0;

	KT_EXPECT(held > 0);
	KT_EXPECT_EQ(whole, 0);
	KT_EXPECT(again == victim);
	KT_EXPECT(drains >= 1);
	if (again)
		__free_pages(again, MAX_ORDER);
	list_for_each_entry_safe(p, tmp, &big, lru) {
		list_del_init(&p->lru);
		__free_pages(p, MAX_ORDER);
	}
	KT_EXPECT_EQ(nr_free_pages(), before);
}
