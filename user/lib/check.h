/*
 * check.h - assertions for test programs; the exit status is the verdict.
 *
 * A failed check prints a KTAP diagnostic line, "# file:line: what", and
 * ends the whole process with status 1, from any thread. A program that
 * reaches the end of main returns check_pass(), 0. A runner (init on
 * Quiesce, `make user-host-test` on Linux) needs no more than the status.
 *
 * CHECK_ERRNO(call, E) expects a sys_*() call to return exactly -E: the
 * kernel's answer is compared, not a libc's reinterpretation of it.
 */
#ifndef USER_CHECK_H
#define USER_CHECK_H

#include "user.h"

NORETURN void check_fail(const char *file, int line, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
void check_counted(void);
void check_section(const char *fmt, ...) PRINTF_LIKE(1, 2);
int check_pass(void);
const char *errno_name(long ret);

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond))                                                \
			check_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
		check_counted();                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long _a = (long)(a), _b = (long)(b);                        \
		if (_a != _b)                                               \
			check_fail(__FILE__, __LINE__,                      \
				   "%s == %s: %ld (0x%lx) != %ld (0x%lx)", #a, #b, \
				   _a, _a, _b, _b);                         \
		check_counted();                                            \
	} while (0)

#define CHECK_ERRNO(call, err)                                              \
	do {                                                                \
		long _r = (long)(call);                                     \
		if (_r != -(err))                                           \
			check_fail(__FILE__, __LINE__,                      \
				   "%s: returned %ld %s, expected -%s", #call, \
				   _r, errno_name(_r), #err);               \
		check_counted();                                            \
	} while (0)

/* A call that must succeed (return >= 0); evaluates to its result. */
#define CHECK_OK(call)                                                      \
	({                                                                  \
		long _r = (long)(call);                                     \
		if (_r < 0 && _r > -4096)                                   \
			check_fail(__FILE__, __LINE__, "%s: returned %ld %s", \
				   #call, _r, errno_name(_r));              \
		check_counted();                                            \
		_r;                                                         \
	})

/*
 * How far VmRSS may be off, in pages. Quiesce keeps it exactly, and so does
 * Linux 6.18, but older Linux folds per-task (before 6.2) or per-CPU counts
 * into it lazily, so it can lag by 64 pages or so. The slack also covers
 * stack pages a test touches between two readings.
 */
#define RSS_SLACK_PAGES 72
#define KB_PER_PAGE ((long)PAGE_SIZE / 1024)

/*
 * Waiting for an event. A test waits until what it needs is true, never a
 * fixed time: an emulated CPU can stall for seconds. HANG_NS only turns a
 * wait that would never end into a failure that names what it waited for;
 * it is far longer than any stall, not a guess at how long things take.
 */
#define HANG_NS (30 * 1000000000L)
#define WAIT_FOR(cond)                                                      \
	do {                                                                \
		long _t0 = now_ns();                                        \
		while (!(cond)) {                                           \
			if (now_ns() - _t0 > HANG_NS)                       \
				check_fail(__FILE__, __LINE__,              \
					   "waited 30 s for %s", #cond);    \
			sys_sched_yield();                                  \
		}                                                           \
		check_counted();                                            \
	} while (0)

/* fatal.c - the signal and address a program that must die expects. */
struct fault_siginfo {
	int si_signo, si_errno, si_code, pad;
	void *si_addr;                  /* SIGSEGV: the address; SIGILL: the instruction */
};
void expect_fatal_signal(int sig, const void *addr);

#endif
