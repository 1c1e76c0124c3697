/*
 * Slab caches and kmalloc (see slab.h).
 *
 * A cache keeps its slabs on three lists by how full they are: `partial`
 * (some objects free), `full` (none free) and `empty` (all free). Allocation
 * takes from a partial slab, else an empty one, else a new slab from the
 * buddy allocator. A slab that becomes empty is kept if it is the cache's
 * only empty slab and returned to the buddy otherwise.
 *
 * Debug check, cheap: a free object carries SLAB_FREE_MARK in its second
 * word; kfree of an object that carries it looks for it on its slab's free
 * list and panics on a double free.
 *
 * Lock order: slab_caches_lock, then a cache's lock, then the zone lock.
 */
#include "mm/slab.h"
#include "kernel/list.h"
#include "kernel/printk.h"
#include "kernel/rcu.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

#define SLAB_FREE_MARK 0x6b6b6b6b5ab1f4eeul
#define SLAB_MAX_ORDER 3
#define SLAB_MIN_OBJECTS 8
#define NR_KMALLOC_CACHES 8                /* 16, 32, ..., 2048 */

struct kmem_cache {
	const char *name;
	unsigned int size;                 /* object size, a multiple of align */
	unsigned int align;
	unsigned int order;                /* a slab is 2^order pages */
	unsigned int objects;              /* objects per slab */
	struct list_head list;             /* in slab_caches (slab_caches_lock) */
	spinlock_t lock;                   /* irqsave */
	/* lock must be held to use these (and the slab fields of the pages): */
	struct list_head partial, full, empty;
	unsigned long nr_slabs;
};

static struct kmem_cache kmalloc_caches[NR_KMALLOC_CACHES];
static const char *const kmalloc_names[NR_KMALLOC_CACHES] = {
	"kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
	"kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};

static DEFINE_SPINLOCK(slab_caches_lock);
static LIST_HEAD(slab_caches);            /* every cache; slab_caches_lock */

/* The smallest slab order that holds SLAB_MIN_OBJECTS objects, up to SLAB_MAX_ORDER. */
static unsigned int slab_order(unsigned int size)
{
	unsigned int order = 0;

	while (order < SLAB_MAX_ORDER && (PAGE_SIZE << order) / size < SLAB_MIN_OBJECTS)
		order++;
	return order;
}

/* Fill in c; returns false if objects this large do not fit a slab. */
static bool cache_init(struct kmem_cache *c, const char *name, size_t size, size_t align)
{
	if (!align)
		align = sizeof(void *);
	if (align & (align - 1))
		return false;
	size = ALIGN_UP(MAX(size, (size_t)KMALLOC_MIN_SIZE), align);
	if (size > (PAGE_SIZE << SLAB_MAX_ORDER))
		return false;
	c->name = name;
	c->size = size;
	c->align = align;
	c->order = slab_order(size);
	c->objects = (PAGE_SIZE << c->order) / size;
	spin_lock_init(&c->lock, name);
	INIT_LIST_HEAD(&c->partial);
	INIT_LIST_HEAD(&c->full);
	INIT_LIST_HEAD(&c->empty);
	c->nr_slabs = 0;
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);
	list_add_tail(&c->list, &slab_caches);
	spin_unlock_irqrestore(&slab_caches_lock, flags);
	return true;
}

/* The first page of the slab (or kmalloc block) that holds p. */
static struct page *virt_to_head_page(const void *p)
{
	struct page *page = virt_to_page(p);
	return PageTail(page) ? page->head_page : page;
}

/*
 * A new slab for c: 2^order pages, every object on the free list in address
 * order. Called without c->lock (it calls the buddy allocator); the caller
 * puts the slab on a list. NULL if there are no pages.
 */
static struct page *new_slab(struct kmem_cache *c)
{
	struct page *slab = alloc_pages(c->order);
	if (!slab)
		return NULL;
	char *base = page_address(slab);
	SetPageSlab(slab);
	slab->slab_cache = c;
	slab->inuse = 0;
	for (unsigned long i = 1; i < 1ul << c->order; i++) {
		SetPageTail(&slab[i]);
		slab[i].head_page = slab;
	}
	slab->freelist = NULL;
	for (unsigned int i = c->objects; i-- > 0;) {
		void **obj = (void **)(base + (size_t)i * c->size);
		obj[0] = slab->freelist;
		obj[1] = (void *)SLAB_FREE_MARK;
		slab->freelist = obj;
	}
	return slab;
}

/* Give an unlisted, unused slab back to the buddy allocator. No lock needed. */
static void discard_slab(struct kmem_cache *c, struct page *slab)
{
	for (unsigned long i = 1; i < 1ul << c->order; i++)
		ClearPageTail(&slab[i]);
	ClearPageSlab(slab);
	__free_pages(slab, c->order);
}

/* Move slab to the list its fill state calls for. c->lock held. */
static void slab_relist(struct kmem_cache *c, struct page *slab)
{
	struct list_head *to = !slab->inuse ? &c->empty :
			       slab->inuse == c->objects ? &c->full : &c->partial;
	list_del_init(&slab->slab_list);
	list_add(&slab->slab_list, to);
}

/* Take the first free object of slab. c->lock held, slab not full. */
static void *slab_take_object(struct kmem_cache *c, struct page *slab)
{
	void **obj = slab->freelist;

	slab->freelist = obj[0];
	obj[1] = NULL;                     /* no longer carries the free mark */
	slab->inuse++;
	slab_relist(c, slab);
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct list_head *from = !list_empty(&c->partial) ? &c->partial :
				 !list_empty(&c->empty) ? &c->empty : NULL;
	if (from) {
		void *obj = slab_take_object(c, list_first_entry(from, struct page, slab_list));
		spin_unlock_irqrestore(&c->lock, flags);
		return obj;
	}
	spin_unlock_irqrestore(&c->lock, flags);

	struct page *slab = new_slab(c);
	if (!slab)
		return NULL;
	flags = spin_lock_irqsave(&c->lock);
	list_add(&slab->slab_list, &c->empty);
	c->nr_slabs++;
	void *obj = slab_take_object(c, slab);
	spin_unlock_irqrestore(&c->lock, flags);
	return obj;
}

/* Panic unless obj is the start of an object of slab. */
static void check_object(struct kmem_cache *c, struct page *slab, const void *obj)
{
	size_t off = (const char *)obj - (const char *)page_address(slab);

	if (!PageSlab(slab) || slab->slab_cache != c)
		panic("kmem_cache_free: %p is not an object of cache %s", obj, c->name);
	if (off % c->size || off / c->size >= c->objects)
		panic("kmem_cache_free: %p is not the start of an object of %s", obj, c->name);
}

/* Panic if obj is on slab's free list already. c->lock held. */
static void check_double_free(struct kmem_cache *c, struct page *slab, void **obj)
{
	if (obj[1] != (void *)SLAB_FREE_MARK)
		return;                        /* the common case: clearly in use */
	for (void **f = slab->freelist; f; f = f[0])
		if (f == obj)
			panic("kmem_cache_free: double free of %p in %s", obj, c->name);
}

void kmem_cache_free(struct kmem_cache *c, void *p)
{
	struct page *slab = virt_to_head_page(p);
	void **obj = p;

	check_object(c, slab, obj);
	unsigned long flags = spin_lock_irqsave(&c->lock);
	check_double_free(c, slab, obj);
	obj[0] = slab->freelist;
	obj[1] = (void *)SLAB_FREE_MARK;
	slab->freelist = obj;
	slab->inuse--;
	slab_relist(c, slab);
	/* Keep one empty slab: if this one joined another on `empty`, it goes. */
	bool discard = !slab->inuse && c->empty.next != c->empty.prev;
	if (discard) {
		list_del_init(&slab->slab_list);
		c->nr_slabs--;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (discard)
		discard_slab(c, slab);
}

unsigned long kmem_cache_shrink(struct kmem_cache *c)
{
	LIST_HEAD(victims);
	struct page *slab, *next;
	unsigned long pages = 0;

	unsigned long flags = spin_lock_irqsave(&c->lock);
	list_for_each_entry_safe(slab, next, &c->empty, slab_list) {
		list_del_init(&slab->slab_list);
		list_add(&slab->slab_list, &victims);
		c->nr_slabs--;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	list_for_each_entry_safe(slab, next, &victims, slab_list) {
		discard_slab(c, slab);
		pages += 1ul << c->order;
	}
	return pages;
}

unsigned long kmem_cache_shrink_all(void)
{
	struct kmem_cache *c;
	unsigned long pages = 0;
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);

	list_for_each_entry(c, &slab_caches, list)
		pages += kmem_cache_shrink(c);
	spin_unlock_irqrestore(&slab_caches_lock, flags);
	return pages;
}

unsigned long slab_pages(void)
{
	struct kmem_cache *c;
	unsigned long pages = 0;
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);

	list_for_each_entry(c, &slab_caches, list)
		pages += READ_ONCE(c->nr_slabs) << c->order;
	spin_unlock_irqrestore(&slab_caches_lock, flags);
	return pages;
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align)
{
	struct kmem_cache *c = kzalloc(sizeof(*c));

	if (c && !cache_init(c, name, size, align)) {
		kfree(c);
		c = NULL;
	}
	return c;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	kmem_cache_shrink(c);
	if (c->nr_slabs)
		panic("kmem_cache_destroy: %s still has objects allocated", c->name);
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);
	list_del_init(&c->list);
	spin_unlock_irqrestore(&slab_caches_lock, flags);
	kfree(c);
}

/* The kmalloc cache for size (1..KMALLOC_MAX_CACHE_SIZE): the smallest class that holds it. */
static struct kmem_cache *kmalloc_cache(size_t size)
{
	int i = 0;

	while ((size_t)KMALLOC_MIN_SIZE << i < size)
		i++;
	return &kmalloc_caches[i];
}

/* Whole pages for a large kmalloc: the smallest order that holds size. */
static void *kmalloc_large(size_t size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	struct page *page = alloc_pages(order);
	if (!page)
		return NULL;
	SetPageLargeKmalloc(page);
	return page_address(page);
}

void *kmalloc(size_t size)
{
	if (!size || size > KMALLOC_MAX_SIZE)
		return NULL;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmem_cache_alloc(kmalloc_cache(size));
	return kmalloc_large(size);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(const void *p)
{
	if (!p)
		return;
	if (!pfn_valid(virt_to_phys(p) >> PAGE_SHIFT))
		panic("kfree: %p is not in RAM", p);
	struct page *page = virt_to_head_page(p);
	if (PageSlab(page)) {
		kmem_cache_free(page->slab_cache, (void *)p);
	} else if (PageLargeKmalloc(page) && p == page_address(page)) {
		ClearPageLargeKmalloc(page);
		__free_pages(page, page->order);
	} else {
		panic("kfree: %p was not returned by kmalloc", p);
	}
}

size_t ksize(const void *p)
{
	struct page *page = virt_to_head_page(p);

	if (PageSlab(page))
		return page->slab_cache->size;
	if (PageLargeKmalloc(page))
		return PAGE_SIZE << page->order;
	panic("ksize: %p was not returned by kmalloc", p);
}

void slab_init(void)
{
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		size_t size = (size_t)KMALLOC_MIN_SIZE << i;
		if (!cache_init(&kmalloc_caches[i], kmalloc_names[i], size, size))
			panic("slab_init: cannot set up %s", kmalloc_names[i]);
	}
}

unsigned long nr_free_pages_settled(void)
{
	rcu_barrier();
	kmem_cache_shrink_all();
	return nr_free_pages();
}
