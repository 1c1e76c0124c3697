/* COM1 16550 UART driver. Output is polled; receive raises IRQ 4 via the IOAPIC. */
#include "arch/x86_64/serial.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/idt.h"
#include "kernel/tty.h"

#define UART_DATA 0
#define UART_IER  1         /* interrupt enable */
#define UART_FCR  2         /* FIFO control */
#define UART_LCR  3         /* line control */
#define UART_MCR  4         /* modem control */
#define UART_LSR  5         /* line status */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define MCR_DTR_RTS_OUT2 0x0b   /* OUT2 gates the UART's interrupt line */
#define MCR_LOOP  0x10

volatile u64 serial_irq_count;
volatile u64 serial_rx_count;

void serial_init(void)
{
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, 0x80);          /* DLAB: set the divisor */
	outb(COM1_PORT + UART_DATA, 1);            /* 115200 baud */
	outb(COM1_PORT + UART_IER, 0);
	outb(COM1_PORT + UART_LCR, 0x03);          /* 8 data bits, no parity, 1 stop */
	outb(COM1_PORT + UART_FCR, 0xc7);          /* FIFOs on and cleared */
	outb(COM1_PORT + UART_MCR, MCR_DTR_RTS_OUT2);
}

void serial_putc_raw(char c)
{
	while (!(inb(COM1_PORT + UART_LSR) & LSR_THR_EMPTY))
		cpu_relax();
	outb(COM1_PORT + UART_DATA, c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc_raw('\r');
		serial_putc_raw(s[i]);
	}
}

/* Loopback (a test's own bytes come back): they are counted, not typed input. */
static volatile bool serial_looped_back;

void serial_set_loopback(bool on)
{
	serial_looped_back = on;
	outb(COM1_PORT + UART_MCR, MCR_DTR_RTS_OUT2 | (on ? MCR_LOOP : 0));
}

static void serial_irq(struct trap_frame *tf)
{
	serial_irq_count++;
	while (inb(COM1_PORT + UART_LSR) & LSR_DATA_READY) {
		u8 c = inb(COM1_PORT + UART_DATA);
		/*
		 * The console's input goes to the terminal (kernel/tty.c), which
		 * echoes it; bytes a loopback test sent itself must not: their
		 * echo would land in the middle of the console's output.
		 */
		if (!serial_looped_back)
			tty_receive_byte(c);
		serial_rx_count++;
	}
}

void serial_enable_irq(void)
{
	irq_register(COM1_IRQ, serial_irq);
	outb(COM1_PORT + UART_IER, 0x01);          /* interrupt on received data */
}
