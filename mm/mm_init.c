/* mm_init: memory management from the boot memory map to kmalloc (see mm_init.h). */
#include "mm/ptcheck.h"
#include "mm/mm_init.h"
#include "kernel/printk.h"
#include "mm/huge_memory.h"
#include "mm/kernel_pgtable.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

static void mm_summary(void)
{
	printk("mm: %lu MiB free in the buddy allocator (%lu pages), "
	       "direct map 4K/2M/1G: %llu/%llu/%llu MiB, %lu kernel page-table pages\n",
	       nr_free_pages() >> (20 - PAGE_SHIFT), nr_free_pages(),
	       (unsigned long long)(direct_map_bytes(PG_LEVEL_4K) >> 20),
	       (unsigned long long)(direct_map_bytes(PG_LEVEL_2M) >> 20),
	       (unsigned long long)(direct_map_bytes(PG_LEVEL_1G) >> 20),
	       kernel_pgtable_pages());
}

void mm_init(void)
{
	memblock_init();
	kernel_pgtable_init();
	page_alloc_init();
	slab_init();
	mm_summary();
	ptbug_init();
	ptcheck_init();
	thp_init();
}
