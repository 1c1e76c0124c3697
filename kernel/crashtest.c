/*
 * crashtest=KIND: crash the kernel on purpose, once every CPU is up, to show
 * (and let tools/test-suite check) what a kernel bug looks like: the vector
 * name, error code, CR2, registers, a symbolized backtrace, the other CPUs
 * stopped, and QEMU leaving with EXIT_PANIC.
 *
 *   pf     write to an unmapped kernel address (#PF)
 *   gp     read a non-canonical address (#GP)
 *   ud     execute an invalid instruction (#UD)
 *   de     divide by zero (#DE)
 *   panic  call panic()
 */
#include "kernel/crashtest.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"

static const char *crashtest_kind;
BOOT_OPTION_STR("crashtest", crashtest_kind, "pf|gp|ud|de|panic: crash on purpose after boot");

/* noinline: each shows up as its own frame in the backtrace. */
static __noinline void crashtest_pf(void)
{
	*(volatile u64 *)0xffffc90000001000ul = 1;      /* nothing is mapped there */
}

static __noinline void crashtest_gp(void)
{
	(void)*(volatile u64 *)0x8000000000000000ul;    /* non-canonical */
}

static __noinline void crashtest_ud(void)
{
	__asm__ volatile("ud2");
}

static __noinline void crashtest_de(void)
{
	volatile unsigned zero = 0;
	printk("%u\n", 1 / zero);
}

void crashtest_run(void)
{
	if (!crashtest_kind)
		return;
	printk("crashtest: %s\n", crashtest_kind);
	if (!strcmp(crashtest_kind, "pf"))
		crashtest_pf();
	else if (!strcmp(crashtest_kind, "gp"))
		crashtest_gp();
	else if (!strcmp(crashtest_kind, "ud"))
		crashtest_ud();
	else if (!strcmp(crashtest_kind, "de"))
		crashtest_de();
	else if (!strcmp(crashtest_kind, "panic"))
		panic("crashtest: panic on request");
	printk("crashtest: unknown kind '%s'\n", crashtest_kind);
}
