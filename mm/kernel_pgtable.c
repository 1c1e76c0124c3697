/*
 * The kernel page tables (see kernel_pgtable.h).
 *
 * At boot, boot/entry.asm's tables map 0..4 GiB with 2 MiB pages, writable
 * and executable, three times over. kernel_pgtable_init() replaces them with
 * tables that say what each address is for:
 *
 *   DIRECT_MAP_BASE + pa   every RAM range of the memory map (available,
 *                          ACPI reclaimable, ACPI NVS) and the first 1 MiB:
 *                          RW, NX, in the largest pages that fit
 *   KERNEL_VIRT + pa       the kernel image, 4 KiB pages: .text RX,
 *                          .rodata R, .data/.ksyms/.bss RW+NX
 *   0 + pa (PGD entry 0)   the boot identity map, kept for the AP trampoline
 *
 * and later, on request, MMIO windows and firmware tables at phys_to_virt.
 * Every leaf is global: the kernel half is the same in every address space,
 * so a CR3 switch need not flush it.
 */
#include "mm/kernel_pgtable.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tlb.h"
#include "kernel/bootinfo.h"
#include "kernel/printk.h"
#include "kernel/rcu.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/pgtable.h"

pgd_t swapper_pg_dir[PTRS_PER_PGD] __aligned(PAGE_SIZE);   /* .bss: below 4 GiB */
u64 mmu_cr4_features;

/* Linux's init_mm.page_table_lock: taken for every change below swapper_pg_dir. */
static DEFINE_SPINLOCK(kernel_pt_lock);
/* kernel_pt_lock protects these, and the tables themselves: */
static unsigned long nr_pt_pages;        /* page-table pages below swapper_pg_dir */
static bool kernel_pgds_fixed;           /* boot is over: no new kernel PGD entries */

/* Written at boot only: */
#define MAX_DIRECT_RANGES (MAX_MMAP_ENTRIES + 1)
static struct memblock_region direct_ranges[MAX_DIRECT_RANGES];   /* sorted, merged */
static int nr_direct_ranges;
static unsigned long direct_map_pages[PG_LEVEL_1G + 1];           /* leaves by level */

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _end[];
extern char boot_pml4[];                 /* boot/entry.asm, linked at its physical address */

/*
 * A zeroed page to hold a page table: from the buddy allocator once it runs,
 * from memblock before (those pages stay reserved for good). Returns its
 * physical address, 0 if there is no memory. kernel_pt_lock held.
 */
static phys_addr_t pt_alloc(void)
{
	phys_addr_t pa;

	if (page_alloc_ready()) {
		struct page *page = alloc_page();
		if (!page)
			return 0;
		memset(page_address(page), 0, PAGE_SIZE);
		SetPageTable(page);
		pa = page_to_phys(page);
	} else {
		pa = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE);
		if (!pa)
			panic("kernel_pgtable: out of boot memory for page tables");
	}
	nr_pt_pages++;
	return pa;
}

/*
 * R1 step 3 for a kernel table: a grace period after it was unhooked and
 * flushed from every CPU, no kernel_lookup() that found it can still be
 * reading it. Poisoned first, as user tables are (mm/pgtable.h), so that a
 * walker that reads it anyway sees an entry no live table holds.
 */
static void kernel_pt_free_rcu(struct rcu_head *head)
{
	struct page *page = container_of(head, struct page, pt_rcu_head);
	u64 *entry = page_address(page);

	for (int i = 0; i < PTRS_PER_TABLE; i++)
		WRITE_ONCE(entry[i], PGTABLE_POISON);
	ClearPageTable(page);
	__free_page(page);
	unsigned long flags = spin_lock_irqsave(&kernel_pt_lock);
	nr_pt_pages--;
	spin_unlock_irqrestore(&kernel_pt_lock, flags);
	count_vm_event(PGTABLE_FREE_DONE);
}

/*
 * Free a table that is unhooked and flushed on every CPU (R1 steps 1 and
 * 2): after a grace period (step 3). It counts in nr_pt_pages until then.
 * Boot-time tables (memblock, reserved) are never reused: kept.
 */
static void pt_free(phys_addr_t pa)
{
	struct page *page = phys_to_page(pa);

	if (PageReserved(page)) {
		unsigned long flags = spin_lock_irqsave(&kernel_pt_lock);
		nr_pt_pages--;
		spin_unlock_irqrestore(&kernel_pt_lock, flags);
		return;
	}
	count_vm_event(PGTABLE_FREE_DEFERRED);
	call_rcu(&page->pt_rcu_head, kernel_pt_free_rcu);
}

/*
 * Descend one level, creating the table below if the entry is none. Each
 * returns the entry for va in the lower table, or NULL if no page could be
 * had. The entry passed in must not be a leaf. kernel_pt_lock held.
 */
static pud_t *pud_alloc_kernel(pgd_t *pgd, unsigned long va)
{
	if (pgd_none(pgdp_get(pgd))) {
		/* Every address space copied the kernel PGD entries when it was made. */
		if (kernel_pgds_fixed)
			panic("kernel_pgtable: no PGD entry for %#lx; kernel PGD entries are fixed at boot", va);
		phys_addr_t pa = pt_alloc();
		if (!pa)
			return NULL;
		set_pgd(pgd, pgd_table(pa));
	}
	return pud_offset(pgd, va);
}

static pmd_t *pmd_alloc_kernel(pud_t *pud, unsigned long va)
{
	if (pud_leaf(pudp_get(pud)))
		panic("kernel_pgtable: %#lx lies in a 1 GiB page", va);
	if (pud_none(pudp_get(pud))) {
		phys_addr_t pa = pt_alloc();
		if (!pa)
			return NULL;
		set_pud(pud, pud_table(pa));
	}
	return pmd_offset(pud, va);
}

static pte_t *pte_alloc_kernel(pmd_t *pmd, unsigned long va)
{
	if (pmd_leaf(pmdp_get(pmd)))
		panic("kernel_pgtable: %#lx lies in a 2 MiB page", va);
	if (pmd_none(pmdp_get(pmd))) {
		phys_addr_t pa = pt_alloc();
		if (!pa)
			return NULL;
		set_pmd(pmd, pmd_table(pa));
	}
	return pte_offset_kernel(pmd, va);
}

/* The PTE for va, with every table above it created; NULL if out of memory. */
static pte_t *walk_alloc_pte(unsigned long va)
{
	pud_t *pud = pud_alloc_kernel(pgd_offset_k(va), va);
	pmd_t *pmd = pud ? pmd_alloc_kernel(pud, va) : NULL;
	return pmd ? pte_alloc_kernel(pmd, va) : NULL;
}

/*
 * Lockless: each level is read once (pgdp_get...), and the tables it passes
 * through stay valid while the caller is inside rcu_read_lock() -- a table
 * kernel_unmap_page() empties is freed only a grace period later.
 */
pte_t *kernel_lookup(unsigned long va, enum pg_level *level)
{
	*level = PG_LEVEL_NONE;
	pgd_t *pgd = pgd_offset_k(va);
	if (!pgd_present(pgdp_get(pgd)))
		return NULL;
	pud_t *pud = pud_offset(pgd, va);
	pud_t pudv = pudp_get(pud);
	if (!pud_present(pudv))
		return NULL;
	if (pud_leaf(pudv)) {
		*level = PG_LEVEL_1G;
		return (pte_t *)pud;
	}
	pmd_t *pmd = pmd_offset(pud, va);
	pmd_t pmdv = pmdp_get(pmd);
	if (!pmd_present(pmdv))
		return NULL;
	if (pmd_leaf(pmdv)) {
		*level = PG_LEVEL_2M;
		return (pte_t *)pmd;
	}
	pte_t *pte = pte_offset_kernel(pmd, va);
	if (!pte_present(ptep_get(pte)))
		return NULL;
	*level = PG_LEVEL_4K;
	return pte;
}

/* Is pa inside a range the direct map covers as RAM? */
static bool in_direct_map_ram(phys_addr_t pa)
{
	for (int i = 0; i < nr_direct_ranges; i++)
		if (direct_ranges[i].base <= pa && pa < direct_ranges[i].end)
			return true;
	return false;
}

/* Can [pa, end) start with a page of this size at pa? */
static bool fits(phys_addr_t pa, phys_addr_t end, u64 size)
{
	return IS_ALIGNED(pa, size) && end - pa >= size;
}

/*
 * Map one step of the direct map at pa: a 1 GiB page if the CPU has them
 * and [pa, end) covers an aligned GiB, else a 2 MiB page if it covers an
 * aligned 2 MiB, else a 4 KiB page. Returns the bytes mapped. Boot only:
 * nothing is mapped in the direct map yet, so every entry met is none or a
 * table made by an earlier step.
 */
static u64 direct_map_step(phys_addr_t pa, phys_addr_t end)
{
	unsigned long va = (unsigned long)phys_to_virt(pa);
	unsigned long pfn = pa >> PAGE_SHIFT;
	pud_t *pud = pud_alloc_kernel(pgd_offset_k(va), va);

	if (cpu_has.pdpe1gb && fits(pa, end, PUD_SIZE) && pud_none(pudp_get(pud))) {
		set_pud(pud, pfn_pud(pfn, PAGE_KERNEL));
		direct_map_pages[PG_LEVEL_1G]++;
		return PUD_SIZE;
	}
	pmd_t *pmd = pmd_alloc_kernel(pud, va);
	if (fits(pa, end, PMD_SIZE) && pmd_none(pmdp_get(pmd))) {
		set_pmd(pmd, pfn_pmd(pfn, PAGE_KERNEL));
		direct_map_pages[PG_LEVEL_2M]++;
		return PMD_SIZE;
	}
	set_pte(pte_alloc_kernel(pmd, va), pfn_pte(pfn, PAGE_KERNEL));
	direct_map_pages[PG_LEVEL_4K]++;
	return PAGE_SIZE;
}

static bool is_ram_type(u32 type)
{
	return type == MMAP_AVAILABLE || type == MMAP_ACPI_RECLAIMABLE || type == MMAP_ACPI_NVS;
}

/*
 * The direct map covers the RAM ranges of the memory map and the first
 * 1 MiB, rounded out to pages and merged: after merging, any aligned 2 MiB
 * or 1 GiB block lies in at most one range, so a large page never has to
 * share its block with a separately mapped neighbour.
 */
static void collect_direct_ranges(void)
{
	memblock_region_insert(direct_ranges, &nr_direct_ranges, MAX_DIRECT_RANGES,
			       0, MEMBLOCK_LOW_LIMIT);
	for (int i = 0; i < bootinfo.nr_mmap; i++) {
		const struct mmap_entry *e = &bootinfo.mmap[i];
		if (is_ram_type(e->type))
			memblock_region_insert(direct_ranges, &nr_direct_ranges, MAX_DIRECT_RANGES,
					       ALIGN_DOWN(e->base, PAGE_SIZE),
					       ALIGN_UP(e->base + e->len, PAGE_SIZE));
	}
}

static void map_direct(void)
{
	for (int i = 0; i < nr_direct_ranges; i++)
		for (phys_addr_t pa = direct_ranges[i].base; pa < direct_ranges[i].end;)
			pa += direct_map_step(pa, direct_ranges[i].end);
}

/*
 * Create the PUD table of each kernel PGD entry the kernel will ever use:
 * the direct map up to the end of RAM or 4 GiB (MMIO below 4 GiB is mapped
 * there by ioremap), the VMALLOC area and the kernel image. After boot these
 * entries never change (kernel_pgds_fixed).
 */
static void populate_kernel_pgds(void)
{
	phys_addr_t top = MAX(direct_ranges[nr_direct_ranges - 1].end, MEMBLOCK_BOOT_LIMIT);

	for (phys_addr_t pa = 0; pa < top; pa += PGD_SIZE) {
		unsigned long va = (unsigned long)phys_to_virt(pa);
		pud_alloc_kernel(pgd_offset_k(va), va);
	}
	pud_alloc_kernel(pgd_offset_k(VMALLOC_START), VMALLOC_START);
	pud_alloc_kernel(pgd_offset_k(KERNEL_VIRT), KERNEL_VIRT);
}

/* Map the kernel image's pages [start, end) at their link addresses. */
static void map_kernel_section(const char *start, const char *end, u64 prot)
{
	for (unsigned long va = (unsigned long)start; va < (unsigned long)end; va += PAGE_SIZE)
		set_pte(walk_alloc_pte(va), pfn_pte(virt_to_phys((void *)va) >> PAGE_SHIFT, prot));
}

/* Turn on global pages, SMEP and SMAP, as far as the CPU has them. */
static void enable_cr4_features(void)
{
	if (cpu_has.pge)
		mmu_cr4_features |= CR4_PGE;
	if (cpu_has.smep)
		mmu_cr4_features |= CR4_SMEP;
	if (cpu_has.smap)
		mmu_cr4_features |= CR4_SMAP;
	write_cr4(read_cr4() | mmu_cr4_features);
}

void kernel_pgtable_init(void)
{
	unsigned long flags = spin_lock_irqsave(&kernel_pt_lock);

	collect_direct_ranges();
	populate_kernel_pgds();
	map_direct();
	map_kernel_section(_text, _etext, PAGE_KERNEL_EXEC);
	map_kernel_section(_rodata, _erodata, PAGE_KERNEL_RO);
	map_kernel_section(_data, _end, PAGE_KERNEL);
	/* The boot identity map (its tables lie in the kernel image, reserved). */
	set_pgd(&swapper_pg_dir[0], ((pgd_t *)phys_to_virt((phys_addr_t)boot_pml4))[0]);

	/* Global entries from the boot tables do not exist: a CR3 write drops them all. */
	write_cr3(virt_to_phys(swapper_pg_dir));
	enable_cr4_features();
	kernel_pgds_fixed = true;
	spin_unlock_irqrestore(&kernel_pt_lock, flags);
	/* All RAM is mapped now, not only what the boot tables covered. */
	memblock_set_current_limit(memblock_end_of_DRAM());
}

void kernel_pgtable_init_ap(void)
{
	write_cr3(virt_to_phys(swapper_pg_dir));
	write_cr4(read_cr4() | mmu_cr4_features);
}

void kernel_pgtable_drop_identity(void)
{
	unsigned long flags = spin_lock_irqsave(&kernel_pt_lock);
	set_pgd(&swapper_pg_dir[0], __pgd(0));
	spin_unlock_irqrestore(&kernel_pt_lock, flags);
	/*
	 * The identity entries are not global, so reloading CR3 flushes them.
	 * Other CPUs flush theirs at their next CR3 write; nothing uses the
	 * identity addresses once the APs are up.
	 */
	write_cr3(read_cr3());
}

/*
 * Map the pages of [phys, phys + size) that are not RAM at phys_to_virt
 * with prot, replacing what an earlier call put there. NULL if a page table
 * could not be allocated.
 *
 * A new entry where there was none needs no flush: x86 caches no
 * not-present entry. One that replaces a present entry (memremap_ro of a
 * page, then ioremap of it: cached read-only -> uncached writable) must be
 * flushed from every CPU, not only this one: the kernel half is in every
 * CR3, and any CPU may hold the old translation, with the old caching and
 * permissions, until it flushes (rule R1 step 2 for the kernel half).
 */
static void *map_phys_range(phys_addr_t phys, size_t size, u64 prot, const char *who)
{
	phys_addr_t end = ALIGN_UP(phys + size, PAGE_SIZE);
	void *ret = phys_to_virt(phys);
	unsigned long replaced_lo = ~0ul, replaced_hi = 0;
	unsigned long flags = spin_lock_irqsave(&kernel_pt_lock);

	for (phys_addr_t pa = ALIGN_DOWN(phys, PAGE_SIZE); pa < end; pa += PAGE_SIZE) {
		if (in_direct_map_ram(pa))
			continue;       /* RAM: mapped already, and must stay cached */
		unsigned long va = (unsigned long)phys_to_virt(pa);
		pte_t *pte = walk_alloc_pte(va);
		if (!pte) {
			printk("%s: no memory for a page table at %#lx\n", who, pa);
			ret = NULL;
			break;
		}
		pte_t old = ptep_get(pte), new = pfn_pte(pa >> PAGE_SHIFT, prot);
		if (pte_val(old) == pte_val(new))
			continue;
		set_pte(pte, new);
		if (pte_present(old)) {
			replaced_lo = MIN(replaced_lo, va);
			replaced_hi = va + PAGE_SIZE;
		}
	}
	spin_unlock_irqrestore(&kernel_pt_lock, flags);
	/* Outside the lock: the flush waits for the other CPUs with interrupts on. */
	if (replaced_hi)
		flush_tlb_kernel_range(replaced_lo, replaced_hi);
	return ret;
}

void *ioremap(phys_addr_t phys, size_t size)
{
	return map_phys_range(phys, size, PAGE_KERNEL_IO, "ioremap");
}

void *memremap_ro(phys_addr_t phys, size_t size)
{
	return map_phys_range(phys, size, PAGE_KERNEL_RO, "memremap_ro");
}

/* In the kernel half of the canonical address space (PGD entries 256..511)? */
static bool is_kernel_va(unsigned long va)
{
	return va >= 0xffff800000000000ul;
}

int kernel_map_page(unsigned long va, phys_addr_t pa, u64 prot)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE) || !is_kernel_va(va))
		return -EINVAL;
	enum pg_level level;
	rcu_read_lock();
	bool mapped = kernel_lookup(va, &level) != NULL;
	rcu_read_unlock();
	if (mapped)
		return -EEXIST;

	unsigned long flags = spin_lock_irqsave(&kernel_pt_lock);
	pte_t *pte = walk_alloc_pte(va);
	int err = pte ? 0 : -ENOMEM;
	if (pte && !pte_none(ptep_get(pte)))
		err = -EEXIST;          /* mapped by another CPU since the lookup */
	else if (pte)
		set_pte(pte, pfn_pte(pa >> PAGE_SHIFT, prot));
	spin_unlock_irqrestore(&kernel_pt_lock, flags);
	return err;
}

/* True if all 512 entries of the table at pa are none. */
static bool table_empty(phys_addr_t pa)
{
	const u64 *e = phys_to_virt(pa);

	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (READ_ONCE(e[i]))
			return false;
	return true;
}

/*
 * The PTE at va was just cleared. Unhook the PTE table if that left it
 * empty, then the PMD table if that left it empty (PUD tables stay: kernel
 * PGD entries are fixed): R1 step 1, under the lock of the parents. Returns
 * in freed[] the tables to free once every TLB is flushed, and their
 * number. kernel_pt_lock held.
 */
static int unhook_empty_tables(pud_t *pud, pmd_t *pmd, phys_addr_t freed[2])
{
	int n = 0;

	if (!table_empty(pmd_phys(pmdp_get(pmd))))
		return 0;
	freed[n++] = pmd_phys(pmdp_get(pmd));
	pmd_clear(pmd);
	if (table_empty(pud_phys(pudp_get(pud)))) {
		freed[n++] = pud_phys(pudp_get(pud));
		pud_clear(pud);
	}
	return n;
}

int kernel_unmap_page(unsigned long va)
{
	enum pg_level level;
	phys_addr_t freed[2];
	int n = 0, err = 0;
	unsigned long flags = spin_lock_irqsave(&kernel_pt_lock);

	pte_t *pte = kernel_lookup(va, &level);
	if (!pte) {
		err = -ENOENT;
	} else if (level != PG_LEVEL_4K || !is_kernel_va(va)) {
		err = -EINVAL;
	} else {
		pud_t *pud = pud_offset(pgd_offset_k(va), va);
		pmd_t *pmd = pmd_offset(pud, va);
		pte_clear(pte);
		n = unhook_empty_tables(pud, pmd, freed);
	}
	spin_unlock_irqrestore(&kernel_pt_lock, flags);
	if (err)
		return err;
	/*
	 * R1 step 2 (issue 9, bug 4): the kernel half is in every CR3, so any
	 * CPU may hold the translation of va or paging-structure entries that
	 * lead into the unhooked tables -- it caches them on its own, by
	 * speculation, not only when it used va. Every CPU flushes, not only
	 * this one (a local INVLPG would leave the others able to walk a
	 * freed, reused page as a table). Outside the lock: the flush waits
	 * for the others with interrupts on.
	 */
	flush_tlb_kernel_range(va, va + PAGE_SIZE);
	/*
	 * R1 step 3 / R5: kernel_lookup() walks with no lock, inside
	 * rcu_read_lock() and with interrupts on; having taken the flush IPI
	 * does not mean it left the table. Free after a grace period.
	 */
	for (int i = 0; i < n; i++)
		pt_free(freed[i]);
	return 0;
}

u64 direct_map_bytes(enum pg_level level)
{
	static const u64 size[] = { 0, PAGE_SIZE, PMD_SIZE, PUD_SIZE };
	return level <= PG_LEVEL_1G ? direct_map_pages[level] * size[level] : 0;
}

unsigned long kernel_pgtable_pages(void)
{
	return READ_ONCE(nr_pt_pages);
}
