/* The CMOS real-time clock: the wall-clock time, read once at boot. */
#pragma once
#include "kernel/types.h"

/* Read the RTC (boot CPU, once) and remember the epoch time at ktime 0. */
void rtc_init(void);
/* Nanoseconds since 1970-01-01 UTC at ktime_ns() == 0. */
u64 rtc_boot_epoch_ns(void);
