/* Tests of the buddy allocator (mm/page_alloc.c). Each ends with the free count it began with. */
#include "kernel/ktest.h"
#include "mm/page_alloc.h"

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
	KT_EXPECT_EQ(nr_free_blocks(0), singles + n / 2);
	KT_EXPECT_EQ(nr_free_blocks(MAX_ORDER), top - 1);

	for (long i = n - 2; i >= 0; i -= 2)
		__free_page(p + i);
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

/* Splitting takes the smallest block that fits and leaves one free block per order below it. */
KTEST(buddy_split)
{
	unsigned long before = nr_free_pages(), blocks[NR_PAGE_ORDERS];
	unsigned int from = 0;

	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		blocks[o] = nr_free_blocks(o);
	while (from <= MAX_ORDER && !blocks[from])
		from++;
	KT_ASSERT(from <= MAX_ORDER);

	struct page *p = alloc_page();
	KT_ASSERT(p != NULL);
	KT_EXPECT_EQ(nr_free_blocks(from), blocks[from] - 1);
	for (unsigned int o = 0; o < from; o++)
		KT_EXPECT_EQ(nr_free_blocks(o), blocks[o] + 1);
	__free_page(p);
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
	unsigned long before = nr_free_pages(), blocks[NR_PAGE_ORDERS], n = 0;
	LIST_HEAD(taken);
	struct page *p, *tmp;

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
