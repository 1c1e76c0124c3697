/*
 * Tests of kmalloc and object caches (mm/slab.c). Caches keep an empty slab
 * around, so each test shrinks them before it counts free pages, at the
 * start and at the end: what is left over then is a leak.
 */
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

#define PTR_ARRAY_ORDER 3                                 /* 8 pages of pointers */
#define PTR_ARRAY_LEN ((PAGE_SIZE << PTR_ARRAY_ORDER) / sizeof(void *))

static unsigned long free_pages_shrunk(void)
{
	kmem_cache_shrink_all();
	return nr_free_pages();
}

/* Fill object i (size bytes) with words naming it, so any overlap shows. */
static void fill(void *obj, size_t size, unsigned long i)
{
	u64 *w = obj;
	for (size_t k = 0; k < size / 8; k++)
		w[k] = 0x51ab000000000000ul | i << 16 | k;
}

static bool intact(const void *obj, size_t size, unsigned long i)
{
	const u64 *w = obj;
	for (size_t k = 0; k < size / 8; k++)
		if (w[k] != (0x51ab000000000000ul | i << 16 | k))
			return false;
	return true;
}

/*
 * For each size class: enough objects to fill several slabs, of request
 * sizes spread over (class/2, class]; each must get the whole class, be
 * aligned to it and overlap no other. Freed odd ones first, then even.
 */
static void one_class(struct ktest_ctx *t, void **objs, size_t cls)
{
	size_t n = MIN(PTR_ARRAY_LEN, 12 * PAGE_SIZE / cls);
	size_t bad_size = 0, bad_align = 0, bad_fill = 0;

	for (size_t i = 0; i < n; i++) {
		objs[i] = kmalloc(cls / 2 + 1 + i % (cls / 2));
		KT_ASSERT(objs[i] != NULL);
		bad_size += ksize(objs[i]) != cls;
		bad_align += !IS_ALIGNED((unsigned long)objs[i], cls);
		fill(objs[i], cls, i);
	}
	for (size_t i = 0; i < n; i++)
		bad_fill += !intact(objs[i], cls, i);
	KT_EXPECT_EQ(bad_size, 0);
	KT_EXPECT_EQ(bad_align, 0);
	KT_EXPECT_EQ(bad_fill, 0);
	for (size_t i = 1; i < n; i += 2)
		kfree(objs[i]);
	for (size_t i = 0; i < n; i += 2)
		kfree(objs[i]);
}

KTEST(kmalloc_every_class)
{
	unsigned long before = free_pages_shrunk();
	void **objs = (void **)__get_free_pages(PTR_ARRAY_ORDER);

	KT_ASSERT(objs != NULL);
	for (size_t cls = KMALLOC_MIN_SIZE; cls <= KMALLOC_MAX_CACHE_SIZE; cls *= 2)
		one_class(t, objs, cls);
	free_pages((unsigned long)objs, PTR_ARRAY_ORDER);
	KT_EXPECT_EQ(free_pages_shrunk(), before);
}

KTEST(kmalloc_odd_sizes)
{
	static const size_t sizes[] = { 1, 7, 15, 17, 100, 1000, 2047, 2049, 5000, 65537 };
	unsigned long before = free_pages_shrunk();
	void *objs[ARRAY_SIZE(sizes)];

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		objs[i] = kmalloc(sizes[i]);
		KT_ASSERT(objs[i] != NULL);
		KT_EXPECT(ksize(objs[i]) >= sizes[i]);
		memset(objs[i], 0x30 + (int)i, sizes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		const u8 *b = objs[i];
		KT_EXPECT(b[0] == 0x30 + i && b[sizes[i] - 1] == 0x30 + i);
		kfree(objs[i]);
	}
	KT_EXPECT(kmalloc(0) == NULL);
	kfree(NULL);
	KT_EXPECT_EQ(free_pages_shrunk(), before);
}

/* Beyond the largest class, whole pages: 2^order of them, page aligned. */
KTEST(kmalloc_large)
{
	static const struct { size_t size; unsigned int order; } cases[] = {
		{ KMALLOC_MAX_CACHE_SIZE + 1, 0 }, { PAGE_SIZE, 0 }, { 2 * PAGE_SIZE + 1, 2 },
		{ 1ul << 20, 8 }, { KMALLOC_MAX_SIZE, MAX_ORDER },
	};
	unsigned long before = free_pages_shrunk();

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u8 *p = kmalloc(cases[i].size);
		KT_ASSERT(p != NULL);
		KT_EXPECT(IS_ALIGNED((unsigned long)p, PAGE_SIZE));
		KT_EXPECT_EQ(ksize(p), PAGE_SIZE << cases[i].order);
		KT_EXPECT_EQ(nr_free_pages(), before - (1ul << cases[i].order));
		p[0] = 1;
		p[cases[i].size - 1] = 2;
		KT_EXPECT(p[0] == 1 && p[cases[i].size - 1] == 2);
		kfree(p);
		KT_EXPECT_EQ(nr_free_pages(), before);
	}
	KT_EXPECT(kmalloc(KMALLOC_MAX_SIZE + 1) == NULL);
	KT_EXPECT_EQ(free_pages_shrunk(), before);
}

/* Is p one of the freed objs[i]? If so, mark it taken again. */
static bool take_back(void **objs, bool *freed, int n, const void *p)
{
	for (int i = 0; i < n; i++) {
		if (freed[i] && objs[i] == p) {
			freed[i] = false;
			return true;
		}
	}
	return false;
}

/*
 * Freed objects are handed out again: in a cache, the last one freed comes
 * back first; in kmalloc, after every other object of a hundred is freed,
 * allocating again returns all of them before a single new page is taken
 * (the slabs freed into go to the front of the partial list; other free
 * slots of those slabs may come first).
 */
KTEST(kmalloc_reuse)
{
	enum { N = 100 };
	unsigned long before = free_pages_shrunk();
	struct kmem_cache *c = kmem_cache_create("ktest-reuse", 64, 0);
	void *objs[N], *extra[N];
	bool freed[N] = { false };
	int back = 0, nr_extra = 0;

	KT_ASSERT(c != NULL);
	void *keep = kmem_cache_alloc(c), *p = kmem_cache_alloc(c);
	KT_ASSERT(keep && p);
	kmem_cache_free(c, p);
	void *q = kmem_cache_alloc(c);
	KT_EXPECT(q == p);
	kmem_cache_free(c, q);
	kmem_cache_free(c, keep);
	kmem_cache_destroy(c);

	for (int i = 0; i < N; i++) {
		objs[i] = kmalloc(128);
		KT_ASSERT(objs[i] != NULL);
	}
	for (int i = 1; i < N; i += 2) {
		kfree(objs[i]);
		freed[i] = true;
	}
	unsigned long start = nr_free_pages();
	while (back < N / 2 && nr_extra < N) {
		void *o = kmalloc(128);
		KT_ASSERT(o != NULL);
		if (take_back(objs, freed, N, o))
			back++;
		else
			extra[nr_extra++] = o;
	}
	KT_EXPECT_EQ(back, N / 2);
	KT_EXPECT_EQ(nr_free_pages(), start);
	for (int i = 0; i < N; i++)
		if (!freed[i])
			kfree(objs[i]);
	for (int k = 0; k < nr_extra; k++)
		kfree(extra[k]);
	KT_EXPECT_EQ(free_pages_shrunk(), before);
}

KTEST(kzalloc_zeroed)
{
	unsigned long before = free_pages_shrunk();
	u8 *p = kmalloc(256);

	KT_ASSERT(p != NULL);
	memset(p, 0xa5, 256);
	kfree(p);
	u8 *q = kzalloc(256);
	KT_ASSERT(q != NULL);
	bool zero = true;
	for (int i = 0; i < 256; i++)
		zero &= q[i] == 0;
	KT_EXPECT(zero);
	kfree(q);
	KT_EXPECT_EQ(free_pages_shrunk(), before);
}

KTEST(kmem_cache_objects)
{
	unsigned long before = free_pages_shrunk();
	struct kmem_cache *c = kmem_cache_create("ktest-objects", 40, 64);
	enum { N = 200 };
	void *objs[N];
	int bad_align = 0, bad_fill = 0;

	KT_ASSERT(c != NULL);
	for (int i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(c);
		KT_ASSERT(objs[i] != NULL);
		bad_align += !IS_ALIGNED((unsigned long)objs[i], 64);
		fill(objs[i], 40, i);
	}
	for (int i = 0; i < N; i++)
		bad_fill += !intact(objs[i], 40, i);
	KT_EXPECT_EQ(bad_align, 0);
	KT_EXPECT_EQ(bad_fill, 0);
	for (int i = 0; i < N; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_destroy(c);
	KT_EXPECT(kmem_cache_create("ktest-bad-align", 40, 48) == NULL);
	KT_EXPECT_EQ(free_pages_shrunk(), before);
}

/* A cache keeps exactly one empty slab when everything is freed; shrinking returns it. */
KTEST(slab_keeps_one_empty)
{
	unsigned long before = free_pages_shrunk();
	struct kmem_cache *c = kmem_cache_create("ktest-keep", 512, 0);  /* 8 per page */
	enum { N = 64 };
	void *objs[N];

	KT_ASSERT(c != NULL);
	unsigned long start = nr_free_pages();
	for (int i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(c);
		KT_ASSERT(objs[i] != NULL);
	}
	KT_EXPECT_EQ(start - nr_free_pages(), N / 8);
	KT_EXPECT(slab_pages() >= N / 8);
	for (int i = 0; i < N; i++)
		kmem_cache_free(c, objs[i]);
	KT_EXPECT_EQ(start - nr_free_pages(), 1);
	KT_EXPECT_EQ(kmem_cache_shrink(c), 1);
	KT_EXPECT_EQ(nr_free_pages(), start);
	kmem_cache_destroy(c);
	KT_EXPECT_EQ(free_pages_shrunk(), before);
}
