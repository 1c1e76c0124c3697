/* The COM1 16550 UART: console output by polling, input by interrupt. */
#pragma once
#include "kernel/types.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ  4

void serial_init(void);
void serial_write(const char *s, size_t n);
/* Route COM1's receive interrupt through the IOAPIC (after ioapic_init). */
void serial_enable_irq(void);
extern volatile u64 serial_irq_count;     /* receive interrupts taken */
extern volatile u64 serial_rx_count;      /* bytes received */
/* Loopback mode: bytes sent come back as received (used by a test). */
void serial_set_loopback(bool on);
void serial_putc_raw(char c);
