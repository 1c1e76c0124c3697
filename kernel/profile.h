/*
 * A sampling profiler and lock statistics: where the CPUs spend their time.
 *
 * Boot option `profile` (100 Hz) or `profile=N` (N Hz, rounded up to a
 * multiple of the tick rate HZ): every CPU's timer interrupt asks its
 * neighbour CPU, by an NMI, to record where it was interrupted -- the
 * instruction pointer and three return addresses of the frame-pointer
 * chain. An NMI, not the timer interrupt itself, so that code that runs
 * with interrupts off (a spin_lock_irqsave() that spins, an IPI handler)
 * is sampled where it is instead of where it turns interrupts back on;
 * and the neighbour's, because a CPU with interrupts off takes no timer
 * interrupt of its own. At power-off the samples are printed, symbolized
 * (kernel/ksyms.h), as the top functions and their callers, with the lock
 * statistics (kernel/lockstat.h, turned on by `profile`) and the counters
 * of cross-CPU work. `tools/run-elf --profile` boots with it.
 */
#pragma once
#include "kernel/types.h"

struct trap_frame;

extern unsigned long profile_hz;       /* 0: off */

/* Timer interrupts per tick: profile=N above HZ makes the timer faster. */
unsigned int profile_timer_multiplier(void);
/* From the timer interrupt: sample the neighbour; false if this interrupt is not a tick. */
bool profile_timer_interrupt(void);
/* From the NMI handler: true if the NMI was a sample request (and it was taken). */
bool profile_nmi(struct trap_frame *tf);
/* Start sampling: once, from the first thread, every CPU online. */
void profile_start(void);
/* Stop sampling and print the profile (nothing without the option). */
void profile_report(void);

/* For tests: samples taken on cpu so far, and whether sample i of cpu was
 * taken in function `name` or in something it called (its caller chain). */
unsigned long profile_nr_samples(int cpu);
bool profile_sample_in(int cpu, unsigned long i, const char *name);
