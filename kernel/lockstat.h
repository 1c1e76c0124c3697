/*
 * Lock statistics per lock class (Linux's lock_stat, much reduced).
 *
 * A class is every spinlock with the same name (`pte_lock`, `zone.lock`,
 * `rwsem.wait_lock` ...). For each, per CPU: acquisitions, the contended
 * ones (the lock was not free at the first look), the spin iterations and
 * the time spent spinning for them, and the longest wait. An rwsem's
 * name is a class too (`mmap_lock`): there "contended" means the task
 * slept, and the wait is the time asleep.
 * Printed at power-off with the profile (kernel/profile.h).
 *
 * Turned on by the boot option `lockstat`, or by `profile`. Off, the
 * fast path pays one predictable branch. The totals of contended
 * acquisitions and spin time are always counted, in /proc/vmstat
 * (spinlock_contended, spinlock_wait_ns): that costs only CPUs that spin.
 */
#pragma once
#include "kernel/spinlock.h"

extern bool lockstat_enabled;

/* l was just taken; spins and wait_ns are 0 if it was free at once. */
void lockstat_note(const spinlock_t *l, u64 spins, u64 wait_ns);
/*
 * The same for a lock of class name that is not a spinlock: an rwsem
 * (kernel/rwsem.c) notes every acquisition, and one that slept with
 * spins 0 and the time asleep as wait_ns.
 */
void lockstat_note_class(const char *name, u64 spins, u64 wait_ns);
/* Print the classes that were contended, most time spinning first. */
void lockstat_report(void);
