/*
 * The run queue of one CPU: internal to the scheduler (kernel/sched.c,
 * kernel/idle.c). Everyone else uses kernel/sched.h.
 *
 * Lock rules. rq->lock is taken with interrupts off everywhere, because
 * the timer tick and wake-ups from interrupt handlers take it. Two run
 * queues are locked in CPU-id order (double_rq_lock). The lock is held
 * across a context switch: taken by the thread that calls schedule(),
 * released by the thread that runs next (finish_task_switch), on the same
 * CPU. A thread's `cpu` field says which run queue's lock covers it.
 */
#pragma once
#include "kernel/sched.h"
#include "kernel/spinlock.h"

struct rq {
	spinlock_t lock;
	int cpu;                       /* fixed */
	struct thread *idle;           /* fixed once sched_init_cpu() ran */

	/* lock must be held to change these; others may read them racily. */
	struct list_head queue;        /* runnable threads waiting for this CPU, FIFO */
	unsigned int nr_queued;        /* length of queue */
	struct thread *curr;           /* the thread running here (idle included) */
	bool need_resched;             /* switch at the next chance; cleared by schedule() */

	struct sched_stats stats;      /* lock held, or this CPU with interrupts off */
};

DECLARE_PER_CPU(struct rq, runqueues);

static inline struct rq *cpu_rq(int cpu)
{
	return per_cpu_ptr(&runqueues, cpu);
}

static inline struct rq *this_rq(void)
{
	return this_cpu_ptr(&runqueues);
}

/* Lock a and b (which may be the same) in CPU-id order. Interrupts off. */
void double_rq_lock(struct rq *a, struct rq *b);
void double_rq_unlock(struct rq *a, struct rq *b);

/* Put t at the back of rq's queue / take it out. rq->lock held. */
void enqueue_thread(struct rq *rq, struct thread *t);
void dequeue_thread(struct rq *rq, struct thread *t);

/* A new thread's first C code: finish the switch to it, interrupts on (switch.asm). */
void schedule_tail(struct thread *prev);
