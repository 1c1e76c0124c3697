/*
 * Fault injection: named points where a thread is held on purpose, so that
 * a race window a few instructions wide becomes wide enough for a test to
 * hit it every time instead of by luck.
 *
 * A point is declared beside the code whose window it widens, and named in
 * that code's comment:
 *
 *     DEFINE_FAULT_INJECT(fi_exit_delay, "exit_delay",
 *                         "hold an exiting thread between leaving its process and schedule()");
 *     ...
 *     fault_inject_delay(&fi_exit_delay);              hold for the point's time
 *     fault_inject_hold_until(&fi_exit_delay, done, arg);   ... or until done(arg)
 *
 * Every point is off (costs one load) until switched on, at boot with
 *
 *     fault_inject=NAME[:MS],NAME[:MS]...      (MS: the hold, default 100;
 *                                               fault_inject=help lists the points)
 *
 * or by an in-kernel test with fault_inject_set(). A held thread spins: it
 * keeps its CPU, its locks and its interrupt state (it may be inside
 * rcu_read_lock(), or hold a spinlock), so holding where interrupts are off
 * also delays every IPI to its CPU.
 *
 * Proof that the window was hit: each point counts hits (holds made) and
 * events (holds that fault_inject_hold_until() ended because done() came
 * true, not because time ran out). A test asserts on them -- in-kernel with
 * fault_inject_find(), from user space in /proc/vmstat, where every point
 * that is on has two lines, "fault_inject_NAME_hits N" and
 * "fault_inject_NAME_events N".
 */
/*
 * Failure points: the same points can instead make a call fail, to walk
 * every caller down its error path (Linux's fail_page_alloc):
 *
 *     DEFINE_FAULT_INJECT(fi_page_alloc, "page_alloc", "...");
 *     if (should_fail(&fi_page_alloc))
 *             return NULL;
 *
 *     fault_inject=NAME:every=N          every Nth call fails
 *     fault_inject=NAME:percent=P:seed=S each call fails with probability
 *                                        P%, drawn from S (same S, same
 *                                        calls fail, in the same order)
 *
 * Only calls made for a user process fail (a thread with a process, not in
 * an interrupt): the boot, init and the kernel's own threads are spared,
 * so a whole test suite can run with a point on. hits counts the calls
 * looked at, events the failures made.
 */
#pragma once
#include "kernel/types.h"

struct fault_inject {
	const char *name;
	const char *help;
	unsigned long ms;            /* the hold; 0: off */
	unsigned long every;         /* failure point: fail every Nth call; 0: off */
	unsigned long percent;       /* failure point: fail with this probability; 0: off */
	unsigned long seed;          /* ... drawn from this seed */
	unsigned long hits;          /* atomic: holds made (failure point: calls looked at) */
	unsigned long events;        /* atomic: holds ended by the awaited event (failures made) */
};

/* Gathered by the linker (section .data.fault_inject), as boot options are. */
#define DEFINE_FAULT_INJECT(var, nm, hlp)                                     \
	struct fault_inject var __used __section(".data.fault_inject")         \
	__aligned(8) = { .name = nm, .help = hlp }

/* Hold here for the point's time if it is on. Returns true if it held. */
bool fault_inject_delay(struct fault_inject *fi);

/*
 * Hold here, if the point is on, until done(arg) returns true or the
 * point's time has passed; done() is polled while spinning. Returns true
 * if done() ended the hold (counted in events); false if the point is off
 * or the time ran out (then a line says so on the console, naming the point).
 */
bool fault_inject_hold_until(struct fault_inject *fi, bool (*done)(void *arg), void *arg);

/* Switch a point on (ms > 0) or off (0): for in-kernel tests. */
void fault_inject_set(struct fault_inject *fi, unsigned long ms);

/* Should this call fail (a failure point that is on, for a user process)? Counts both. */
bool should_fail(struct fault_inject *fi);

/* Make a failure point fail every Nth call, or percent% of them from seed; 0, 0: off. */
void fault_inject_set_fail(struct fault_inject *fi, unsigned long every, unsigned long percent,
			   unsigned long seed);

/* The point called name, or NULL. */
struct fault_inject *fault_inject_find(const char *name);

static inline unsigned long fault_inject_hits(const struct fault_inject *fi)
{
	return __atomic_load_n(&fi->hits, __ATOMIC_RELAXED);
}

static inline unsigned long fault_inject_events(const struct fault_inject *fi)
{
	return __atomic_load_n(&fi->events, __ATOMIC_RELAXED);
}

/* Apply the fault_inject= boot option; kmain, right after bootopt_parse(). */
void fault_inject_init(void);

/* The /proc/vmstat lines of the points that are on; returns the length. */
size_t fault_inject_vmstat_show(char *buf, size_t size);

/* Print how many calls each failure point that is on made fail (init, at the end). */
void fault_inject_report(void);
