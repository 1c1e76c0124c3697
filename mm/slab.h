/*
 * kmalloc and object caches.
 *
 * A cache (struct kmem_cache) hands out objects of one size. It carves them
 * from slabs: blocks of 2^order pages from the buddy allocator, cut into
 * equal objects. The free objects of a slab form a list threaded through
 * their own first word; the slab's first struct page holds the list head,
 * the count in use and the cache (PG_slab), so kfree() finds everything
 * from the pointer alone.
 *
 * kmalloc(size) uses one cache per power of two from 16 to 2048 bytes;
 * larger requests get whole pages from the buddy allocator (PG_large_kmalloc).
 * Every function may be called with interrupts off; none sleeps.
 */
#pragma once
#include "kernel/types.h"

#define KMALLOC_MIN_SIZE 16
#define KMALLOC_MAX_CACHE_SIZE 2048
#define KMALLOC_MAX_SIZE (4ul << 20)     /* PAGE_SIZE << MAX_ORDER */

struct kmem_cache;

/* At least size bytes, aligned to the power of two >= size (page for big ones); NULL on failure or size 0. */
void *kmalloc(size_t size);
/* kmalloc, zeroed. */
void *kzalloc(size_t size);
/* Free what kmalloc returned; NULL is ignored. Panics on a pointer kmalloc did not return. */
void kfree(const void *p);
/* The usable size of a kmalloc'ed object: its size class, or the pages it got. */
size_t ksize(const void *p);

/*
 * A cache of objects of `size` bytes, each aligned to `align` (a power of
 * two; 0 means 8). name must live as long as the cache. NULL on failure.
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align);
/* Destroy a cache; panics if objects are still allocated from it. */
void kmem_cache_destroy(struct kmem_cache *c);
/* An object of the cache (not zeroed), or NULL. */
void *kmem_cache_alloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);

/*
 * A cache keeps one empty slab to avoid freeing and reallocating pages at
 * every boundary. Shrinking returns its empty slabs to the buddy allocator;
 * returns the pages freed. Leak checks shrink before they count free pages.
 */
unsigned long kmem_cache_shrink(struct kmem_cache *c);
unsigned long kmem_cache_shrink_all(void);

/*
 * Free pages once nothing is merely on its way back: page tables waiting
 * for their RCU grace period (R1 step 3, rcu_barrier) and the caches'
 * spare slabs. What every leak check compares. Process context (it sleeps).
 */
unsigned long nr_free_pages_settled(void);

/* Pages held by the slabs of every cache (in use or empty). */
unsigned long slab_pages(void);

/* Set up the kmalloc caches. After page_alloc_init(). */
void slab_init(void);
