/*
 * segv_kernel - reading a kernel address (the direct map) from user mode:
 * the page is present but supervisor-only, so the CPU faults and the
 * process dies by SIGSEGV (exit status 139), whatever the kernel has there.
 */
#include "check.h"

static volatile unsigned long kernel_addr = 0xffff888000100000UL;

int main(void)
{
	puts("# reading kernel memory from user mode: expect SIGSEGV, status 139");
	(void)*(volatile long *)kernel_addr;
	puts("# still alive after the fault: FAIL");
	return 1;
}
