/*
 * The buddy allocator and struct page.
 *
 * Every 4 KiB physical page frame up to the end of RAM has a struct page in
 * the array mem_map, indexed by page frame number (pfn = phys >> 12). Free
 * memory is kept in blocks of 2^order pages, order 0..MAX_ORDER, each block
 * aligned to its own size. Allocating splits a larger block in halves until
 * one of the wanted order is left; freeing merges a block with its "buddy"
 * (the other half of the block one order up: pfn ^ (1 << order)) for as long
 * as the buddy is free too. Pages that never went to the buddy (firmware,
 * the kernel image, boot allocations) are marked PG_reserved.
 */
#pragma once
#include "arch/x86_64/pgtable.h"
#include "kernel/list.h"
#include "kernel/rcu.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

#define MAX_ORDER 10                      /* largest block: 2^10 pages = 4 MiB */
#define NR_PAGE_ORDERS (MAX_ORDER + 1)

struct kmem_cache;
struct mm_struct;

/* page->flags bits. */
enum pageflags {
	PG_reserved,      /* never given to the buddy: firmware, kernel, boot data */
	PG_buddy,         /* free: the first page of a block on free_area[order] */
	PG_slab,          /* the first page of a slab (mm/slab.c) */
	PG_tail,          /* a later page of a multi-page slab; see head_page */
	PG_large_kmalloc, /* a kmalloc() too big for a slab: 2^order pages */
	PG_table,         /* holds a page table */
	PG_poisoned,      /* free, PAGE_POISON_FREE in its first word, or in all (page_poison) */
};

/*
 * One physical page frame. 64 bytes, one cache line, as in Linux.
 *
 * Who may write what: a free page (PG_buddy) belongs to the allocator and
 * is changed only under the zone lock, a free page on a per-CPU list to
 * that CPU; an allocated page belongs to whoever
 * allocated it, who alone changes flags and the union. _refcount is atomic.
 */
struct page {
	unsigned long flags;          /* PG_* bits */
	int _refcount;                /* users of the page; 0 when free */
	unsigned int order;           /* free block, or allocated first page: its order */
	union {
		/*
		 * PG_buddy: link in the free list of its order (zone lock);
		 * a free page on a CPU's list (mm/page_alloc.c): link in it.
		 */
		struct list_head lru;

		/* PG_slab: the first page of a slab (the cache's lock). */
		struct {
			struct list_head slab_list;   /* on the cache's partial/full/free list */
			struct kmem_cache *slab_cache;
			void *freelist;               /* first free object; each holds the next */
			unsigned int inuse;           /* objects handed out */
		};

		/* PG_tail: the first page of the slab this page belongs to. */
		struct page *head_page;

		/*
		 * An anonymous page mapped in user space: the PTEs that map it
		 * (Linux's mapcount); atomic, since the PTEs of two mms are
		 * changed under two different PTE locks. 1 for
		 * a page one process faulted in; fork (mm/fork.c) adds one per
		 * copy of the PTE, a copy-on-write fault or a zap takes one away.
		 * _refcount is mapcount plus transient holders (a gather, a
		 * fault copying it); a write fault reuses the page in place only
		 * when _refcount is 1 (mm/fault.c: do_wp_page).
		 */
		int mapcount;

		/* PG_table: a page-table page (Linux's struct ptdesc). */
		struct {
			union {
				struct list_head pt_list;     /* on a gather's list of tables */
				struct rcu_head pt_rcu_head;  /* R1: freed after a grace period */
			};
			union {
				struct mm_struct *pt_mm;      /* a PGD: the mm it belongs to */
				int pt_count;                 /* a PTE table: entries in use */
				/*
				 * THP (mm/huge_memory.c), under the PMD lock: a PMD
				 * table: the top of its stack of PTE tables deposited
				 * with its huge PMDs; a deposited PTE table: the next
				 * one down. NULL when the stack is empty.
				 */
				struct page *pmd_huge_pte;
			};
			spinlock_t ptl;                       /* split page-table lock */
		};
	};
} __aligned(64);

_Static_assert(sizeof(struct page) == 64, "struct page must stay one cache line");

extern struct page *mem_map;      /* struct page of every pfn below max_pfn */
extern unsigned long max_pfn;     /* end of RAM >> PAGE_SHIFT */

/* Flag helpers, Linux style: PageSlab(p), SetPageSlab(p), ClearPageSlab(p). */
#define PAGEFLAG(name, bit)                                                     \
	static inline bool Page##name(const struct page *p)                     \
	{ return p->flags & (1ul << (bit)); }                                   \
	static inline void SetPage##name(struct page *p)                        \
	{ p->flags |= 1ul << (bit); }                                           \
	static inline void ClearPage##name(struct page *p)                      \
	{ p->flags &= ~(1ul << (bit)); }
PAGEFLAG(Reserved, PG_reserved)
PAGEFLAG(Buddy, PG_buddy)
PAGEFLAG(Slab, PG_slab)
PAGEFLAG(Tail, PG_tail)
PAGEFLAG(LargeKmalloc, PG_large_kmalloc)
PAGEFLAG(Table, PG_table)
PAGEFLAG(Poisoned, PG_poisoned)
#undef PAGEFLAG

static inline int page_count(const struct page *p)
{
	return __atomic_load_n(&p->_refcount, __ATOMIC_RELAXED);
}

static inline void set_page_count(struct page *p, int v)
{
	__atomic_store_n(&p->_refcount, v, __ATOMIC_RELAXED);
}

static inline void get_page(struct page *p)
{
	__atomic_fetch_add(&p->_refcount, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; true if it was the last one. */
static inline bool page_ref_dec_and_test(struct page *p)
{
	return __atomic_sub_fetch(&p->_refcount, 1, __ATOMIC_ACQ_REL) == 0;
}

/* An anonymous user page gained / lost one PTE mapping it (see mapcount above). */
static inline void page_mapcount_inc(struct page *p)
{
	__atomic_fetch_add(&p->mapcount, 1, __ATOMIC_RELAXED);
}

static inline void page_mapcount_dec(struct page *p)
{
	__atomic_fetch_sub(&p->mapcount, 1, __ATOMIC_RELAXED);
}

static inline int page_mapcount(const struct page *p)
{
	return __atomic_load_n(&p->mapcount, __ATOMIC_RELAXED);
}

static inline unsigned int page_order(const struct page *p)
{
	return p->order;
}

/* Conversions between a page, its pfn, its physical and its direct-map address. */
static inline bool pfn_valid(unsigned long pfn)     { return pfn < max_pfn; }
static inline unsigned long page_to_pfn(const struct page *p) { return p - mem_map; }
static inline struct page *pfn_to_page(unsigned long pfn) { return mem_map + pfn; }
static inline phys_addr_t page_to_phys(const struct page *p)
{
	return (phys_addr_t)page_to_pfn(p) << PAGE_SHIFT;
}
static inline struct page *phys_to_page(phys_addr_t pa) { return pfn_to_page(pa >> PAGE_SHIFT); }
static inline void *page_address(const struct page *p) { return phys_to_virt(page_to_phys(p)); }
/* va: a direct-map or kernel-image address. */
static inline struct page *virt_to_page(const void *va) { return phys_to_page(virt_to_phys(va)); }

/*
 * Allocate 2^order contiguous pages, aligned to their size; the first page's
 * refcount is 1 and page_order() is order. Contents are not zeroed. NULL if
 * no block that large is free (or order > MAX_ORDER). Any context.
 */
struct page *alloc_pages(unsigned int order);
static inline struct page *alloc_page(void) { return alloc_pages(0); }

/*
 * Drop the reference alloc_pages() gave; at zero the block goes back to the
 * buddy. order must be the one it was allocated with. Panics on a double
 * free, a reserved page or a page whose owner left flags set on it.
 */
void __free_pages(struct page *page, unsigned int order);
static inline void __free_page(struct page *page) { __free_pages(page, 0); }

/*
 * What a page freed since boot holds until it is allocated again: this word
 * at offset 0, or in every word with the boot option page_poison (set at
 * boot, never changed after).
 */
#define PAGE_POISON_FREE 0xf9ee9a6ef9ee9a6eul    /* "freepage", roughly */
extern bool page_poison;

/* The same by direct-map address (0 on failure), as in Linux. */
unsigned long __get_free_pages(unsigned int order);
static inline unsigned long __get_free_page(void) { return __get_free_pages(0); }
unsigned long get_zeroed_page(void);
void free_pages(unsigned long addr, unsigned int order);
static inline void free_page(unsigned long addr) { free_pages(addr, 0); }

/* Turn an allocated 2^order block into 2^order order-0 pages, each with refcount 1. */
void split_page(struct page *page, unsigned int order);

/*
 * Counters for leak checks. nr_free_pages(): free pages in all, those on
 * the per-CPU lists included. nr_free_blocks(): free blocks of one order
 * in the buddy alone; pages on the lists are in no block, so a test that
 * counts blocks drains the lists first (drain_all_pages).
 */
unsigned long nr_free_pages(void);
unsigned long nr_free_blocks(unsigned int order);

/*
 * Per-CPU page lists (mm/page_alloc.c): each CPU keeps up to its high free
 * order-0 pages for itself, taken from and given back to the buddy
 * pcp_batch at a time; the high starts at pcp_high and grows toward
 * pcp_high_max while the CPU allocates more than it holds. Boot options
 * pcp_high=N (0: no lists), pcp_batch=N, pcp_high_max=N.
 */
extern unsigned long pcp_high, pcp_batch, pcp_high_max;
/* Pages on cpu's list now (a snapshot, unless cpu is this CPU with interrupts off). */
unsigned long pcp_count(int cpu);
/* cpu's high now: pcp_high, grown a batch per refill up to pcp_high_max, back at each drain. */
unsigned long pcp_high_now(int cpu);
/* Give this CPU's list back to the buddy. Any context. */
void drain_local_pages(void);
/*
 * Give every CPU's list back to the buddy, each CPU its own (a waiting
 * cross-CPU call): interrupts on, not in an interrupt handler.
 */
void drain_all_pages(void);
/* Pages the buddy manages (free or allocated): all RAM it was given. */
unsigned long totalram_pages(void);

/* True once page_alloc_init() has run: alloc_pages() works. */
bool page_alloc_ready(void);

/* Build mem_map with memblock, then take every free page from memblock. */
void page_alloc_init(void);

/* mm-internal: memblock_free_all() hands the free pfns [start, end) over. */
void free_pages_memory(unsigned long start_pfn, unsigned long end_pfn);
