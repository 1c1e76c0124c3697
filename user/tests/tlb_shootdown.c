/*
 * tlb_shootdown - once munmap has returned, no CPU reads the old page.
 *
 * A reader thread, pinned to a second CPU, loops reading a mapped page and
 * publishing what it saw; the main thread, on the first CPU, writes a new
 * pattern, waits until the reader has seen it, then unmaps the page and
 * right after munmap returns raises `unmapped`. The reader checks the flag
 * before each read: a read that starts after it saw the flag must fault,
 * and the fault kills the process with SIGSEGV (exit status 139, the pass).
 * If such a read succeeds, the reader's CPU kept a stale translation past
 * the munmap: it prints FAIL and exits 1. If the reader never faults, the
 * main thread fails after the hang bound (HANG_NS, not a guess at how long
 * the reader takes). The fault must be the reader's read of the page, at
 * its fixed address: checked by a handler on Linux, by the runner from the
 * kernel's report on Quiesce (user/lib/fatal.c).
 *
 * On one CPU the reader shares it with the main thread; the test still
 * holds (the reader's next read after the flag must fault).
 */
#include "check.h"

#define PAGE_AT 0x2100000000UL
#define OLD_PATTERN 0x0101010101010101l
#define NEW_PATTERN 0x5a5a5a5a5a5a5a5al

static volatile long *page;
static long seen;              /* last value the reader read */
static long reads;             /* reads done so far */
static int unmapped;           /* set right after munmap returned */

static int reader(void *arg)
{
	int cpu = *(int *)arg;

	if (pin_to_cpu(cpu) < 0)
		return 1;
	for (;;) {
		int after = __atomic_load_n(&unmapped, __ATOMIC_ACQUIRE);
		long v = *page;               /* faults once the page is gone */
		if (after) {
			printf("# FAIL: read %#lx from the page after munmap returned\n", v);
			sys_exit_group(1);
		}
		__atomic_store_n(&seen, v, __ATOMIC_RELEASE);
		__atomic_fetch_add(&reads, 1, __ATOMIC_RELEASE);
	}
}

int main(void)
{
	static int cpus[CPU_MAX];
	struct thread *t;
	int n = cpu_allowed(cpus, CPU_MAX);

	CHECK(n >= 1);
	int reader_cpu = cpus[n > 1 ? 1 : 0];
	CHECK_OK(pin_to_cpu(cpus[0]));
	page = (volatile long *)CHECK_OK(sys_mmap((void *)PAGE_AT, PAGE_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	CHECK_EQ((unsigned long)page, PAGE_AT);
	*page = OLD_PATTERN;

	CHECK(thread_create(&t, reader, &reader_cpu) > 0);
	WAIT_FOR(__atomic_load_n(&seen, __ATOMIC_ACQUIRE) == OLD_PATTERN);
	*page = NEW_PATTERN;          /* the reader's CPU must see the write... */
	WAIT_FOR(__atomic_load_n(&seen, __ATOMIC_ACQUIRE) == NEW_PATTERN);
	expect_fatal_signal(SIGSEGV, (const void *)page);

	check_section("reader on CPU %d sees the new pattern after %ld reads; "
		      "munmap on CPU %d, the reader must now die of SIGSEGV",
		      reader_cpu, __atomic_load_n(&reads, __ATOMIC_RELAXED), cpus[0]);
	CHECK_OK(sys_munmap((void *)page, PAGE_SIZE));
	__atomic_store_n(&unmapped, 1, __ATOMIC_RELEASE);   /* ...and lose it now */

	/* The reader's fault ends the process; reaching the hang bound fails. */
	for (long t0 = now_ns(); now_ns() - t0 < HANG_NS;)
		sleep_ms(10);
	check_fail(__FILE__, __LINE__, "the reader did not fault within %ld s of munmap",
		   HANG_NS / 1000000000L);
}
