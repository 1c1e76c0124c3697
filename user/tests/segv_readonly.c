/*
 * segv_readonly - writing to a mapping made PROT_READ violates the VMA's
 * protection: the fault handler must refuse it and the process die by
 * SIGSEGV (exit status 139), even though the address is mapped.
 */
#include "check.h"

int main(void)
{
	volatile char *p = (volatile char *)CHECK_OK(map_anon(PAGE_SIZE, PROT_READ));

	CHECK_EQ(p[0], 0);                 /* reading is allowed: the zero page */
	puts("# writing to a read-only mapping: expect SIGSEGV, status 139");
	p[0] = 1;
	puts("# still alive after the fault: FAIL");
	return 1;
}
