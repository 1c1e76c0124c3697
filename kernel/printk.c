/* printk: whole lines on the serial console, one CPU at a time. */
#include "kernel/printk.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/serial.h"
#include "kernel/percpu.h"
#include "kernel/profile.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define PRINTK_BUF 1024

/*
 * The console lock is a plain ticket lock taken with interrupts off: printk
 * may be called from interrupt handlers. It is not a spinlock_t because the
 * spinlock debug code itself prints.
 */
static struct {
	u32 next, owner;
	int holder;
} console = { 0, 0, -1 };

static unsigned long console_lock(void)
{
	unsigned long flags = irq_save();
	u32 ticket = __atomic_fetch_add(&console.next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&console.owner, __ATOMIC_ACQUIRE) != ticket)
		cpu_relax();
	console.holder = cpu_id();
	return flags;
}

static void console_unlock(unsigned long flags)
{
	console.holder = -1;
	__atomic_store_n(&console.owner, console.owner + 1, __ATOMIC_RELEASE);
	irq_restore(flags);
}

void console_break_lock(void)
{
	/* Only the panicking CPU runs now; a stopped CPU may have held the lock. */
	console.holder = -1;
	__atomic_store_n(&console.owner, console.next, __ATOMIC_RELEASE);
}

static size_t format_prefix(char *buf, size_t size)
{
	u64 ns = ktime_ns();
	return snprintf(buf, size, "[c%d %4llu.%06llu] ", cpu_id(),
			(unsigned long long)(ns / 1000000000),
			(unsigned long long)(ns / 1000 % 1000000));
}

void vprintk(const char *fmt, va_list ap)
{
	char msg[PRINTK_BUF], prefix[32];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t len = MIN((size_t)n, sizeof(msg) - 1);
	size_t plen = format_prefix(prefix, sizeof(prefix));

	unsigned long flags = console_lock();
	for (size_t start = 0; start < len;) {
		const char *nl = strchr(msg + start, '\n');
		size_t end = nl ? (size_t)(nl - msg) + 1 : len;
		serial_write(prefix, plen);
		serial_write(msg + start, end - start);
		if (!nl)
			serial_write("\n", 1);  /* every printk ends its line */
		start = end;
	}
	console_unlock(flags);
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void console_write(const char *s, size_t n)
{
	unsigned long flags = console_lock();
	serial_write(s, n);
	console_unlock(flags);
}

__noreturn void poweroff(int status)
{
	profile_report();               /* boot option profile: where the time went */
	printk("quiesce: poweroff status=%d\n", status);
	/* QEMU's isa-debug-exit: the process exits with (value << 1) | 1. */
	outl(0xf4, (u32)status);
	for (;;) {
		irq_disable();
		halt();
	}
}
