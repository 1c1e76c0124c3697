/*
 * ACPI, as far as Quiesce needs it: find the RSDP, check the root table
 * (XSDT, or RSDT on ACPI 1.0), and read the MADT ("APIC" table), which lists
 * the CPUs' local APICs, the IOAPICs, how ISA IRQs map to IOAPIC inputs
 * (interrupt source overrides) and the NMI wiring.
 *
 * Everything here is parsed once on the boot CPU by acpi_init() and read-only
 * afterwards, so it needs no lock.
 */
#pragma once
#include "kernel/types.h"

/* The header every ACPI system description table starts with. */
struct acpi_sdt_header {
	char signature[4];
	u32 length;              /* of the whole table, header included */
	u8 revision;
	u8 checksum;             /* all `length` bytes add up to 0 (mod 256) */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

/* Root System Description Pointer: 20 bytes in ACPI 1.0, 36 from 2.0 on. */
struct acpi_rsdp {
	char signature[8];       /* "RSD PTR " */
	u8 checksum;             /* over the first 20 bytes */
	char oem_id[6];
	u8 revision;             /* 0: ACPI 1.0 (RSDT only); 2+: XSDT too */
	u32 rsdt_addr;
	u32 length;              /* revision >= 2 from here on */
	u64 xsdt_addr;
	u8 ext_checksum;         /* over all `length` bytes */
	u8 reserved[3];
} __packed;

#define ACPI_RSDP_V1_LEN 20

#define ACPI_MAX_LAPICS    256
#define ACPI_MAX_IOAPICS   8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_NMIS      16

/* One processor's local APIC (MADT type 0, or type 9 for x2APIC ids). */
struct acpi_lapic {
	u32 apic_id;
	u32 uid;                 /* ACPI processor UID, ties NMI entries to it */
	bool enabled;            /* usable now */
	bool online_capable;     /* disabled, but may be hot-added later */
	bool x2apic_entry;       /* listed by a type 9 entry */
};

/* An IOAPIC (type 1): its inputs are GSIs gsi_base .. gsi_base + pins - 1. */
struct acpi_ioapic {
	u8 id;
	phys_addr_t addr;
	u32 gsi_base;
};

/*
 * Interrupt source override (type 2): ISA IRQ `source` arrives on GSI `gsi`
 * instead of GSI == IRQ, with polarity and trigger mode in `flags`.
 */
struct acpi_override {
	u8 source;
	u32 gsi;
	u16 flags;
};

/* MPS INTI flags of overrides and NMI entries. */
#define ACPI_POLARITY_MASK    0x3
#define ACPI_POLARITY_DEFAULT 0x0    /* conforms to the bus: high for ISA */
#define ACPI_POLARITY_HIGH    0x1
#define ACPI_POLARITY_LOW     0x3
#define ACPI_TRIGGER_MASK     0xc
#define ACPI_TRIGGER_DEFAULT  0x0    /* conforms to the bus: edge for ISA */
#define ACPI_TRIGGER_EDGE     0x4
#define ACPI_TRIGGER_LEVEL    0xc

/* An NMI wiring: an IOAPIC input (type 3) or a CPU's LINT pin (types 4, 10). */
struct acpi_nmi {
	bool lapic;              /* true: LINT pin `lint` of CPU `uid` (all: ~0) */
	u32 uid;
	u8 lint;
	u32 gsi;                 /* IOAPIC input, when !lapic */
	u16 flags;
};

struct acpi_madt_info {
	phys_addr_t lapic_addr;  /* xAPIC MMIO base (type 5 may move it) */
	bool pcat_compat;        /* a legacy 8259 pair is present */
	struct acpi_lapic lapics[ACPI_MAX_LAPICS];
	int nr_lapics;           /* entries kept, enabled or online-capable */
	int nr_enabled;          /* of those, enabled: the CPUs we can start */
	int nr_skipped;          /* entries neither enabled nor online-capable */
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	int nr_ioapics;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	int nr_overrides;
	struct acpi_nmi nmis[ACPI_MAX_NMIS];
	int nr_nmis;
};

extern struct acpi_madt_info acpi_madt;
/* Set by acpi_init: the RSDP found and the root table it leads to. */
extern const struct acpi_rsdp *acpi_rsdp;
extern const struct acpi_sdt_header *acpi_root;

/* Find and check the ACPI tables, parse the MADT; panics without a MADT. */
void acpi_init(void);
/* True if the len bytes at p add up to 0 mod 256, as every ACPI checksum wants. */
bool acpi_checksum_ok(const void *p, size_t len);
/* True if the RSDP's checksums (v1, and extended for revision >= 2) hold. */
bool acpi_rsdp_valid(const struct acpi_rsdp *rsdp);
/* Under BIOS: the RSDP found by scanning the EBDA and 0xE0000-0xFFFFF, or NULL. */
const struct acpi_rsdp *acpi_scan_bios_areas(void);
/* The table with this signature listed by the root table, or NULL. Checked. */
const struct acpi_sdt_header *acpi_find_table(const char sig[4]);
