/*
 * Timers and sleeping with a timeout.
 *
 * A timer runs a function at the first timer tick (HZ per second) at or
 * after its expiry time, on the CPU where it was added, in that CPU's
 * timer interrupt. Each CPU keeps its pending timers in a list sorted by
 * expiry, so the tick only looks at the head. Time is ktime_ns(). The
 * resolution is therefore one tick (10 ms): sleep_ns(1000) sleeps about a
 * tick, never less than asked.
 */
#pragma once
#include "kernel/list.h"
#include "kernel/types.h"

struct timer_list {
	struct list_head entry;        /* in cpu's list while pending (its lock) */
	u64 expires;                   /* ktime_ns() at or after which fn runs */
	void (*fn)(struct timer_list *timer);
	int cpu;                       /* whose list it is, or was last, on */
	bool pending;                  /* cpu's lock: in the list */
};

void timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *timer));
/* Queue a set-up, not pending timer on this CPU to run at timer->expires. Any context. */
void add_timer(struct timer_list *timer);
/*
 * Make sure the timer will not run and is not running: take it out if
 * pending, else wait for its function to return if it runs right now on
 * some CPU. Returns true if it was pending. Not from the timer's function,
 * nor from an interrupt handler.
 */
bool del_timer_sync(struct timer_list *timer);

/* Set up this CPU's timer list (sched_init_cpu). */
void timer_init_cpu(void);
/* This CPU's timer tick: run the expired timers (interrupt context). */
void run_local_timers(void);

/*
 * Sleep in the state the caller set (set_current_state) until woken or
 * timeout_ns have passed. Returns 0 if the time ran out, else the
 * nanoseconds left. Process context, no spinlock held.
 */
u64 schedule_timeout(u64 timeout_ns);
/* The same, setting TASK_UNINTERRUPTIBLE first. */
u64 schedule_timeout_uninterruptible(u64 timeout_ns);
/* Sleep for at least ns nanoseconds. */
void sleep_ns(u64 ns);

/* Timers that have run on cpu (statistics; only grows). */
u64 timers_run(int cpu);
