/*
 * Multiboot2 boot information: a list of 8-byte-aligned tags after an
 * 8-byte header (total size, reserved). Each tag starts with u32 type,
 * u32 size. We copy what we need into `bootinfo` so later code does not
 * depend on the block, whose memory the allocator may reuse... except the
 * strings, which stay in place: the block is reserved for the kernel's life.
 */
#include "kernel/bootinfo.h"
#include "arch/x86_64/pgtable.h"
#include "kernel/printk.h"
#include "kernel/string.h"

struct bootinfo bootinfo;

#define TAG_END          0
#define TAG_CMDLINE      1
#define TAG_LOADER_NAME  2
#define TAG_MODULE       3
#define TAG_MMAP         6
#define TAG_EFI64        12
#define TAG_ACPI_OLD     14
#define TAG_ACPI_NEW     15
#define TAG_EFI_MMAP     17
#define TAG_EFI64_IH     20

struct mb2_tag { u32 type, size; };

struct mb2_mmap_tag {
	u32 type, size, entry_size, entry_version;
	struct { u64 base, len; u32 type, reserved; } entries[];
};

struct mb2_module_tag {
	u32 type, size, mod_start, mod_end;
	char name[];
};

struct mb2_efi_mmap_tag {
	u32 type, size, desc_size, desc_version;
};

static void parse_mmap(const struct mb2_mmap_tag *t)
{
	const u8 *p = (const u8 *)t->entries, *end = (const u8 *)t + t->size;

	for (; p + t->entry_size <= end; p += t->entry_size) {
		const typeof(t->entries[0]) *e = (const void *)p;
		if (bootinfo.nr_mmap == MAX_MMAP_ENTRIES) {
			printk("bootinfo: memory map truncated at %d entries\n", MAX_MMAP_ENTRIES);
			return;
		}
		bootinfo.mmap[bootinfo.nr_mmap++] =
			(struct mmap_entry){ e->base, e->len, e->type };
	}
}

static void parse_tag(const struct mb2_tag *tag)
{
	switch (tag->type) {
	case TAG_CMDLINE:
		bootinfo.cmdline = (const char *)(tag + 1);
		break;
	case TAG_LOADER_NAME:
		bootinfo.loader_name = (const char *)(tag + 1);
		break;
	case TAG_MODULE: {
		const struct mb2_module_tag *m = (const void *)tag;
		if (bootinfo.nr_modules < MAX_MODULES)
			bootinfo.modules[bootinfo.nr_modules++] =
				(struct boot_module){ m->mod_start, m->mod_end, m->name };
		else
			printk("bootinfo: module %s ignored (more than %d)\n", m->name, MAX_MODULES);
		break;
	}
	case TAG_MMAP:
		parse_mmap((const void *)tag);
		break;
	case TAG_EFI64:
	case TAG_EFI64_IH:
		bootinfo.uefi = true;
		break;
	case TAG_EFI_MMAP: {
		const struct mb2_efi_mmap_tag *e = (const void *)tag;
		bootinfo.uefi = true;
		if (e->desc_size)
			bootinfo.nr_efi_mmap = (e->size - sizeof(*e)) / e->desc_size;
		break;
	}
	case TAG_ACPI_OLD:
	case TAG_ACPI_NEW:
		/* Prefer the ACPI 2.0+ RSDP when GRUB gives both. */
		if (!bootinfo.rsdp_phys || tag->type == TAG_ACPI_NEW) {
			bootinfo.rsdp_phys = virt_to_phys(tag + 1);
			bootinfo.rsdp_revision = tag->type == TAG_ACPI_NEW ? 2 : 0;
		}
		break;
	}
}

void bootinfo_parse(phys_addr_t phys)
{
	const u32 *hdr = phys_to_virt(phys);
	const u8 *p = (const u8 *)(hdr + 2), *end = (const u8 *)hdr + hdr[0];

	bootinfo.mbi_phys = phys;
	bootinfo.mbi_size = hdr[0];
	bootinfo.cmdline = "";
	bootinfo.loader_name = "unknown";
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *tag = (const void *)p;
		if (tag->type == TAG_END)
			break;
		parse_tag(tag);
		p += ALIGN_UP(tag->size, 8);
	}
}

const char *mmap_type_name(u32 type)
{
	static const char *const names[] = {
		"?", "available", "reserved", "ACPI reclaimable", "ACPI NVS", "bad",
	};
	return type < ARRAY_SIZE(names) ? names[type] : "reserved";
}
