/* What the boot loader told us, parsed from the multiboot2 information. */
#pragma once
#include "kernel/types.h"

#define MAX_MMAP_ENTRIES 128
/* The Makefile reads this line: an ISO with more bundled programs (each one
 * module) than this is a build error, not modules dropped at boot. */
#define MAX_MODULES 64

/* Memory map entry types (multiboot2 / e820 numbering). */
#define MMAP_AVAILABLE 1
#define MMAP_RESERVED  2
#define MMAP_ACPI_RECLAIMABLE 3
#define MMAP_ACPI_NVS  4
#define MMAP_BAD       5

struct mmap_entry {
	phys_addr_t base;
	u64 len;
	u32 type;
};

struct boot_module {
	phys_addr_t start, end;
	const char *name;        /* the string after the path on GRUB's module2 line */
};

struct bootinfo {
	phys_addr_t mbi_phys;     /* the multiboot2 information block itself */
	u64 mbi_size;
	const char *cmdline;
	const char *loader_name;
	bool uefi;                /* booted through UEFI (EFI tags present) */
	struct mmap_entry mmap[MAX_MMAP_ENTRIES];
	int nr_mmap;
	int nr_efi_mmap;          /* entries in the EFI memory map tag, if any */
	struct boot_module modules[MAX_MODULES];
	int nr_modules;
	phys_addr_t rsdp_phys;    /* the copy of the ACPI RSDP GRUB put in the tag */
	int rsdp_revision;        /* 0: ACPI 1.0 (RSDT), 2+: XSDT */
};

extern struct bootinfo bootinfo;

/* Parse the multiboot2 information at phys (reached through the direct map). */
void bootinfo_parse(phys_addr_t phys);
const char *mmap_type_name(u32 type);
