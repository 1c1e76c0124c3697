/*
 * segfault - a program that dies by SIGSEGV on purpose. It passes when it
 * is killed: exit status 139 (128 + SIGSEGV) as a shell reports it.
 *
 * A second thread sleeps meanwhile on a futex nobody will wake: the fault
 * must end the whole process, every thread, not just the one that faulted,
 * or this program would hang instead of dying. The kernel then goes on to
 * the next program undisturbed (init checks it leaked no pages).
 */
#include "check.h"

static int sleep_forever(void *arg)
{
	int *word = arg;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0)
		futex_wait(word, 0, 0);
	return 0;
}

/* Read at run time, so the compiler cannot see the access is bad. */
static volatile unsigned long unmapped = 8;

int main(void)
{
	static int never;
	struct thread *t;

	CHECK(thread_create(&t, sleep_forever, &never) > 0);
	sleep_ms(10);
	puts("# touching address 0x8 on purpose: expect SIGSEGV, status 139");
	*(volatile int *)unmapped = 1;
	puts("# still alive after the fault: FAIL");
	return 1;
}
