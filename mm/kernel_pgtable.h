/*
 * The kernel's own page tables (init_mm's PGD, swapper_pg_dir): the direct
 * map of RAM, the kernel image with per-section permissions, MMIO windows
 * and firmware tables. The kernel half (PGD entries 256..511) is shared by
 * every address space; its entries are all filled in at boot and never
 * change afterwards, so copying them into a new PGD once is enough.
 *
 * Every change below swapper_pg_dir is made under one lock (Linux calls it
 * init_mm.page_table_lock). Rule R1 holds for these tables as for user
 * ones: a table kernel_unmap_page() empties is unhooked under that lock,
 * flushed from every CPU's TLB and paging-structure caches, and freed
 * after an RCU grace period, because kernel_lookup() walks without the
 * lock and any CPU may cache entries of the shared kernel half.
 */
#pragma once
#include "arch/x86_64/pgtable.h"

/*
 * Build the kernel page tables from the memory map and switch CR3 to
 * swapper_pg_dir; turn on global pages, and SMEP/SMAP when the CPU has them.
 * PGD entry 0 keeps the boot identity map of 0..4 GiB until
 * kernel_pgtable_drop_identity(). Boot CPU, once, after memblock_init().
 */
void kernel_pgtable_init(void);

/*
 * The CR4 bits the kernel runs with (PGE, SMEP, SMAP), set by
 * kernel_pgtable_init(). An AP sets them with kernel_pgtable_init_ap() once
 * it runs on swapper_pg_dir (its trampoline loads that into CR3).
 */
extern u64 mmu_cr4_features;
void kernel_pgtable_init_ap(void);

/*
 * Clear PGD entry 0 (the identity map the AP trampoline needs) and flush it
 * from this CPU's TLB. Call once every AP is up.
 */
void kernel_pgtable_drop_identity(void);

/*
 * Map an MMIO range uncached (PAGE_KERNEL_IO) at phys_to_virt(phys), 4 KiB
 * pages, and return that address (NULL if a page table could not be
 * allocated). Pages that are RAM keep their direct mapping. Calling it again
 * for the same range is harmless.
 */
void *ioremap(phys_addr_t phys, size_t size);

/*
 * Map a firmware range (ACPI tables, which may sit in "reserved" memory)
 * read-only and cached at phys_to_virt(phys) and return that address, or
 * NULL. Pages already in the direct map stay as they are.
 */
void *memremap_ro(phys_addr_t phys, size_t size);

/*
 * Map the 4 KiB page at physical pa at kernel address va (page aligned, in
 * the kernel half) with the entry flags prot (PAGE_KERNEL...). Returns 0,
 * -EEXIST if va is mapped already, -ENOMEM if a page table could not be
 * allocated, -EINVAL for a bad va.
 */
int kernel_map_page(unsigned long va, phys_addr_t pa, u64 prot);

/*
 * Remove the 4 KiB mapping at va, flush it from every CPU's TLB
 * (flush_tlb_kernel_range) and free the page tables left empty after a
 * grace period (not the page it mapped: once this returns, no CPU
 * translates va, and the caller may free it). Returns 0, -ENOENT if
 * nothing is mapped there, -EINVAL if va lies in a 2 MiB or 1 GiB page.
 * Process context, interrupts on (the flush waits for the other CPUs).
 */
int kernel_unmap_page(unsigned long va);

/*
 * Walk swapper_pg_dir for va without locks (for tests and diagnostics).
 * Returns the leaf entry that maps va -- a PTE, or a PMD/PUD entry cast to
 * pte_t * for a 2 MiB/1 GiB page -- and sets *level accordingly; NULL and
 * PG_LEVEL_NONE if va is not mapped. Where va may be unmapped meanwhile,
 * call it and use what it returns inside rcu_read_lock() (or hold the
 * mapping's owner's guarantee it stays): the table the entry lies in may
 * be unhooked, but is not freed before the section ends.
 */
pte_t *kernel_lookup(unsigned long va, enum pg_level *level);

/* Bytes of the direct map of RAM mapped with pages of this level. */
u64 direct_map_bytes(enum pg_level level);
/* Page-table pages under swapper_pg_dir, and unhooked ones waiting for their grace period. */
unsigned long kernel_pgtable_pages(void);
