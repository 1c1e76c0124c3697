/* Time since boot and short busy-wait delays (TSC, calibrated against the PIT). */
#pragma once
#include "kernel/types.h"

/* Nanoseconds since the TSC was calibrated at boot; 0 before that. */
u64 ktime_ns(void);
void udelay(u64 us);
void mdelay(u64 ms);

/* Calibrate the TSC against PIT channel 2 (arch/x86_64/time.c). */
void tsc_calibrate(void);
extern u64 tsc_khz;

/* PIT channel 2 as a one-shot stopwatch, for calibrating other clocks. */
void pit_oneshot_start(u16 ticks);
bool pit_oneshot_done(void);
