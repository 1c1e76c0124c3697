/*
 * The kernel's own page tables (init_mm's PGD): the direct map of RAM, the
 * kernel image with per-section permissions, MMIO windows. The kernel half
 * (PGD entries 256..511) is shared by every address space.
 */
#pragma once
#include "arch/x86_64/pgtable.h"

/* Build the kernel page tables from the memory map and switch CR3 to them. */
void kernel_pgtable_init(void);
/* Map an MMIO range uncached at phys_to_virt(phys); returns that address. */
void *ioremap(phys_addr_t phys, size_t size);
