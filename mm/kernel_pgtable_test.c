/* Tests of the kernel page tables (mm/kernel_pgtable.c): permissions, large pages, map/unmap. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "kernel/bootinfo.h"
#include "kernel/ktest.h"
#include "kernel/rcu.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/vmstat.h"
#include "mm/kernel_pgtable.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/pgtable.h"
#include "mm/slab.h"

/* 1 GiB into the VMALLOC area: nothing else maps there, so its PMD/PTE tables are ours. */
#define TEST_VA (VMALLOC_START + PUD_SIZE)

extern char _text[], _etext[], _rodata[], _erodata[];

static const u64 rodata_probe = 0x0123456789abcdeful;
static u64 data_probe = 1;
static u64 bss_probe;

/* The leaf entry that maps p, of any size; NULL if p is not mapped. */
static pte_t *leaf(const void *p)
{
	enum pg_level level;
	return kernel_lookup((unsigned long)p, &level);
}

/* The 4 KiB leaf that maps p; NULL if p is not mapped by a 4 KiB page. */
static pte_t *leaf_4k(const void *p)
{
	enum pg_level level;
	pte_t *pte = kernel_lookup((unsigned long)p, &level);
	return level == PG_LEVEL_4K ? pte : NULL;
}

/* A write through p faults: read the value, write the same one back (harmless if it works). */
static bool write_faults(const void *p)
{
	u64 v;
	return probe_read_u64(p, &v) == 0 && probe_write_u64((void *)p, v) == -EFAULT;
}

/*
 * Kernel tables emptied by kernel_unmap_page() are freed after a grace
 * period (R1): they count, and hold their pages, until then.
 */
static unsigned long settled_kernel_tables(void)
{
	rcu_barrier();
	return kernel_pgtable_pages();
}

KTEST(kpgt_map_unmap)
{
	unsigned long before = nr_free_pages_settled(), tables = settled_kernel_tables();
	enum pg_level level;
	u64 v;

	KT_ASSERT(kernel_lookup(TEST_VA, &level) == NULL);
	struct page *page = alloc_page();
	KT_ASSERT(page != NULL);
	KT_ASSERT_EQ(kernel_map_page(TEST_VA, page_to_phys(page), PAGE_KERNEL), 0);
	/* A PMD table and a PTE table were needed, from the buddy allocator. */
	KT_EXPECT_EQ(kernel_pgtable_pages(), tables + 2);
	KT_EXPECT_EQ(nr_free_pages(), before - 3);
	KT_EXPECT_EQ(kernel_map_page(TEST_VA, page_to_phys(page), PAGE_KERNEL), -EEXIST);

	pte_t *pte = leaf_4k((void *)TEST_VA);
	KT_ASSERT(pte != NULL);
	KT_EXPECT_EQ(pte_pfn(*pte), page_to_pfn(page));
	*(volatile u64 *)TEST_VA = 0x5eed0f7e57ul;
	KT_EXPECT_EQ(*(volatile u64 *)page_address(page), 0x5eed0f7e57ul);
	*(volatile u64 *)page_address(page) = 0xd1ec7ul;
	KT_EXPECT_EQ(*(volatile u64 *)TEST_VA, 0xd1ec7ul);

	KT_EXPECT_EQ(kernel_unmap_page(TEST_VA), 0);
	KT_EXPECT_EQ(probe_read_u64((void *)TEST_VA, &v), -EFAULT);
	KT_EXPECT(kernel_lookup(TEST_VA, &level) == NULL);
	KT_EXPECT_EQ(kernel_unmap_page(TEST_VA), -ENOENT);
	KT_EXPECT_EQ(settled_kernel_tables(), tables);
	__free_page(page);
	KT_EXPECT_EQ(nr_free_pages_settled(), before);
}

/* A table goes only when its last entry does: two neighbours share a PTE table. */
KTEST(kpgt_tables_freed_when_empty)
{
	unsigned long before = nr_free_pages_settled(), tables = settled_kernel_tables();
	struct page *page = alloc_page();
	u64 v;

	KT_ASSERT(page != NULL);
	KT_ASSERT_EQ(kernel_map_page(TEST_VA, page_to_phys(page), PAGE_KERNEL), 0);
	KT_ASSERT_EQ(kernel_map_page(TEST_VA + PAGE_SIZE, page_to_phys(page), PAGE_KERNEL_RO), 0);
	KT_EXPECT_EQ(kernel_pgtable_pages(), tables + 2);
	KT_EXPECT(write_faults((void *)(TEST_VA + PAGE_SIZE)));

	KT_EXPECT_EQ(kernel_unmap_page(TEST_VA), 0);
	KT_EXPECT_EQ(kernel_pgtable_pages(), tables + 2);
	KT_EXPECT_EQ(probe_read_u64((void *)(TEST_VA + PAGE_SIZE), &v), 0);
	KT_EXPECT_EQ(kernel_unmap_page(TEST_VA + PAGE_SIZE), 0);
	KT_EXPECT_EQ(probe_read_u64((void *)(TEST_VA + PAGE_SIZE), &v), -EFAULT);
	KT_EXPECT_EQ(kernel_pgtable_pages(), tables + 2);   /* unhooked, waiting for a grace period */
	KT_EXPECT_EQ(settled_kernel_tables(), tables);
	__free_page(page);
	KT_EXPECT_EQ(nr_free_pages_settled(), before);
	KT_EXPECT_EQ(kernel_map_page(0x400000, page_to_phys(page), PAGE_KERNEL), -EINVAL);
}

KTEST(kpgt_text_readonly)
{
	const void *first = _text, *last = (const void *)((unsigned long)_etext - 8);

	KT_EXPECT(write_faults(first));
	KT_EXPECT(write_faults(last));
	for (int i = 0; i < 2; i++) {
		pte_t *pte = leaf_4k(i ? last : first);
		KT_ASSERT(pte != NULL);
		KT_EXPECT(!pte_write(*pte));
		KT_EXPECT(pte_exec(*pte));
	}
	KT_EXPECT(read_cr0() & CR0_WP);      /* what makes ring 0 obey the R/W bit */
}

KTEST(kpgt_rodata_readonly)
{
	const void *addrs[] = { &rodata_probe, _rodata, (const void *)((unsigned long)_erodata - 8) };

	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		KT_EXPECT(write_faults(addrs[i]));
		pte_t *pte = leaf_4k(addrs[i]);
		KT_ASSERT(pte != NULL);
		KT_EXPECT(!pte_write(*pte));
		KT_EXPECT(!pte_exec(*pte));
	}
	KT_EXPECT_EQ(rodata_probe, 0x0123456789abcdeful);
}

KTEST(kpgt_data_nx)
{
	u64 on_stack = 0;
	const void *addrs[] = { &data_probe, &bss_probe, &on_stack, swapper_pg_dir };

	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		pte_t *pte = leaf(addrs[i]);            /* the stack may be in the direct map */
		KT_ASSERT(pte != NULL);
		KT_EXPECT(pte_write(*pte));
		KT_EXPECT(!pte_exec(*pte));
		KT_EXPECT_EQ(probe_write_u64((void *)addrs[i], *(const u64 *)addrs[i]), 0);
	}
	KT_EXPECT(rdmsr(MSR_EFER) & EFER_NXE);  /* without it bit 63 would be reserved */
}

/*
 * Every aligned 2 MiB of available RAM is mapped by a 2 MiB or 1 GiB page
 * (1 GiB where the CPU has them and the range covers the aligned GiB),
 * writable, NX and global.
 */
KTEST(kpgt_direct_map_large)
{
	int checked = 0, wrong = 0;
	unsigned long large = 0;

	for (int i = 0; i < bootinfo.nr_mmap; i++) {
		const struct mmap_entry *e = &bootinfo.mmap[i];
		phys_addr_t end = e->base + e->len;
		if (e->type != MMAP_AVAILABLE)
			continue;
		for (phys_addr_t pa = ALIGN_UP(e->base, PMD_SIZE); pa + PMD_SIZE <= end; pa += PMD_SIZE) {
			enum pg_level level;
			unsigned long va = (unsigned long)phys_to_virt(pa);
			pte_t *pte = kernel_lookup(va, &level);
			bool want_1g = cpu_has.pdpe1gb && ALIGN_DOWN(pa, PUD_SIZE) >= e->base &&
				       ALIGN_DOWN(pa, PUD_SIZE) + PUD_SIZE <= end;
			checked++;
			wrong += !pte || level < PG_LEVEL_2M || (want_1g && level != PG_LEVEL_1G) ||
				 !pte_write(*pte) || pte_exec(*pte) || !pte_global(*pte);
			large = large ? large : va;
		}
	}
	KT_ASSERT(checked > 0);
	KT_EXPECT_EQ(wrong, 0);
	KT_EXPECT(direct_map_bytes(PG_LEVEL_2M) + direct_map_bytes(PG_LEVEL_1G) > 0);
	KT_EXPECT(cpu_has.pdpe1gb || direct_map_bytes(PG_LEVEL_1G) == 0);
	/* A 4 KiB unmap does not split a large page. */
	KT_EXPECT_EQ(kernel_unmap_page(large), -EINVAL);
}

KTEST(kpgt_global)
{
	const void *addrs[] = { _text, _rodata, &data_probe, phys_to_virt(MEMBLOCK_LOW_LIMIT) };

	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		enum pg_level level;
		pte_t *leaf = kernel_lookup((unsigned long)addrs[i], &level);
		KT_ASSERT(leaf != NULL);
		KT_EXPECT(pte_global(*leaf));
	}
	u64 cr4 = read_cr4();
	KT_EXPECT(!cpu_has.pge || (cr4 & CR4_PGE));
	KT_EXPECT(!cpu_has.smep || (cr4 & CR4_SMEP));
	KT_EXPECT(!cpu_has.smap || (cr4 & CR4_SMAP));
	KT_EXPECT_EQ(read_cr3() & PTE_ADDR_MASK, virt_to_phys(swapper_pg_dir));
}

/* MMIO is mapped uncached 4 KiB at phys_to_virt; a second ioremap changes nothing. */
KTEST(kpgt_ioremap)
{
	phys_addr_t lapic = rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK;
	void *p = ioremap(lapic + 0x30, 4);

	KT_ASSERT(p == phys_to_virt(lapic + 0x30));
	pte_t *pte = leaf_4k(p);
	KT_ASSERT(pte != NULL);
	KT_EXPECT((pte_val(*pte) & (_PAGE_PCD | _PAGE_PWT)) == (_PAGE_PCD | _PAGE_PWT));
	KT_EXPECT(pte_write(*pte) && !pte_exec(*pte));
	unsigned long tables = kernel_pgtable_pages();
	KT_EXPECT(ioremap(lapic, PAGE_SIZE) == phys_to_virt(lapic));
	KT_EXPECT_EQ(kernel_pgtable_pages(), tables);

	/* RAM keeps its cached direct mapping. */
	enum pg_level level;
	void *ram = phys_to_virt(MEMBLOCK_LOW_LIMIT);
	pte_t *before = kernel_lookup((unsigned long)ram, &level);
	KT_EXPECT(ioremap(MEMBLOCK_LOW_LIMIT, PAGE_SIZE) == ram);
	KT_EXPECT(kernel_lookup((unsigned long)ram, &level) == before);
	KT_EXPECT(before && !(pte_val(*before) & _PAGE_PCD));
}

/* The first page of "reserved" memory (firmware tables live there) below the boot limit, or 0. */
static phys_addr_t reserved_test_page(void)
{
	for (int i = 0; i < bootinfo.nr_mmap; i++)
		if (bootinfo.mmap[i].type == MMAP_RESERVED && bootinfo.mmap[i].base >= MEMBLOCK_LOW_LIMIT &&
		    bootinfo.mmap[i].base + bootinfo.mmap[i].len <= MEMBLOCK_BOOT_LIMIT)
			return ALIGN_UP(bootinfo.mmap[i].base, PAGE_SIZE);
	return 0;
}

/* A page of reserved memory mapped read-only and cached. */
KTEST(kpgt_memremap_ro)
{
	phys_addr_t pa = reserved_test_page();

	KT_ASSERT(pa != 0);
	const void *p = memremap_ro(pa, 16);
	KT_ASSERT(p == phys_to_virt(pa));
	pte_t *pte = leaf_4k(p);
	KT_ASSERT(pte != NULL);
	KT_EXPECT(!pte_write(*pte) && !pte_exec(*pte));
	KT_EXPECT(!(pte_val(*pte) & (_PAGE_PCD | _PAGE_PWT)));
	KT_EXPECT(write_faults(p));
}

/*
 * Remapping a page with other attributes (read-only cached -> uncached
 * writable and back) replaces a present entry, which every CPU may have
 * cached: each change must send a kernel-range flush to every other
 * online CPU; a call that changes nothing sends none. Seen failing with
 * map_phys_range() flushing only its own CPU (0 IPIs for each change).
 */
KTEST(kpgt_remap_flushes_every_cpu)
{
	phys_addr_t pa = reserved_test_page();

	KT_ASSERT(pa != 0);
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	unsigned long others = (unsigned long)cpumask_weight(&cpu_online_mask) - 1;
	const void *p = memremap_ro(pa, PAGE_SIZE);
	unsigned long sent = vm_event_sum(NR_TLB_KERNEL_FLUSH);

	KT_ASSERT(ioremap(pa, PAGE_SIZE) == p);             /* RO cached -> UC writable */
	KT_EXPECT_EQ(vm_event_sum(NR_TLB_KERNEL_FLUSH) - sent, others);
	sent = vm_event_sum(NR_TLB_KERNEL_FLUSH);
	KT_ASSERT(ioremap(pa, PAGE_SIZE) == p);             /* the same again: nothing to flush */
	KT_EXPECT_EQ(vm_event_sum(NR_TLB_KERNEL_FLUSH) - sent, 0);
	KT_ASSERT(memremap_ro(pa, PAGE_SIZE) == p);         /* back as it was */
	KT_EXPECT_EQ(vm_event_sum(NR_TLB_KERNEL_FLUSH) - sent, others);
	KT_EXPECT(write_faults(p));
}

/*
 * ---- issue 9, bug 4: rule R1 holds for kernel page tables too ----
 *
 * kernel_lookup() walks swapper_pg_dir with no lock of ours, inside
 * rcu_read_lock(), and any CPU may cache translations and paging-structure
 * entries of the kernel half. So a table that kernel_unmap_page() empties
 * must be flushed from every CPU (step 2) and freed only after a grace
 * period (step 3). A reader on another CPU finds the tables of TEST_VA
 * inside rcu_read_lock() and loads its translation; the test thread then
 * unmaps TEST_VA, which empties and unhooks the PTE and the PMD table. The
 * reader, still inside its section, must find both still page tables and
 * not poisoned; its CPU must have taken the flush IPI, so TEST_VA faults
 * there now. Once the reader left, a grace period later, both tables are
 * freed and poisoned.
 */
#define KPT_CAP_NS (30000 * 1000000ull)     /* generous: emulated CPUs stall */

struct kpt_reader {
	unsigned long va;
	bool found, unmapped;
	struct page *pmd_table, *pte_table;
	u64 pmd_entry, pte_entry;   /* read through the tables after the unmap */
	bool tables_alive;          /* ... and both still PG_table then */
	int probe_before, probe_after;
	unsigned long flushes;      /* kernel flush IPIs this CPU took meanwhile */
};


static int kpt_reader(void *arg)
{
	struct kpt_reader *r = arg;
	enum pg_level level;
	u64 v;

	rcu_read_lock();
	unsigned long flushes = vm_event_this_cpu(NR_TLB_KERNEL_FLUSH_RECEIVED);
	pmd_t *pmd = pmd_offset(pud_offset(pgd_offset_k(r->va), r->va), r->va);
	pte_t *pte = kernel_lookup(r->va, &level);
	r->pmd_table = virt_to_page(pmd);
	r->pte_table = pte ? virt_to_page(pte) : NULL;
	r->probe_before = probe_read_u64((void *)r->va, &v);   /* this CPU caches it */
	WRITE_ONCE(r->found, true);
	u64 deadline = ktime_ns() + KPT_CAP_NS;
	while (!READ_ONCE(r->unmapped) && ktime_ns() < deadline)
		cpu_relax();            /* interrupts on: a flush IPI is taken here */
	if (pte) {
		r->pmd_entry = READ_ONCE(*(u64 *)pmd);
		r->pte_entry = READ_ONCE(*(u64 *)pte);
		r->tables_alive = PageTable(r->pmd_table) && PageTable(r->pte_table);
	}
	r->probe_after = probe_read_u64((void *)r->va, &v);
	r->flushes = vm_event_this_cpu(NR_TLB_KERNEL_FLUSH_RECEIVED) - flushes;
	rcu_read_unlock();
	return 0;
}

KTEST(kpgt_unmap_flushes_all_cpus_and_frees_after_grace_period)
{
	struct kpt_reader r = { .va = TEST_VA };
	unsigned long tables = settled_kernel_tables();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs: a reader beside the unmapper");
	struct page *page = alloc_page();
	KT_ASSERT(page != NULL);
	KT_ASSERT_EQ(kernel_map_page(TEST_VA, page_to_phys(page), PAGE_KERNEL), 0);
	KT_ASSERT_EQ(kernel_pgtable_pages(), tables + 2);
	struct thread *reader = kthread_run("kpt_reader", kpt_reader, &r, nr_cpus - 1);
	u64 deadline = ktime_ns() + KPT_CAP_NS;
	while (!READ_ONCE(r.found) && ktime_ns() < deadline)
		sleep_ns(1000000);
	KT_EXPECT(READ_ONCE(r.found));
	KT_EXPECT_EQ(kernel_unmap_page(TEST_VA), 0);
	WRITE_ONCE(r.unmapped, true);
	KT_EXPECT_EQ(kthread_join(reader), 0);

	KT_EXPECT(r.pte_table != NULL);
	KT_EXPECT_EQ(r.probe_before, 0);
	/* Inside the section: the tables were unhooked, not freed; they hold
	 * what they held, the cleared entries, no poison (ours or the allocator's). */
	KT_EXPECT(r.tables_alive);
	KT_EXPECT_EQ(r.pmd_entry, 0);
	KT_EXPECT_EQ(r.pte_entry, 0);
	/* The reader's CPU was flushed: it no longer translates TEST_VA. */
	KT_EXPECT(r.flushes >= 1);
	KT_EXPECT_EQ(r.probe_after, -EFAULT);
	/* After a grace period they are gone, poisoned (if nobody took them since). */
	rcu_barrier();
	KT_EXPECT_EQ(kernel_pgtable_pages(), tables);
	struct page *freed[] = { r.pmd_table, r.pte_table };
	for (int i = 0; i < 2 && freed[i]; i++) {
		KT_EXPECT(!PageTable(freed[i]));
		if (PagePoisoned(freed[i]))
			KT_EXPECT_EQ(((u64 *)page_address(freed[i]))[1], PGTABLE_POISON);
	}
	__free_page(page);
}
