/*
 * ACPI table discovery and the MADT (see acpi.h).
 *
 * The path is: RSDP -> XSDT (64-bit pointers; ACPI 2.0+) or RSDT (32-bit
 * pointers; ACPI 1.0) -> the table whose signature is "APIC", the MADT.
 * Each step is checked with its checksum before it is believed: firmware
 * tables are input, and a corrupt one should stop us with a clear message
 * rather than send INIT IPIs to made-up APIC ids.
 */
#include "arch/x86_64/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/kernel_pgtable.h"

struct acpi_madt_info acpi_madt;
const struct acpi_rsdp *acpi_rsdp;
const struct acpi_sdt_header *acpi_root;

#define BIOS_EBDA_PTR   0x40e            /* BDA word: EBDA segment */
#define BIOS_ROM_START  0xe0000
#define BIOS_ROM_END    0x100000

/* MADT entry types */
#define MADT_LAPIC          0
#define MADT_IOAPIC         1
#define MADT_OVERRIDE       2
#define MADT_NMI_SOURCE     3
#define MADT_LAPIC_NMI      4
#define MADT_LAPIC_ADDR     5
#define MADT_X2APIC         9
#define MADT_X2APIC_NMI     10

#define MADT_PCAT_COMPAT    (1u << 0)    /* MADT flags */
#define LAPIC_ENABLED       (1u << 0)    /* processor entry flags */
#define LAPIC_ONLINE_CAPABLE (1u << 1)

struct madt {
	struct acpi_sdt_header hdr;
	u32 lapic_addr;
	u32 flags;
	u8 entries[];
} __packed;

struct madt_entry { u8 type, length; } __packed;

/*
 * Reach a firmware table at physical address pa. ACPI tables can sit in
 * ranges the direct map of RAM leaves out (SeaBIOS puts them in "reserved"
 * memory), so they are mapped read-only at their phys_to_virt address.
 * Returns NULL if that fails.
 */
static const void *acpi_map(phys_addr_t pa, size_t len)
{
	return memremap_ro(pa, len);
}

bool acpi_checksum_ok(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

bool acpi_rsdp_valid(const struct acpi_rsdp *rsdp)
{
	if (memcmp(rsdp->signature, "RSD PTR ", 8) ||
	    !acpi_checksum_ok(rsdp, ACPI_RSDP_V1_LEN))
		return false;
	if (rsdp->revision < 2)
		return true;
	return rsdp->length >= sizeof(*rsdp) && acpi_checksum_ok(rsdp, rsdp->length);
}

/* Look for a valid RSDP on the 16-byte boundaries of [start, end). */
static const struct acpi_rsdp *scan_for_rsdp(phys_addr_t start, phys_addr_t end)
{
	const u8 *area = acpi_map(start, end - start);

	for (phys_addr_t off = 0; area && start + off + sizeof(struct acpi_rsdp) <= end; off += 16) {
		const struct acpi_rsdp *r = (const void *)(area + off);
		if (acpi_rsdp_valid(r))
			return r;
	}
	return NULL;
}

/*
 * The RSDP: GRUB's copy in the multiboot2 tag if there is one; otherwise,
 * under BIOS only, where the ACPI spec says to look: the first KiB of the
 * EBDA, then the BIOS ROM area 0xE0000-0xFFFFF.
 */
static const struct acpi_rsdp *find_rsdp(void)
{
	if (bootinfo.rsdp_phys) {
		const struct acpi_rsdp *r = acpi_map(bootinfo.rsdp_phys, sizeof(*r));
		if (r && acpi_rsdp_valid(r))
			return r;
		printk("acpi: the boot loader's RSDP copy is invalid; scanning\n");
	}
	return bootinfo.uefi ? NULL : acpi_scan_bios_areas();
}

const struct acpi_rsdp *acpi_scan_bios_areas(void)
{
	const u16 *bda_ebda = acpi_map(BIOS_EBDA_PTR, 2);
	phys_addr_t ebda = bda_ebda ? (phys_addr_t)*bda_ebda << 4 : 0;
	const struct acpi_rsdp *r = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)   /* a sane EBDA lies just below 640K */
		r = scan_for_rsdp(ebda, ebda + 1024);
	return r ? r : scan_for_rsdp(BIOS_ROM_START, BIOS_ROM_END);
}

/* Copy a fixed-width, not NUL-terminated ACPI name into out[n + 1] for printing. */
static const char *name_str(char *out, const char *name, int n)
{
	memcpy(out, name, n);
	out[n] = '\0';
	return out;
}

/* Map a table and check its length and checksum; NULL if it fails. */
static const struct acpi_sdt_header *map_table(phys_addr_t pa)
{
	const struct acpi_sdt_header *h = acpi_map(pa, sizeof(*h));

	if (!h || h->length < sizeof(*h) || !acpi_map(pa, h->length))
		return NULL;
	if (!acpi_checksum_ok(h, h->length)) {
		char sig[5];
		printk("acpi: table %s at %#lx has a bad checksum; ignored\n",
		       name_str(sig, h->signature, 4), pa);
		return NULL;
	}
	return h;
}

/* Entry i of the root table: 8-byte pointers in the XSDT, 4-byte in the RSDT. */
static phys_addr_t root_entry(int i)
{
	const u8 *p = (const u8 *)(acpi_root + 1);
	bool xsdt = !memcmp(acpi_root->signature, "XSDT", 4);
	u64 v = 0;

	memcpy(&v, p + i * (xsdt ? 8 : 4), xsdt ? 8 : 4);   /* may be unaligned */
	return v;
}

static int root_entries(void)
{
	bool xsdt = !memcmp(acpi_root->signature, "XSDT", 4);
	return (acpi_root->length - sizeof(*acpi_root)) / (xsdt ? 8 : 4);
}

const struct acpi_sdt_header *acpi_find_table(const char sig[4])
{
	for (int i = 0; acpi_root && i < root_entries(); i++) {
		const struct acpi_sdt_header *h = acpi_map(root_entry(i), sizeof(*h));
		if (h && !memcmp(h->signature, sig, 4))
			return map_table(root_entry(i));
	}
	return NULL;
}

/* The XSDT when the RSDP is 2.0+ and the XSDT checks out, else the RSDT. */
static const struct acpi_sdt_header *find_root(const struct acpi_rsdp *r)
{
	const struct acpi_sdt_header *h;

	if (r->revision >= 2 && r->xsdt_addr) {
		h = map_table(r->xsdt_addr);
		if (h && !memcmp(h->signature, "XSDT", 4))
			return h;
		printk("acpi: XSDT unusable, falling back to the RSDT\n");
	}
	h = map_table(r->rsdt_addr);
	return h && !memcmp(h->signature, "RSDT", 4) ? h : NULL;
}

/* Record one processor entry, ignoring a second entry for the same APIC id. */
static void add_lapic(u32 apic_id, u32 uid, u32 flags, bool x2apic_entry)
{
	struct acpi_madt_info *m = &acpi_madt;

	if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE))) {
		m->nr_skipped++;
		return;
	}
	for (int i = 0; i < m->nr_lapics; i++)
		if (m->lapics[i].apic_id == apic_id)
			return;
	if (m->nr_lapics == ACPI_MAX_LAPICS) {
		printk("acpi: more than %d local APICs; apic id %u ignored\n",
		       ACPI_MAX_LAPICS, apic_id);
		return;
	}
	m->lapics[m->nr_lapics++] = (struct acpi_lapic){
		.apic_id = apic_id, .uid = uid,
		.enabled = flags & LAPIC_ENABLED,
		.online_capable = !(flags & LAPIC_ENABLED) && (flags & LAPIC_ONLINE_CAPABLE),
		.x2apic_entry = x2apic_entry,
	};
	m->nr_enabled += !!(flags & LAPIC_ENABLED);
}

static void add_ioapic(u8 id, u32 addr, u32 gsi_base)
{
	struct acpi_madt_info *m = &acpi_madt;

	if (m->nr_ioapics == ACPI_MAX_IOAPICS) {
		printk("acpi: IOAPIC %u ignored (more than %d)\n", id, ACPI_MAX_IOAPICS);
		return;
	}
	m->ioapics[m->nr_ioapics++] = (struct acpi_ioapic){ id, addr, gsi_base };
}

static void add_override(u8 source, u32 gsi, u16 flags)
{
	struct acpi_madt_info *m = &acpi_madt;

	if (m->nr_overrides == ACPI_MAX_OVERRIDES) {
		printk("acpi: override of IRQ %u ignored (table full)\n", source);
		return;
	}
	m->overrides[m->nr_overrides++] = (struct acpi_override){ source, gsi, flags };
}

static void add_nmi(struct acpi_nmi nmi)
{
	if (acpi_madt.nr_nmis < ACPI_MAX_NMIS)
		acpi_madt.nmis[acpi_madt.nr_nmis++] = nmi;
}

/* u8/u16/u32/u64 fields at byte offsets of an entry; entries are unaligned. */
static u64 field(const u8 *e, int off, int size)
{
	u64 v = 0;
	memcpy(&v, e + off, size);
	return v;
}

/* Decode one MADT entry (layouts: ACPI spec, "Multiple APIC Description Table"). */
static void parse_madt_entry(const u8 *e)
{
	switch (e[0]) {
	case MADT_LAPIC:         /* uid u8 @2, apic id u8 @3, flags u32 @4 */
		add_lapic(e[3], e[2], field(e, 4, 4), false);
		break;
	case MADT_X2APIC:        /* x2apic id u32 @4, flags u32 @8, uid u32 @12 */
		add_lapic(field(e, 4, 4), field(e, 12, 4), field(e, 8, 4), true);
		break;
	case MADT_IOAPIC:        /* id u8 @2, address u32 @4, gsi base u32 @8 */
		add_ioapic(e[2], field(e, 4, 4), field(e, 8, 4));
		break;
	case MADT_OVERRIDE:      /* bus u8 @2 (0 = ISA), source u8 @3, gsi u32 @4, flags u16 @8 */
		add_override(e[3], field(e, 4, 4), field(e, 8, 2));
		break;
	case MADT_NMI_SOURCE:    /* flags u16 @2, gsi u32 @4 */
		add_nmi((struct acpi_nmi){ .gsi = field(e, 4, 4), .flags = field(e, 2, 2) });
		break;
	case MADT_LAPIC_NMI:     /* uid u8 @2 (0xff: all), flags u16 @3, lint u8 @5 */
		add_nmi((struct acpi_nmi){ .lapic = true, .uid = e[2] == 0xff ? ~0u : e[2],
					   .flags = field(e, 3, 2), .lint = e[5] });
		break;
	case MADT_X2APIC_NMI:    /* flags u16 @2, uid u32 @4 (~0: all), lint u8 @8 */
		add_nmi((struct acpi_nmi){ .lapic = true, .uid = field(e, 4, 4),
					   .flags = field(e, 2, 2), .lint = e[8] });
		break;
	case MADT_LAPIC_ADDR:    /* reserved u16 @2, address u64 @4 */
		acpi_madt.lapic_addr = field(e, 4, 8);
		break;
	}
}

static void parse_madt(const struct madt *madt)
{
	const u8 *p = madt->entries, *end = (const u8 *)madt + madt->hdr.length;

	acpi_madt.lapic_addr = madt->lapic_addr;
	acpi_madt.pcat_compat = madt->flags & MADT_PCAT_COMPAT;
	while (p + sizeof(struct madt_entry) <= end) {
		const struct madt_entry *e = (const void *)p;
		if (e->length < sizeof(*e) || p + e->length > end) {
			printk("acpi: MADT entry of type %u has a bad length %u; rest ignored\n",
			       e->type, e->length);
			break;
		}
		parse_madt_entry(p);
		p += e->length;
	}
}

void acpi_init(void)
{
	acpi_rsdp = find_rsdp();
	if (!acpi_rsdp)
		panic("no valid ACPI RSDP found");
	acpi_root = find_root(acpi_rsdp);
	if (!acpi_root)
		panic("no valid ACPI RSDT/XSDT (RSDP revision %u)", acpi_rsdp->revision);
	const struct acpi_sdt_header *madt = acpi_find_table("APIC");
	if (!madt)
		panic("no valid ACPI MADT (\"APIC\" table)");
	parse_madt((const struct madt *)madt);
	char oem[7], root[5];
	printk("acpi: %s %s rev %u, MADT: %d CPUs (%d enabled, %d online-capable, "
	       "%d disabled), %d IOAPIC, %d overrides, %d NMI, %s\n",
	       name_str(oem, acpi_rsdp->oem_id, 6), name_str(root, acpi_root->signature, 4),
	       acpi_rsdp->revision, acpi_madt.nr_lapics, acpi_madt.nr_enabled,
	       acpi_madt.nr_lapics - acpi_madt.nr_enabled, acpi_madt.nr_skipped,
	       acpi_madt.nr_ioapics,
	       acpi_madt.nr_overrides, acpi_madt.nr_nmis,
	       acpi_madt.pcat_compat ? "8259 present" : "no 8259");
}
