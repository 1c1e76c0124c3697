/*
 * IOAPIC driver and the retirement of the 8259 PIC (see ioapic.h).
 *
 * An IOAPIC is two 32-bit MMIO registers: IOREGSEL (at +0x00) selects an
 * internal register, IOWIN (at +0x10) reads or writes it. Register 1 holds
 * the number of inputs; redirection entry n is registers 0x10 + 2n (low
 * half) and 0x11 + 2n (high half).
 */
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "mm/kernel_pgtable.h"

#define IOREGSEL      0x00
#define IOWIN         0x10       /* byte offsets; the window is u32 regs[] */
#define IOAPIC_VER    0x01
#define IOAPIC_REDTBL 0x10

/* Redirection entry, low half */
#define RTE_POLARITY_LOW (1u << 13)
#define RTE_LEVEL        (1u << 15)
#define RTE_MASKED       (1u << 16)
/* delivery mode 000 (fixed), destination mode 0 (physical): both zero bits */

/* The 8259 pair: command and data ports of the master and the slave. */
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

struct ioapic {
	volatile u32 *regs;
	u32 gsi_base;
	int pins;
	u8 id;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static int nr_ioapics;           /* written once by ioapic_init, then read-only */

/*
 * ioapic_lock makes each IOREGSEL write and the IOWIN access that follows
 * one step; taken with interrupts off, as irq_register may run anywhere.
 */
static DEFINE_SPINLOCK(ioapic_lock);

static u32 ioapic_read(struct ioapic *io, u32 reg)
{
	io->regs[IOREGSEL / 4] = reg;
	return io->regs[IOWIN / 4];
}

static void ioapic_write(struct ioapic *io, u32 reg, u32 v)
{
	io->regs[IOREGSEL / 4] = reg;
	io->regs[IOWIN / 4] = v;
}

/* The IOAPIC whose inputs include gsi (its pin number in *pin), or NULL. */
static struct ioapic *ioapic_for_gsi(u32 gsi, int *pin)
{
	for (int i = 0; i < nr_ioapics; i++) {
		struct ioapic *io = &ioapics[i];
		if (gsi >= io->gsi_base && gsi < io->gsi_base + io->pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

/*
 * Write a redirection entry. The low half holds the mask bit, so it is
 * written masked first, then the high half (destination), then the final
 * low half: the entry never fires with a half-written destination.
 */
static void write_rte(struct ioapic *io, int pin, u32 low, u32 high)
{
	unsigned long flags = spin_lock_irqsave(&ioapic_lock);

	ioapic_write(io, IOAPIC_REDTBL + 2 * pin, RTE_MASKED);
	ioapic_write(io, IOAPIC_REDTBL + 2 * pin + 1, high);
	ioapic_write(io, IOAPIC_REDTBL + 2 * pin, low);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

void ioapic_set_masked(u32 gsi, bool masked)
{
	int pin;
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);

	if (!io)
		panic("no IOAPIC has GSI %u", gsi);
	unsigned long flags = spin_lock_irqsave(&ioapic_lock);
	u32 low = ioapic_read(io, IOAPIC_REDTBL + 2 * pin);
	low = masked ? low | RTE_MASKED : low & ~RTE_MASKED;
	ioapic_write(io, IOAPIC_REDTBL + 2 * pin, low);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

/*
 * Remap the 8259 PIC to VEC_PIC_BASE..+15, then mask every line. The remap
 * comes first because a masked PIC can still raise a spurious IRQ 7/15;
 * after it, that arrives on a vector trap_dispatch knows to ignore instead
 * of on an exception vector.
 */
static void pic_remap_and_mask(void)
{
	outb(PIC1_CMD, 0x11);              /* ICW1: initialise, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_PIC_BASE);     /* ICW2: vector base */
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	outb(PIC1_DATA, 1 << 2);           /* ICW3: slave on master's line 2 */
	outb(PIC2_DATA, 2);                /*       slave's cascade identity */
	outb(PIC1_DATA, 0x01);             /* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xff);             /* OCW1: mask all */
	outb(PIC2_DATA, 0xff);
}

/* Map one IOAPIC from the MADT, count its inputs and mask them all. */
static void ioapic_add(const struct acpi_ioapic *a)
{
	struct ioapic *io = &ioapics[nr_ioapics];

	io->regs = ioremap(a->addr, PAGE_SIZE);
	if (!io->regs)
		panic("cannot map the IOAPIC at %#lx", a->addr);
	io->gsi_base = a->gsi_base;
	io->id = a->id;
	io->pins = ((ioapic_read(io, IOAPIC_VER) >> 16) & 0xff) + 1;
	for (int pin = 0; pin < io->pins; pin++)
		write_rte(io, pin, RTE_MASKED, 0);
	nr_ioapics++;
	printk("ioapic: id %u at %#lx, GSIs %u-%u, all masked\n", io->id, a->addr,
	       io->gsi_base, io->gsi_base + io->pins - 1);
}

void ioapic_init(void)
{
	if (acpi_madt.pcat_compat)
		pic_remap_and_mask();
	for (int i = 0; i < acpi_madt.nr_ioapics; i++)
		ioapic_add(&acpi_madt.ioapics[i]);
	if (!nr_ioapics)
		panic("the MADT lists no IOAPIC");
}

u32 isa_irq_to_gsi(int irq, u16 *flags)
{
	for (int i = 0; i < acpi_madt.nr_overrides; i++) {
		const struct acpi_override *o = &acpi_madt.overrides[i];
		if (o->source == irq) {
			*flags = o->flags;
			return o->gsi;
		}
	}
	*flags = 0;                        /* ISA defaults: edge, active high */
	return irq;
}

/* Low half of a redirection entry for an ISA IRQ with these MPS INTI flags. */
static u32 isa_rte_low(int vector, u16 flags)
{
	u32 low = vector;

	/* "Conforms to the bus" means edge-triggered, active high for ISA. */
	if ((flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW)
		low |= RTE_POLARITY_LOW;
	if ((flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL)
		low |= RTE_LEVEL;
	return low;
}

/*
 * Route ISA IRQ irq to vector VEC_ISA_BASE + irq on the boot CPU, in
 * physical destination mode. Without interrupt remapping the destination
 * field has 8 bits, enough for the boot CPU's APIC id in QEMU and on most
 * machines; a larger id is a configuration we cannot express.
 */
void irq_register(int irq, irq_handler_t fn)
{
	u16 flags;
	u32 dest = cpus[0].apic_id;
	int pin;

	if (irq < 0 || irq >= 16)
		panic("ISA IRQ %d out of range", irq);
	u32 gsi = isa_irq_to_gsi(irq, &flags);
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);
	if (!io)
		panic("ISA IRQ %d: no IOAPIC has GSI %u", irq, gsi);
	if (dest > 0xff)
		panic("boot CPU apic id %u does not fit an IOAPIC destination", dest);
	set_vector_handler(VEC_ISA_BASE + irq, fn);
	write_rte(io, pin, isa_rte_low(VEC_ISA_BASE + irq, flags), dest << 24);
	printk("ioapic: IRQ %d -> GSI %u (%s, %s) -> vector %#x on cpu 0\n", irq, gsi,
	       (flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL ? "level" : "edge",
	       (flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW ? "low" : "high",
	       VEC_ISA_BASE + irq);
}
