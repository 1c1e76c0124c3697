/*
 * The scheduler core: schedule(), wake-ups, placement, affinity and the
 * tick. sched.h says what the policy is; sched_rq.h how run queues are
 * locked; kernel/idle.c holds the idle loop and idle stealing.
 *
 * The wake-up/sleep race. A thread going to sleep does
 *
 *         set_current_state(TASK_UNINTERRUPTIBLE);   store, then full barrier
 *         if (!condition)
 *                 schedule();
 *
 * and its waker `condition = true; wake_up_process(t);`, where the wake-up
 * starts with a locked instruction (a full barrier on x86) before it reads
 * t->state. So one of them sees the other's store: the sleeper sees the
 * condition and does not sleep, or the waker sees the sleeping state and
 * wakes it. What is left is timing: the wake-up can hit any point of the
 * sleeper's way out of the CPU.
 *
 *   1. Before schedule() took the run-queue lock: t still runs (on_rq).
 *      The waker only sets t->state = TASK_RUNNING; schedule() then finds
 *      t runnable and keeps it (running on, or at the back of the queue)
 *      instead of taking it off. Nothing is lost, nothing queued twice.
 *   2. After schedule() took t off: schedule() holds the run-queue lock
 *      from then until the next thread has finished the switch
 *      (finish_task_switch), so a waker, which needs that lock, gets it
 *      only once t's registers are saved and it is off the CPU. Queueing it
 *      is then safe even if another CPU takes it at once.
 *
 * Hence: a wake-up always locks the run queue of the thread's own CPU,
 * and that lock is held across the switch.
 *
 * Threads in no queue. A thread that is TASK_RUNNING but in no run queue
 * and on no CPU belongs to whoever made it so, and nobody else touches it:
 * wake-ups skip it (it is not asleep), idle CPUs cannot steal it (it is not
 * queued). Three owners make such threads: a creator starting a TASK_NEW
 * thread, a waker whose thread may no longer run on its old CPU, and the
 * CPU that just switched away from a thread that may no longer run there.
 * Each then calls place_thread(), the one place where threads migrate
 * (apart from idle stealing).
 */
#include "kernel/sched.h"
#include "kernel/rcu.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/printk.h"
#include "kernel/sched_rq.h"
#include "kernel/timer.h"

DEFINE_PER_CPU(struct rq, runqueues);

void double_rq_lock(struct rq *a, struct rq *b)
{
	if (a == b) {
		spin_lock(&a->lock);
		return;
	}
	if (a->cpu > b->cpu) {
		struct rq *tmp = a;
		a = b;
		b = tmp;
	}
	spin_lock(&a->lock);
	spin_lock(&b->lock);
}

void double_rq_unlock(struct rq *a, struct rq *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

void enqueue_thread(struct rq *rq, struct thread *t)
{
	list_add_tail(&t->run_list, &rq->queue);
	rq->nr_queued++;
	t->on_rq = true;
}

/* Only out of the queue: a thread taken to run stays on_rq. */
void dequeue_thread(struct rq *rq, struct thread *t)
{
	list_del_init(&t->run_list);
	rq->nr_queued--;
}

/* Lock the run queue t belongs to. t->cpu may change until we hold it. */
static struct rq *task_rq_lock(struct thread *t, unsigned long *flags)
{
	for (;;) {
		*flags = irq_save();
		struct rq *rq = cpu_rq(READ_ONCE(t->cpu));
		spin_lock(&rq->lock);
		if (rq->cpu == READ_ONCE(t->cpu))
			return rq;
		spin_unlock(&rq->lock);
		irq_restore(*flags);
	}
}

static void task_rq_unlock(struct rq *rq, unsigned long flags)
{
	spin_unlock(&rq->lock);
	irq_restore(flags);
}

unsigned int sched_nr_running(int cpu)
{
	struct rq *rq = cpu_rq(cpu);

	return READ_ONCE(rq->nr_queued) + (READ_ONCE(rq->curr) != rq->idle);
}

/*
 * Queue t on rq (lock held). An idle CPU must notice: need_resched, and if
 * it is another CPU the caller sends it VEC_RESCHEDULE (kick_cpu) once the
 * lock is dropped, to end its hlt. Returns that CPU, or -1. A busy CPU
 * gets to t at its next tick that finds the running thread's slice used.
 */
static int activate(struct rq *rq, struct thread *t)
{
	enqueue_thread(rq, t);
	rq->stats.wakeups++;
	if (rq->curr != rq->idle)
		return -1;
	rq->need_resched = true;
	if (rq->cpu == cpu_id())
		return -1;
	rq->stats.resched_ipis++;
	return rq->cpu;
}

static void kick_cpu(int cpu)
{
	if (cpu >= 0)
		lapic_send_ipi(cpus[cpu].apic_id, VEC_RESCHEDULE);
}

/* The IPI only has to interrupt: need_resched is set, the exit paths act on it. */
static void resched_interrupt(struct trap_frame *tf)
{
}

/* The least loaded online CPU t may run on; ties go to t->cpu, then the lowest id. */
static int select_cpu(struct thread *t)
{
	cpumask_t allowed;
	unsigned int best_load = ~0u;
	int cpu, best = -1;

	cpumask_and(&allowed, &t->cpus_allowed, &cpu_online_mask);
	for_each_cpu(cpu, &allowed) {
		unsigned int load = sched_nr_running(cpu);
		if (load < best_load || (load == best_load && cpu == t->cpu)) {
			best = cpu;
			best_load = load;
		}
	}
	if (best < 0)
		panic("thread %s may run on no online CPU", t->name);
	return best;
}

/*
 * Queue t, runnable and in no queue and on no CPU (a "thread in no queue",
 * above: only the caller can see it), on the least loaded CPU it may run
 * on. Both run queues are locked, because t->cpu only changes under the
 * old and the new CPU's lock: that makes task_rq_lock() exact.
 */
static void place_thread(struct thread *t)
{
	unsigned long flags = irq_save();
	struct rq *src = cpu_rq(t->cpu), *dst = cpu_rq(select_cpu(t));

	double_rq_lock(src, dst);
	if (src != dst) {
		t->cpu = dst->cpu;
		if (t->nr_switches_in)          /* it ran before: a real move */
			dst->stats.migrations_in++;
	}
	int kick = activate(dst, t);
	double_rq_unlock(src, dst);
	irq_restore(flags);
	kick_cpu(kick);
}

void wake_up_new_thread(struct thread *t)
{
	if (t->state != TASK_NEW)
		panic("thread %s started twice", t->name);
	WRITE_ONCE(t->state, TASK_RUNNING);
	place_thread(t);
}

bool wake_up_state(struct thread *t, int states)
{
	unsigned long flags;
	struct rq *rq = task_rq_lock(t, &flags);     /* the barrier of the race, above */
	bool elsewhere = false;
	int kick = -1;

	if (!(READ_ONCE(t->state) & states)) {
		task_rq_unlock(rq, flags);
		return false;
	}
	WRITE_ONCE(t->state, TASK_RUNNING);
	if (t->on_rq)
		;                                    /* case 1: it has not left its CPU */
	else if (cpumask_test_cpu(rq->cpu, &t->cpus_allowed))
		kick = activate(rq, t);              /* case 2: back to its own CPU */
	else
		elsewhere = true;                    /* affinity changed while it slept */
	task_rq_unlock(rq, flags);
	if (elsewhere)
		place_thread(t);
	kick_cpu(kick);
	return true;
}

bool wake_up_process(struct thread *t)
{
	return wake_up_state(t, TASK_NORMAL);
}

const char *sched_atomic_context(void)
{
	struct cpu *c = this_cpu();

	if (c->irq_depth)
		return "in an interrupt handler";
	if (c->locks_held)
		return "holding a spinlock";
	if (rcu_read_lock_held())
		return "inside rcu_read_lock()";   /* a read-side section must not sleep */
	if (c->preempt_count)
		return "with preemption disabled";
	return NULL;
}

/*
 * May prev go on running here? Yes if it is still runnable and allowed on
 * this CPU (it yields, or is preempted). No if it sleeps or exited (a
 * wake-up queues it again, thread_reap frees it), or if its affinity no
 * longer allows this CPU: then finish_task_switch() places it elsewhere.
 * A prev that does not stay is off the run queue (on_rq) until queued again.
 */
static bool prev_stays(struct rq *rq, struct thread *prev)
{
	int state = READ_ONCE(prev->state);

	if (prev == rq->idle) {
		if (state != TASK_RUNNING)
			panic("idle thread of cpu %d tried to sleep", rq->cpu);
		return false;                   /* never queued: picked when nobody is */
	}
	if (state == TASK_RUNNING && cpumask_test_cpu(rq->cpu, &prev->cpus_allowed))
		return true;
	prev->on_rq = false;
	return false;
}

/*
 * The next thread to run: the first waiting one, with a fresh time slice,
 * and prev to the back of the queue if it stays (round robin); prev again
 * if nobody waits; else the idle thread. nr_queued changes at most once:
 * select_cpu() reads it without the lock, and should not catch a passing
 * value that is one too high or too low.
 */
static struct thread *pick_next_thread(struct rq *rq, struct thread *prev, bool stays)
{
	if (!rq->nr_queued)
		return stays ? prev : rq->idle;
	struct thread *next = list_first_entry(&rq->queue, struct thread, run_list);
	list_del_init(&next->run_list);
	if (stays)
		list_add_tail(&prev->run_list, &rq->queue);
	else
		rq->nr_queued--;
	next->time_slice = SCHED_SLICE_TICKS;
	return next;
}

/* Switch from prev to next (rq->lock held, interrupts off). Returns in next. */
static struct thread *context_switch(struct rq *rq, struct thread *prev, struct thread *next)
{
	if (*(u64 *)prev->stack != STACK_END_MAGIC)
		panic("kernel stack overflow in thread %s (tid %d)", prev->name, prev->tid);
	rq->curr = next;
	rq->stats.switches++;
	next->nr_switches_in++;
	WRITE_ONCE(next->on_cpu, 1);
	arch_switch_to(prev, next);
	this_cpu()->current_thread = next;
	return __switch_to_asm(prev, next);
}

/*
 * The end of every switch, run by the thread switched to, on its own stack,
 * with the run-queue lock still held from schedule(). From here on prev's
 * registers are saved: it may be stolen, run on another CPU, or be freed.
 * State and on_rq are read before the lock goes, while no waker can change
 * them (case 2 of the race above).
 */
static void finish_task_switch(struct thread *prev)
{
	struct rq *rq = this_rq();
	int state = prev->state;
	bool homeless = state == TASK_RUNNING && !prev->on_rq && prev != rq->idle;

	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
	spin_unlock(&rq->lock);
	if (state == TASK_DEAD)
		thread_reap(prev);
	else if (homeless)
		place_thread(prev);
}

/* A new thread's first C code (switch.asm, ret_from_kthread). */
void schedule_tail(struct thread *prev)
{
	finish_task_switch(prev);
	irq_enable();
}

void schedule(void)
{
	struct thread *prev = current;
	const char *why = sched_atomic_context();

	if (why)
		panic("scheduling while atomic: %s, in thread %s", why, prev->name);
	sched_note_quiescent();
	unsigned long flags = irq_save();
	struct rq *rq = this_rq();
	spin_lock(&rq->lock);
	rq->need_resched = false;
	struct thread *next = pick_next_thread(rq, prev, prev_stays(rq, prev));
	if (next == prev) {
		spin_unlock(&rq->lock);
	} else {
		prev = context_switch(rq, prev, next);
		finish_task_switch(prev);       /* we may be on another CPU now */
	}
	irq_restore(flags);
}

void yield(void)
{
	schedule();
}

bool need_resched(void)
{
	return READ_ONCE(this_rq()->need_resched);
}

void cond_resched(void)
{
	if (need_resched()) {
		schedule();                     /* a context switch: a quiescent state */
		return;
	}
	/*
	 * Nothing else to run, so no switch -- but a thread may call
	 * cond_resched() only where it could sleep, and a point where it could
	 * sleep is one where it holds no RCU reference: a quiescent state. Not
	 * reporting it would let a kernel thread looping here on a CPU with
	 * nothing else runnable hold back every grace period (issue 9, bug 2).
	 * Where it could not sleep (inside rcu_read_lock, a spinlock held) it is
	 * no quiescent state, and nothing is reported. Linux's rcu_all_qs().
	 */
	if (!sched_atomic_context())
		rcu_note_quiescent();
}

void resched_cpu(int cpu)
{
	/*
	 * No run-queue lock: a schedule() running there may clear the flag
	 * again, but only after its own quiescent state (schedule() reports
	 * it first), and a caller that still sees the CPU hold out asks again.
	 */
	WRITE_ONCE(cpu_rq(cpu)->need_resched, true);
	if (cpu != cpu_id())
		kick_cpu(cpu);
}

/* Interrupts are off in the handler: the lock can be taken as is. */
void scheduler_tick(void)
{
	struct rq *rq = this_rq();

	if (!READ_ONCE(rq->idle))
		return;                         /* before sched_init_cpu() */
	spin_lock(&rq->lock);
	struct thread *curr = rq->curr;
	if (curr != rq->idle && curr->time_slice > 0)
		curr->time_slice--;
	if (rq->nr_queued && (curr == rq->idle || curr->time_slice <= 0))
		rq->need_resched = true;
	spin_unlock(&rq->lock);
}

/*
 * The thread moves when needed (see "Affinity" in sched.h): queued now,
 * sleeping at its wake-up, running at its next schedule() -- at once if it
 * is the caller.
 */
int sched_setaffinity(struct thread *t, const cpumask_t *mask)
{
	cpumask_t allowed;
	unsigned long flags;
	bool move = false;
	int kick = -1;

	cpumask_and(&allowed, mask, &cpu_online_mask);
	if (!cpumask_weight(&allowed) || t->is_idle)
		return -EINVAL;
	struct rq *rq = task_rq_lock(t, &flags);
	cpumask_copy(&t->cpus_allowed, &allowed);
	if (!cpumask_test_cpu(rq->cpu, &allowed)) {
		if (rq->curr == t) {
			rq->need_resched = true;
			kick = rq->cpu == cpu_id() ? -1 : rq->cpu;
		} else if (t->on_rq) {
			dequeue_thread(rq, t);
			t->on_rq = false;            /* now in no queue, and ours */
			move = true;
		}
	}
	task_rq_unlock(rq, flags);
	if (move)
		place_thread(t);
	kick_cpu(kick);
	if (t == current && !cpumask_test_cpu(cpu_id(), &allowed))
		schedule();
	return 0;
}

void sched_getaffinity(struct thread *t, cpumask_t *mask)
{
	unsigned long flags;
	struct rq *rq = task_rq_lock(t, &flags);

	cpumask_copy(mask, &t->cpus_allowed);
	task_rq_unlock(rq, flags);
}

struct sched_stats sched_stats(int cpu)
{
	const struct sched_stats *s = &cpu_rq(cpu)->stats;

	return (struct sched_stats){
		READ_ONCE(s->switches), READ_ONCE(s->wakeups), READ_ONCE(s->resched_ipis),
		READ_ONCE(s->migrations_in), READ_ONCE(s->steals), READ_ONCE(s->idle_halts),
	};
}

void sched_init_cpu(u64 stack_top)
{
	struct rq *rq = this_rq();
	int cpu = cpu_id();

	spin_lock_init(&rq->lock, "rq->lock");
	rq->cpu = cpu;
	INIT_LIST_HEAD(&rq->queue);
	timer_init_cpu();
	struct thread *idle = idle_thread_create(cpu, stack_top);
	rq->curr = idle;
	this_cpu()->current_thread = idle;
	this_cpu()->kernel_rsp = idle->stack_top;
	if (cpu == 0)
		set_vector_handler(VEC_RESCHEDULE, resched_interrupt);
	WRITE_ONCE(rq->idle, idle);             /* last: the tick starts looking */
}
