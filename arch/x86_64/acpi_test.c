/* Tests of arch/x86_64/acpi.c: the tables were found, checked and parsed. */
#include "arch/x86_64/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/string.h"

/* The checksums hold, and a single flipped byte makes them fail. */
static void check_checksums(struct ktest_ctx *t)
{
	const struct acpi_sdt_header *madt = acpi_find_table("APIC");
	struct acpi_rsdp copy;

	KT_ASSERT(acpi_rsdp && acpi_root && madt);
	KT_EXPECT(acpi_rsdp_valid(acpi_rsdp));
	KT_EXPECT(acpi_checksum_ok(acpi_root, acpi_root->length));
	KT_EXPECT(acpi_checksum_ok(madt, madt->length));
	memcpy(&copy, acpi_rsdp, acpi_rsdp->revision >= 2 ? sizeof(copy) : ACPI_RSDP_V1_LEN);
	copy.oem_id[0] ^= 0x20;
	KT_EXPECT(!acpi_rsdp_valid(&copy));
	if (acpi_rsdp->revision >= 2) {            /* the extended checksum alone */
		memcpy(&copy, acpi_rsdp, sizeof(copy));
		copy.xsdt_addr ^= 1;
		KT_EXPECT(!acpi_rsdp_valid(&copy));
	}
	KT_EXPECT(acpi_find_table("NONE") == NULL);
}

KTEST(acpi_madt)
{
	check_checksums(t);
	int expected = MIN((unsigned long)acpi_madt.nr_enabled, maxcpus);
	KT_EXPECT(acpi_madt.nr_enabled >= 1);
	KT_EXPECT_EQ(nr_cpus, MAX(expected, 1));
	KT_EXPECT(acpi_madt.nr_ioapics >= 1);
	for (int i = 0; i < acpi_madt.nr_lapics; i++) {
		const struct acpi_lapic *l = &acpi_madt.lapics[i];
		int cpu = apic_id_to_cpu(l->apic_id);
		if (l->enabled && cpu < 0 && nr_cpus == acpi_madt.nr_enabled)
			ktest_fail(t, __FILE__, __LINE__, "MADT apic id %u is no online CPU",
				   l->apic_id);
		if (cpu >= 0)
			KT_EXPECT_EQ(cpus[cpu].apic_id, l->apic_id);
	}
	/* Under BIOS the spec's scan must find the same tables GRUB passed on. */
	if (!bootinfo.uefi) {
		const struct acpi_rsdp *scanned = acpi_scan_bios_areas();
		KT_ASSERT(scanned != NULL);
		KT_EXPECT_EQ(scanned->rsdt_addr, acpi_rsdp->rsdt_addr);
	}
}
