/*
 * memblock: the boot allocator (see memblock.h). Two small sorted arrays of
 * ranges and a walk over the gaps between them; nothing more is needed for
 * the few dozen allocations made before the buddy allocator starts.
 */
#include "mm/memblock.h"
#include "arch/x86_64/pgtable.h"
#include "kernel/bootinfo.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"

#define MEMBLOCK_MAX_REGIONS 256

/* A sorted list of non-overlapping, non-adjacent ranges. */
struct memblock_type {
	const char *name;
	int cnt;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
};

static struct memblock_type memory = { .name = "memory" };
static struct memblock_type reserved = { .name = "reserved" };
static phys_addr_t current_limit = MEMBLOCK_BOOT_LIMIT;
static bool handed_to_buddy;      /* memblock_free_all() has run */

static bool memblock_debug;
BOOT_OPTION_BOOL("memblock_debug", memblock_debug,
		 "print the boot memory map and memblock's reserved ranges");

extern char _kernel_phys_start[], _kernel_phys_end[];

/* Merge the entries of r[0..*cnt) that overlap or touch; r is sorted by base. */
static void merge_regions(struct memblock_region *r, int *cnt)
{
	int out = 0;

	for (int i = 1; i < *cnt; i++) {
		if (r[i].base <= r[out].end)
			r[out].end = MAX(r[out].end, r[i].end);
		else
			r[++out] = r[i];
	}
	if (*cnt)
		*cnt = out + 1;
}

bool memblock_region_insert(struct memblock_region *r, int *cnt, int max,
			    phys_addr_t base, phys_addr_t end)
{
	int i;

	if (base >= end)
		return true;
	if (*cnt == max)
		return false;
	for (i = *cnt; i > 0 && r[i - 1].base > base; i--)
		r[i] = r[i - 1];
	r[i] = (struct memblock_region){ base, end };
	(*cnt)++;
	merge_regions(r, cnt);
	return true;
}

/* Add [base, end) to t. Panics when t is full. */
static void add_range(struct memblock_type *t, phys_addr_t base, phys_addr_t end)
{
	if (!memblock_region_insert(t->regions, &t->cnt, MEMBLOCK_MAX_REGIONS, base, end))
		panic("memblock: %s table full (%d ranges)", t->name, MEMBLOCK_MAX_REGIONS);
}

void memblock_reserve(phys_addr_t base, u64 size)
{
	add_range(&reserved, ALIGN_DOWN(base, PAGE_SIZE), ALIGN_UP(base + size, PAGE_SIZE));
}

/*
 * The free ranges are the parts of `memory` that fall in a gap of
 * `reserved`; gap g lies between reserved region g-1 and reserved region g
 * (gap 0 starts at address 0, the last gap runs to the end of the address
 * space). *idx holds two cursors, the memory region (low 32 bits) and the
 * gap (high 32 bits); whichever of the two current ranges ends first is the
 * one that advances, so each free range is produced once, in order.
 */
bool memblock_next_free_range(u64 *idx, phys_addr_t *start, phys_addr_t *end)
{
	int mi = (u32)*idx, gi = (int)(*idx >> 32);

	for (; mi < memory.cnt; mi++) {
		phys_addr_t m_base = memory.regions[mi].base, m_end = memory.regions[mi].end;

		for (; gi <= reserved.cnt; gi++) {
			phys_addr_t g_base = gi ? reserved.regions[gi - 1].end : 0;
			phys_addr_t g_end = gi < reserved.cnt ? reserved.regions[gi].base : ~0ul;

			if (g_base >= m_end)
				break;          /* this gap starts past the region: next region */
			if (g_end <= m_base)
				continue;       /* this gap ends before the region: next gap */
			*start = MAX(m_base, g_base);
			*end = MIN(m_end, g_end);
			if (m_end <= g_end)
				mi++;
			else
				gi++;
			*idx = (u64)gi << 32 | (u32)mi;
			return true;
		}
	}
	return false;
}

/*
 * The highest address in [lo, hi) aligned to align where size bytes are
 * free, or 0 if there is none. Top-down, as in Linux: low memory is the
 * scarcer kind, so the boot allocations stay out of its way.
 */
static phys_addr_t find_free(u64 size, u64 align, phys_addr_t lo, phys_addr_t hi)
{
	phys_addr_t start, end, best = 0;
	u64 i = 0;

	while (memblock_next_free_range(&i, &start, &end)) {
		start = MAX(start, lo);
		end = MIN(end, hi);
		if (end <= start || end - start < size)
			continue;
		phys_addr_t cand = ALIGN_DOWN(end - size, align);
		if (cand >= start && cand > best)
			best = cand;
	}
	return best;
}

/* Find and reserve size bytes; not zeroed. 0 if nothing fits. */
static phys_addr_t alloc_range(u64 size, u64 align)
{
	if (handed_to_buddy)
		panic("memblock: allocation after the buddy allocator took over");
	size = ALIGN_UP(size, PAGE_SIZE);
	phys_addr_t pa = find_free(size, MAX(align, PAGE_SIZE), MEMBLOCK_LOW_LIMIT, current_limit);
	if (pa)
		memblock_reserve(pa, size);
	return pa;
}

phys_addr_t memblock_phys_alloc(u64 size, u64 align)
{
	phys_addr_t pa = alloc_range(size, align);
	if (pa)
		memset(phys_to_virt(pa), 0, size);
	return pa;
}

void *memblock_alloc(u64 size, u64 align)
{
	phys_addr_t pa = memblock_phys_alloc(size, align);
	return pa ? phys_to_virt(pa) : NULL;
}

void *memblock_alloc_raw(u64 size, u64 align)
{
	phys_addr_t pa = alloc_range(size, align);
	return pa ? phys_to_virt(pa) : NULL;
}

phys_addr_t memblock_alloc_low_page(void)
{
	phys_addr_t pa = find_free(PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, MEMBLOCK_LOW_LIMIT);

	if (!pa)
		return 0;
	memblock_reserve(pa, PAGE_SIZE);
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

void memblock_set_current_limit(phys_addr_t limit)
{
	current_limit = limit;
}

phys_addr_t memblock_end_of_DRAM(void)
{
	return memory.cnt ? memory.regions[memory.cnt - 1].end : 0;
}

bool memblock_is_reserved(phys_addr_t pa)
{
	pa = ALIGN_DOWN(pa, PAGE_SIZE);
	for (int i = 0; i < reserved.cnt; i++)
		if (reserved.regions[i].base < pa + PAGE_SIZE && pa < reserved.regions[i].end)
			return true;
	return false;
}

static void print_ranges(const struct memblock_type *t)
{
	for (int i = 0; i < t->cnt; i++)
		printk("memblock: %-8s [%#014lx-%#014lx]\n", t->name,
		       t->regions[i].base, t->regions[i].end - 1);
}

static void print_boot_map(void)
{
	for (int i = 0; i < bootinfo.nr_mmap; i++) {
		const struct mmap_entry *e = &bootinfo.mmap[i];
		printk("mmap: [%#014lx-%#014lx] %s\n", e->base, e->base + e->len - 1,
		       mmap_type_name(e->type));
	}
	print_ranges(&memory);
	print_ranges(&reserved);
}

/*
 * Available RAM is rounded in to whole pages, everything else rounded out
 * and reserved: a range the map lists both as available and as something
 * else is treated as not available.
 */
void memblock_init(void)
{
	for (int i = 0; i < bootinfo.nr_mmap; i++) {
		const struct mmap_entry *e = &bootinfo.mmap[i];
		if (e->type == MMAP_AVAILABLE)
			add_range(&memory, ALIGN_UP(e->base, PAGE_SIZE),
				  ALIGN_DOWN(e->base + e->len, PAGE_SIZE));
		else
			memblock_reserve(e->base, e->len);
	}
	if (!memory.cnt)
		panic("memblock: the boot loader reported no available RAM");

	memblock_reserve((phys_addr_t)_kernel_phys_start, _kernel_phys_end - _kernel_phys_start);
	memblock_reserve(bootinfo.mbi_phys, bootinfo.mbi_size);
	for (int i = 0; i < bootinfo.nr_modules; i++)
		memblock_reserve(bootinfo.modules[i].start,
				 bootinfo.modules[i].end - bootinfo.modules[i].start);
	if (memblock_debug)
		print_boot_map();
}

unsigned long memblock_free_all(void)
{
	phys_addr_t start, end;
	unsigned long pages = 0;
	u64 i = 0;

	handed_to_buddy = true;
	while (memblock_next_free_range(&i, &start, &end)) {
		start = MAX(start, MEMBLOCK_LOW_LIMIT);
		if (end <= start)
			continue;
		free_pages_memory(start >> PAGE_SHIFT, end >> PAGE_SHIFT);
		pages += (end - start) >> PAGE_SHIFT;
	}
	return pages;
}
