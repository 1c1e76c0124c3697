/*
 * segv_kernel - reading a kernel address (the direct map) from user mode:
 * the page is present but supervisor-only, so the CPU faults and the
 * process dies by SIGSEGV (exit status 139) at that address, whatever the
 * kernel has there (checked by a handler on Linux, by the runner from the
 * kernel's report on Quiesce; see user/lib/fatal.c).
 */
#include "check.h"

static volatile unsigned long kernel_addr = 0xffff888000100000UL;

int main(void)
{
	expect_fatal_signal(SIGSEGV, (const void *)kernel_addr);
	puts("# reading kernel memory from user mode: expect SIGSEGV, status 139");
	(void)*(volatile long *)kernel_addr;
	puts("# still alive after the fault: FAIL");
	return 1;
}
