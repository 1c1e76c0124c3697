/*
 * segv_readonly - writing to a mapping made PROT_READ violates the VMA's
 * protection: the fault handler must refuse it and the process die by
 * SIGSEGV (exit status 139) at that address, even though it is mapped.
 * The mapping is placed at a fixed address, so that the runner can check
 * the kernel's "segv_readonly: SIGSEGV at 0x2000000000" line on Quiesce
 * (on Linux a handler checks it; see user/lib/fatal.c).
 */
#include "check.h"

#define READONLY_AT 0x2000000000UL

int main(void)
{
	volatile char *p = (volatile char *)CHECK_OK(sys_mmap((void *)READONLY_AT, PAGE_SIZE,
		PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));

	CHECK_EQ((unsigned long)p, READONLY_AT);
	CHECK_EQ(p[0], 0);                 /* reading is allowed: the zero page */
	expect_fatal_signal(SIGSEGV, (const void *)p);
	puts("# writing to a read-only mapping: expect SIGSEGV, status 139");
	p[0] = 1;
	puts("# still alive after the fault: FAIL");
	return 1;
}
