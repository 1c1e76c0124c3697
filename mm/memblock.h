/*
 * memblock: the boot-time physical memory allocator, used before the buddy
 * allocator exists (Linux has the same thing under the same name).
 *
 * It knows two sorted lists of physical ranges: `memory`, the RAM the boot
 * loader's map calls available, and `reserved`, what is in use or must never
 * be used (the kernel image, the multiboot information, modules, anything
 * the map calls non-RAM, and every allocation made here). Free memory is
 * memory minus reserved. When the buddy allocator starts, memblock_free_all()
 * gives it every free page at or above 1 MiB, and memblock_alloc() stops
 * working; the reserved ranges stay reserved for good.
 *
 * Memory below 1 MiB (MEMBLOCK_LOW_LIMIT) never goes to memblock_alloc() or to
 * the buddy: firmware data lives there, and the AP trampoline must too (a
 * SIPI starts a CPU at a page below 1 MiB). memblock_alloc_low_page() is the
 * one way to get a page from it.
 *
 * Boot CPU only: no lock. Every function here runs before other CPUs start.
 */
#pragma once
#include "kernel/types.h"

#define MEMBLOCK_LOW_LIMIT  0x100000ul         /* 1 MiB */
#define MEMBLOCK_BOOT_LIMIT 0x100000000ul      /* 4 GiB: what the boot page tables map */

/* A range [base, end) of physical memory. */
struct memblock_region {
	phys_addr_t base, end;
};

/*
 * Add [base, end) to the list r[0..*cnt) (room for max), keeping it sorted
 * by base with ranges that overlap or touch merged into one. Returns false
 * if the list is full.
 */
bool memblock_region_insert(struct memblock_region *r, int *cnt, int max,
			    phys_addr_t base, phys_addr_t end);

/* Build memory and reserved from bootinfo (mmap, kernel image, MBI, modules). */
void memblock_init(void);

/* Mark [base, base + size) as in use, rounded out to whole pages. */
void memblock_reserve(phys_addr_t base, u64 size);

/*
 * Allocate size bytes aligned to align (a power of two), zeroed, at or above
 * 1 MiB and below the current limit (4 GiB until kernel_pgtable_init() has
 * switched to page tables that map all RAM). Highest free address first.
 * memblock_phys_alloc returns the physical address, or 0 if nothing fits;
 * memblock_alloc returns it through the direct map, or NULL.
 * Panics once the buddy allocator has taken over.
 */
phys_addr_t memblock_phys_alloc(u64 size, u64 align);
void *memblock_alloc(u64 size, u64 align);
/* memblock_alloc without the zeroing, for callers that write every byte. */
void *memblock_alloc_raw(u64 size, u64 align);

/*
 * A free 4 KiB page below 1 MiB, never page 0, zeroed and reserved for good
 * (the AP trampoline lives in one). Returns its physical address, or 0 if
 * none is left. Works before and after the buddy allocator starts.
 */
phys_addr_t memblock_alloc_low_page(void);

/* Raise (or lower) the highest address memblock_alloc may return. */
void memblock_set_current_limit(phys_addr_t limit);

/* End of the highest RAM range: the PFN limit of mem_map. */
phys_addr_t memblock_end_of_DRAM(void);

/* True if any byte of the page at pa is reserved. For tests and checks. */
bool memblock_is_reserved(phys_addr_t pa);

/*
 * Iterate the free ranges (memory minus reserved) in ascending order:
 *     u64 i = 0; phys_addr_t s, e;
 *     while (memblock_next_free_range(&i, &s, &e)) ...
 */
bool memblock_next_free_range(u64 *idx, phys_addr_t *start, phys_addr_t *end);

/*
 * Hand every free page at or above 1 MiB to the buddy allocator and retire
 * memblock_alloc(). Returns the number of pages handed over.
 */
unsigned long memblock_free_all(void);
