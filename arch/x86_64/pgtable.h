/*
 * x86-64 4-level paging: address layout and page-table entry bits.
 *
 *   virtual address:  | PGD 9 | PUD 9 | PMD 9 | PTE 9 | offset 12 |
 *                      47   39 38  30 29  21 20  12 11          0
 *
 * A PGD entry maps 512 GiB, a PUD entry 1 GiB (or is a 1 GiB page), a PMD
 * entry 2 MiB (or is a 2 MiB page), a PTE 4 KiB. Linux's names are kept.
 */
#pragma once
#include "kernel/types.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))
#define PMD_SHIFT  21
#define PMD_SIZE   (1ul << PMD_SHIFT)
#define PUD_SHIFT  30
#define PUD_SIZE   (1ul << PUD_SHIFT)
#define PGD_SHIFT  39
#define PTRS_PER_TABLE 512

#define KERNEL_VIRT      0xffffffff80000000ul   /* kernel image, -mcmodel=kernel */
#define DIRECT_MAP_BASE  0xffff888000000000ul   /* all RAM, phys_to_virt */
#define USER_TOP         0x00007ffffffff000ul

/* Entry bits */
#define _PAGE_PRESENT  (1ul << 0)
#define _PAGE_RW       (1ul << 1)
#define _PAGE_USER     (1ul << 2)
#define _PAGE_PWT      (1ul << 3)
#define _PAGE_PCD      (1ul << 4)
#define _PAGE_ACCESSED (1ul << 5)
#define _PAGE_DIRTY    (1ul << 6)
#define _PAGE_PSE      (1ul << 7)    /* in a PUD/PMD entry: a 1 GiB / 2 MiB page */
#define _PAGE_GLOBAL   (1ul << 8)    /* survives CR3 reloads (kernel mappings) */
#define _PAGE_NX       (1ul << 63)
#define PTE_ADDR_MASK  0x000ffffffffff000ul

/* Protections for kernel mappings. */
#define PAGE_KERNEL_TABLE (_PAGE_PRESENT | _PAGE_RW)       /* non-leaf entries */
#define PAGE_KERNEL      (_PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | _PAGE_NX | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PAGE_KERNEL_RO   (_PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_NX | _PAGE_ACCESSED)
#define PAGE_KERNEL_EXEC (_PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_ACCESSED)
#define PAGE_KERNEL_IO   (PAGE_KERNEL | _PAGE_PCD | _PAGE_PWT)   /* uncached MMIO */

#define pgd_index(va) (((va) >> PGD_SHIFT) & 511)
#define pud_index(va) (((va) >> PUD_SHIFT) & 511)
#define pmd_index(va) (((va) >> PMD_SHIFT) & 511)
#define pte_index(va) (((va) >> PAGE_SHIFT) & 511)

static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(pa + DIRECT_MAP_BASE);
}

/* Works for direct-map addresses and for the kernel image. */
static inline phys_addr_t virt_to_phys(const void *va)
{
	u64 v = (u64)va;
	return v >= KERNEL_VIRT ? v - KERNEL_VIRT : v - DIRECT_MAP_BASE;
}
