/*
 * sigill - executing an invalid instruction (ud2) raises #UD, which Linux
 * turns into SIGILL: the process dies with exit status 132 (128 + 4). The
 * ud2 runs from a page of its own at a fixed address, so that the address
 * of the instruction is known: Linux reports it in the siginfo (checked by
 * a handler, user/lib/fatal.c), Quiesce as the "ip" of its report (checked
 * by the runner).
 */
#include "check.h"

#define CODE_AT 0x2200000000UL

int main(void)
{
	static const unsigned char ud2[] = { 0x0f, 0x0b };
	unsigned char *code = (unsigned char *)CHECK_OK(sys_mmap((void *)CODE_AT, PAGE_SIZE,
		PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));

	CHECK_EQ((unsigned long)code, CODE_AT);
	memcpy(code, ud2, sizeof(ud2));
	CHECK_OK(sys_mprotect(code, PAGE_SIZE, PROT_READ | PROT_EXEC));
	expect_fatal_signal(SIGILL, code);
	puts("# executing ud2: expect SIGILL, status 132");
	((void (*)(void))code)();
	puts("# still alive after the fault: FAIL");
	return 1;
}
