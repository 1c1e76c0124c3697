/* Tests of the boot allocator (mm/memblock.c): what it kept out of the buddy allocator. */
#include "kernel/bootinfo.h"
#include "kernel/ktest.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"

extern char _kernel_phys_start[], _kernel_phys_end[];

/* Number of pages of [start, end) the buddy allocator manages (not PG_reserved). */
static unsigned long unreserved_pages(phys_addr_t start, phys_addr_t end)
{
	unsigned long n = 0;

	end = MIN(end, (phys_addr_t)max_pfn << PAGE_SHIFT);
	for (phys_addr_t pa = ALIGN_DOWN(start, PAGE_SIZE); pa < end; pa += PAGE_SIZE)
		if (!PageReserved(phys_to_page(pa)))
			n++;
	return n;
}

KTEST(memblock_reserved)
{
	KT_EXPECT_EQ(unreserved_pages(0, MEMBLOCK_LOW_LIMIT), 0);
	KT_EXPECT_EQ(unreserved_pages((phys_addr_t)_kernel_phys_start,
				      (phys_addr_t)_kernel_phys_end), 0);
	KT_EXPECT_EQ(unreserved_pages(bootinfo.mbi_phys, bootinfo.mbi_phys + bootinfo.mbi_size), 0);
	for (int i = 0; i < bootinfo.nr_modules; i++)
		KT_EXPECT_EQ(unreserved_pages(bootinfo.modules[i].start, bootinfo.modules[i].end), 0);
	/* mem_map itself came from memblock. */
	KT_EXPECT_EQ(unreserved_pages(virt_to_phys(mem_map),
				      virt_to_phys(mem_map + max_pfn)), 0);
}

/* Only what the map calls available RAM reaches the buddy allocator. */
KTEST(memblock_available_only)
{
	unsigned long avail = 0;

	for (int i = 0; i < bootinfo.nr_mmap; i++) {
		const struct mmap_entry *e = &bootinfo.mmap[i];
		phys_addr_t end = e->base + e->len;
		if (e->type != MMAP_AVAILABLE)
			KT_EXPECT_EQ(unreserved_pages(e->base, end), 0);
		else if (end > MEMBLOCK_LOW_LIMIT)
			avail += (end - MAX(e->base, MEMBLOCK_LOW_LIMIT)) >> PAGE_SHIFT;
	}
	KT_EXPECT(totalram_pages() > 0);
	KT_EXPECT(totalram_pages() <= avail);
	KT_EXPECT_EQ(unreserved_pages(0, (phys_addr_t)max_pfn << PAGE_SHIFT), totalram_pages());
}

KTEST(memblock_low_page)
{
	phys_addr_t a = memblock_alloc_low_page(), b = memblock_alloc_low_page();

	KT_ASSERT(a != 0 && b != 0);
	KT_EXPECT(a != b);
	for (int i = 0; i < 2; i++) {
		phys_addr_t pa = i ? b : a;
		KT_EXPECT(pa >= PAGE_SIZE && pa < MEMBLOCK_LOW_LIMIT);
		KT_EXPECT(IS_ALIGNED(pa, PAGE_SIZE));
		KT_EXPECT(memblock_is_reserved(pa));
		KT_EXPECT(PageReserved(phys_to_page(pa)));
		KT_EXPECT_EQ(*(u64 *)phys_to_virt(pa), 0);     /* zeroed, and in the direct map */
	}
}
