/*
 * The IOAPIC: where device interrupt lines (GSIs) become interrupt messages
 * to a local APIC, and the legacy 8259 PIC it replaces.
 *
 * Each IOAPIC input has a 64-bit redirection entry: vector, destination
 * APIC id, polarity, trigger mode and a mask bit. ISA IRQ n is wired to GSI
 * n unless the MADT has an interrupt source override for it (acpi.h).
 * `irq_register(irq, fn)` (idt.h) routes ISA IRQ irq to vector
 * VEC_ISA_BASE + irq on the boot CPU.
 */
#pragma once
#include "kernel/types.h"

/*
 * Map every IOAPIC the MADT lists and mask all their inputs; remap the 8259
 * PIC to VEC_PIC_BASE and mask it. Needs acpi_init() and lapic_init().
 */
void ioapic_init(void);

/* The GSI ISA IRQ irq arrives on and its MPS INTI flags (acpi.h), after overrides. */
u32 isa_irq_to_gsi(int irq, u16 *flags);

/* Mask or unmask one IOAPIC input. */
void ioapic_set_masked(u32 gsi, bool masked);
