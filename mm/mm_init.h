/* Bringing up memory management at boot. */
#pragma once

/*
 * In order: memblock from the boot memory map, the kernel page tables (CR3
 * switches to swapper_pg_dir), the buddy allocator and mem_map, the kmalloc
 * caches. Prints one summary line. Boot CPU, once, before anything
 * allocates memory or maps MMIO.
 */
void mm_init(void);
