/*
 * sigill - executing an invalid instruction (ud2) raises #UD, which Linux
 * turns into SIGILL: the process dies with exit status 132 (128 + 4).
 */
#include "check.h"

int main(void)
{
	puts("# executing ud2: expect SIGILL, status 132");
	__asm__ volatile("ud2");
	puts("# still alive after the fault: FAIL");
	return 1;
}
