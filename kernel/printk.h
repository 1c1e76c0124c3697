/* Kernel console output, panics and assertions. */
#pragma once
#include "kernel/types.h"

/*
 * printk: format and print whole lines on the serial console, each prefixed
 * with "[cN  seconds] ". The lines of one call are never interleaved with
 * another CPU's output.
 */
void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);

/* Write bytes as they are (user programs' output): no prefix, whole under the lock. */
void console_write(const char *s, size_t n);

/* panic("reason"): print file:function: reason, registers and a backtrace,
 * stop the other CPUs, power off with status 125. */
#define panic(...) panic_at(__FILE__, __func__, __VA_ARGS__)
__noreturn void panic_at(const char *file, const char *func, const char *fmt, ...)
	__printf(3, 4);

#define BUG_ON(cond) \
	do { if (unlikely(cond)) panic("BUG_ON(%s)", #cond); } while (0)

#define WARN_ON(cond) ({                                                     \
	bool __w = !!(cond);                                                 \
	if (unlikely(__w))                                                   \
		printk("WARNING: %s:%d %s: %s\n", __FILE__, __LINE__, __func__, #cond); \
	__w; })

/* Exit statuses the kernel powers off with (tools/qemu-run reports them). */
#define EXIT_OK          0
#define EXIT_TESTS_FAILED 1
#define EXIT_PANIC       125

/* Print "quiesce: poweroff status=N" and leave QEMU (isa-debug-exit). */
__noreturn void poweroff(int status);

/* Called by the panic path: let this CPU print even if a stopped CPU holds the console. */
void console_break_lock(void);
