/* TEMPORARY: boot page tables only; replaced by the real kernel page tables. */
#include "mm/kernel_pgtable.h"

void kernel_pgtable_init(void)
{
}

void *ioremap(phys_addr_t phys, size_t size)
{
	return phys_to_virt(phys);
}
