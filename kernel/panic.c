/*
 * panic: a kernel invariant is broken. Print where and why, registers and a
 * backtrace, stop every other CPU with an NMI (which even a CPU spinning with
 * interrupts off takes), and power off with EXIT_PANIC.
 */
#include "kernel/panic.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/time.h"

static int panic_cpu = -1;

bool panic_in_progress(void)
{
	return READ_ONCE(panic_cpu) >= 0;
}

__noreturn void panic_park_this_cpu(void)
{
	WRITE_ONCE(this_cpu()->in_panic_stop, true);
	for (;;) {
		irq_disable();
		halt();
	}
}

/*
 * NMI every other CPU and wait (up to 100 ms) for each to park. Only then is
 * the console lock broken: a parked CPU may have held it mid-line.
 */
static void stop_other_cpus(void)
{
	int stopped = 0;

	if (nr_cpus > 1 && lapic_ready()) {
		lapic_send_nmi_allbutself();
		for (int waited = 0; waited < 100 && stopped < nr_cpus - 1; waited++) {
			mdelay(1);
			stopped = 0;
			for (int i = 0; i < nr_cpus; i++)
				stopped += i != cpu_id() && READ_ONCE(cpus[i].in_panic_stop);
		}
	}
	console_break_lock();
	printk("stopping other CPUs: %d of %d stopped\n", stopped, nr_cpus - 1);
}

void panic_begin(void)
{
	irq_disable();
	int expected = -1;
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected, cpu_id(), false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		if (expected == cpu_id())
			poweroff(EXIT_PANIC);  /* panic inside panic: just leave */
		panic_park_this_cpu();         /* someone else is already panicking */
	}
	stop_other_cpus();
}

__noreturn void panic_end(void)
{
	poweroff(EXIT_PANIC);
}

__noreturn void panic_at(const char *file, const char *func, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	panic_begin();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("PANIC on cpu %d: %s:%s: %s\n", cpu_id(), file, func, msg);
	dump_backtrace(read_rbp(), 0);   /* starts at panic_at's caller */
	panic_end();
}
