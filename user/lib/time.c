/*
 * time.c - the monotonic clock and sleeping, in the units tests think in.
 */
#include "user.h"

long now_ns(void)
{
	struct timespec ts;

	sys_clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	sys_nanosleep(&ts, 0);
}
