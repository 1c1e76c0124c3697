/*
 * segfault - a program that dies by SIGSEGV on purpose, at address 0x8. It
 * passes when it is killed by exactly that: exit status 139 (128 + SIGSEGV)
 * as a shell reports it, and the fault at 0x8 (checked by a handler on
 * Linux, by the runner from the kernel's "segfault: SIGSEGV at 0x8" line on
 * Quiesce; see user/lib/fatal.c).
 *
 * A second thread sleeps meanwhile on a futex nobody will wake: the fault
 * must end the whole process, every thread, not just the one that faulted,
 * or this program would hang instead of dying. The kernel then goes on to
 * the next program undisturbed (init checks it leaked no pages).
 *
 * The sleeper is waited for, not given 10 ms: both threads share one CPU,
 * the main thread wakes the futex until FUTEX_WAKE reports a sleeper (proof
 * the sleeper reached FUTEX_WAIT), and then yields until the sleeper has
 * counted that wake-up and gone back to its FUTEX_WAIT. Sharing the CPU,
 * the main thread runs again only once the sleeper is off it: asleep.
 */
#include "check.h"

static int never;              /* the futex word: stays 0 */
static int wakeups;            /* atomic: the sleeper's returns from FUTEX_WAIT */

static int sleep_forever(void *arg)
{
	int cpu = *(int *)arg;

	if (pin_to_cpu(cpu) < 0)
		return 1;
	while (__atomic_load_n(&never, __ATOMIC_ACQUIRE) == 0) {
		futex_wait(&never, 0, 0);
		__atomic_fetch_add(&wakeups, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

/* Read at run time, so the compiler cannot see the access is bad. */
static volatile unsigned long unmapped = 8;

int main(void)
{
	static int cpus[CPU_MAX];
	struct thread *t;

	CHECK(cpu_allowed(cpus, CPU_MAX) >= 1);
	CHECK_OK(pin_to_cpu(cpus[0]));
	CHECK(thread_create(&t, sleep_forever, &cpus[0]) > 0);
	WAIT_FOR(futex_wake(&never, 1) == 1);
	WAIT_FOR(__atomic_load_n(&wakeups, __ATOMIC_ACQUIRE) == 1);
	sys_sched_yield();             /* the sleeper, if it is still runnable, goes back to sleep */
	expect_fatal_signal(SIGSEGV, (const void *)unmapped);
	puts("# touching address 0x8 on purpose: expect SIGSEGV, status 139");
	*(volatile int *)unmapped = 1;
	puts("# still alive after the fault: FAIL");
	return 1;
}
