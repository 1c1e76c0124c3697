/*
 * Test of the IOAPIC routing (arch/x86_64/ioapic.c) with a real device:
 * COM1 in loopback mode receives what it sends, and each reception raises
 * IRQ 4 through the IOAPIC to the boot CPU.
 *
 * While the UART is looped back, anything printed would be received too,
 * and lost from the console: the other CPUs are parked with interrupts
 * off meanwhile, and this CPU prints nothing until the UART is restored.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/serial.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"

#define UART_LSR 5
#define LSR_TX_IDLE 0x40           /* transmitter and its shift register empty */
#define LOOPBACK_BYTES 32

struct loopback_result {
	int parked;                    /* other CPUs parked so far */
	bool done;                     /* the boot CPU has restored the UART */
	u64 irqs, bytes;               /* counted while looped back */
};

static void park_until_done(struct loopback_result *r)
{
	unsigned long flags = irq_save();

	__atomic_fetch_add(&r->parked, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
		cpu_relax();
	irq_restore(flags);
}

#define LSR_DATA_READY 0x01         /* a received byte waits in the FIFO */

/*
 * Nothing more can arrive: every byte sent has left the transmitter and
 * every byte received was taken by the interrupt handler (which runs on
 * this CPU, between our reads).
 */
static bool uart_quiet(void)
{
	u8 lsr = inb(COM1_PORT + UART_LSR);

	return (lsr & LSR_TX_IDLE) && !(lsr & LSR_DATA_READY);
}

/*
 * Send bytes to ourselves and wait for the interrupts to receive them, then
 * until the UART is quiet: an extra byte (one counted twice) would show by
 * then. Waits for events; the hang bound only turns a lost interrupt into
 * a failure.
 */
static void loopback_exchange(struct loopback_result *r)
{
	u64 since = 0;

	while (__atomic_load_n(&r->parked, __ATOMIC_ACQUIRE) < nr_cpus - 1)
		cpu_relax();
	while (!(inb(COM1_PORT + UART_LSR) & LSR_TX_IDLE))
		cpu_relax();                   /* let the last console line leave first */
	u64 irqs = serial_irq_count, bytes = serial_rx_count;
	serial_set_loopback(true);
	for (int i = 0; i < LOOPBACK_BYTES; i++)
		serial_putc_raw('a' + i % 26);
	while ((READ_ONCE(serial_rx_count) - bytes < LOOPBACK_BYTES || !uart_quiet()) &&
	       !ktest_hung(&since))
		cpu_relax();
	serial_set_loopback(false);
	r->irqs = serial_irq_count - irqs;
	r->bytes = serial_rx_count - bytes;
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
}

static void loopback_or_park(void *arg)
{
	if (cpu_id() == 0)
		loopback_exchange(arg);
	else
		park_until_done(arg);
}

KTEST(ioapic_serial_irq)
{
	struct loopback_result r = { 0 };

	KT_ASSERT_EQ(cpu_id(), 0);             /* IRQ 4 is routed to cpu 0 */
	run_on_cpus(&cpu_online_mask, loopback_or_park, &r);
	KT_EXPECT(r.irqs >= 1);
	KT_EXPECT_EQ(r.bytes, LOOPBACK_BYTES);
}
