/* TEMPORARY: replaced by the IOAPIC driver. */
#include "arch/x86_64/idt.h"
#include "kernel/printk.h"

void irq_register(int irq, irq_handler_t fn)
{
	panic("no IOAPIC driver yet");
}
