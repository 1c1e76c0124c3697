/*
 * RCU (read-copy-update) built on quiescent-state counters (kernel/rcu.c).
 *
 * A reader brackets its use of shared pointers with rcu_read_lock() and
 * rcu_read_unlock(). An updater unpublishes an object (a pointer store,
 * clearing a PMD...) and then frees it only after a *grace period*: a span
 * in which every online CPU has passed a *quiescent state* -- a point where
 * it cannot be inside a read-side section: a context switch, a return to
 * user mode, an idle-loop pass, a cond_resched() outside any section, or
 * the whole time it sits idle. A reader
 * that started before the unpublish has then finished, and one that starts
 * after it cannot find the object. That is rule R1 step 3, and R5 is why
 * an IPI round-trip is not enough: a reader runs with interrupts on.
 *
 *     reader                            updater
 *     rcu_read_lock();                  old = p; WRITE_ONCE(p, new);
 *     q = READ_ONCE(p);                 call_rcu(&old->rcu, free_it);
 *     ... use *q ...                    (or synchronize_rcu(); kfree(old);)
 *     rcu_read_unlock();
 *
 * A structure freed after a grace period embeds a struct rcu_head;
 * call_rcu() queues it and calls `func` with it from the rcu_cb kernel
 * thread of the CPU it was queued on, in queueing order.
 */
#pragma once
#include "kernel/percpu.h"
#include "kernel/types.h"

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

/*
 * Read-side nesting depth of this CPU: rcu_read_lock() may nest, and the
 * count makes the nesting visible (rcu_read_lock_held(), and the checks
 * that a quiescent state is never reported inside a section).
 */
DECLARE_PER_CPU(int, rcu_read_depth);
/* Odd while this CPU is idle (extended quiescent state); see kernel/rcu.c. */
DECLARE_PER_CPU(unsigned long, rcu_idle_seq);

/* Out of line so this header needs no printk: both panic. */
void rcu_read_lock_on_idle_cpu(void);
void rcu_read_unlock_unbalanced(void);

/*
 * Enter a read-side section. It disables preemption, so the thread stays on
 * this CPU and cannot schedule() -- which would be a quiescent state in the
 * middle of the section: schedule() panics ("scheduling while atomic").
 * The kernel is not preemptible anyway; the count is what matters.
 *
 * No memory barrier: the ordering is paid for by the quiescent-state side
 * (each counter bump is preceded by smp_mb, kernel/rcu.c), which is what
 * makes readers cheap. barrier() keeps the compiler from moving the
 * section's loads above the lock.
 */
static inline void rcu_read_lock(void)
{
	preempt_disable();
	/*
	 * An interrupt handler on an idle CPU runs in the extended quiescent
	 * state: the grace-period code does not wait for it, so it must not
	 * read under RCU (Linux's rcu_irq_enter() lifts that; we forbid it).
	 */
	if (this_cpu_read(rcu_idle_seq) & 1)
		rcu_read_lock_on_idle_cpu();
	/* One `inc` on this CPU's copy: an interrupt cannot split it. */
	__asm__ volatile("incl %0" : "+m"(*this_cpu_ptr(&rcu_read_depth)) : : "memory");
}

static inline void rcu_read_unlock(void)
{
	barrier();
	if (this_cpu_read(rcu_read_depth) <= 0)
		rcu_read_unlock_unbalanced();
	__asm__ volatile("decl %0" : "+m"(*this_cpu_ptr(&rcu_read_depth)) : : "memory");
	preempt_enable();
}

/* True inside a read-side section on this CPU (for assertions). */
static inline bool rcu_read_lock_held(void)
{
	return this_cpu_read(rcu_read_depth) > 0;
}

/*
 * The quiescent-state hooks, called by the scheduler (sched_note_quiescent:
 * context switch, return to user, idle-loop pass) and around the halt of
 * the idle loop (kernel/idle.c). Interrupts may be on or off.
 */
void rcu_note_quiescent(void);
void rcu_idle_enter(void);
void rcu_idle_exit(void);
/* This CPU's timer tick (interrupt context): drives grace periods. */
void rcu_tick(void);

/*
 * Queue head: func(head) runs after a grace period that starts after this
 * call, in the rcu_cb thread of this CPU (process context, may sleep).
 * Any context, interrupts on or off.
 */
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
/* Wait for a full grace period. Process context (sleeps), not in a section. */
void synchronize_rcu(void);
/* Wait until every callback queued (on any CPU) before this call has run. */
void rcu_barrier(void);

/* Start the per-CPU callback threads; once, after every CPU is online. */
void rcu_init(void);

/* Grace periods completed since boot (the grace-period number). */
unsigned long rcu_gp_completed(void);
/*
 * A cookie for "a full grace period from now": the number of the first
 * grace period that starts after this call (Linux's names). It does not
 * start one; poll_state_synchronize_rcu(cookie) says whether it has ended.
 * Used by checkers (mm/ptcheck.c) that must tell whether a grace period
 * separates two events.
 */
unsigned long get_state_synchronize_rcu(void);
bool poll_state_synchronize_rcu(unsigned long cookie);
/* Stall warnings printed since boot (rcu_stall_timeout=SECONDS). */
unsigned long rcu_stall_warnings(void);
extern unsigned long rcu_stall_timeout;
/* Milliseconds a CPU may hold a grace period back before it is made to reschedule (0: never). */
extern unsigned long rcu_resched_ms;
