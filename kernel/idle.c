/*
 * The idle loop: what a CPU runs when no thread is runnable on it.
 *
 * Every CPU has an idle thread, made from the context it booted in (the
 * boot CPU's kmain, an AP's ap_entry). It never sleeps and is never queued;
 * schedule() picks it when the run queue is empty. Each pass it looks for
 * work -- a queued thread, a pending need_resched, or a thread to steal
 * from a busier CPU -- and otherwise halts until the next interrupt. The
 * pass is a quiescent state for RCU: an idle CPU must not hold back a
 * grace period.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "kernel/sched_rq.h"

/*
 * The first thread of src's queue that may run on cpu. A queued thread is
 * never running: a thread enters a queue either off-CPU or, in schedule(),
 * under the lock that its CPU then holds until the switch away is complete.
 * So on_cpu is 0 here; finding it set is a scheduler bug.
 */
static struct thread *stealable_thread(struct rq *src, int cpu)
{
	struct thread *t;

	list_for_each_entry(t, &src->queue, run_list) {
		if (!cpumask_test_cpu(cpu, &t->cpus_allowed))
			continue;
		if (READ_ONCE(t->on_cpu))
			panic("queued thread %s is running on cpu %d", t->name, src->cpu);
		return t;
	}
	return NULL;
}

/*
 * Take one waiting thread from another CPU's queue, trying the CPUs after
 * this one in turn. Both run queues are locked, in CPU-id order. Returns
 * true if a thread is now queued here. Interrupts off.
 */
static bool idle_steal(struct rq *me)
{
	for (int i = 1; i < READ_ONCE(nr_cpus); i++) {
		struct rq *src = cpu_rq((me->cpu + i) % nr_cpus);
		if (!READ_ONCE(src->nr_queued) || !READ_ONCE(src->idle))
			continue;
		double_rq_lock(me, src);
		struct thread *t = stealable_thread(src, me->cpu);
		if (t) {
			dequeue_thread(src, t);
			t->cpu = me->cpu;
			enqueue_thread(me, t);
			me->stats.steals++;
			me->stats.migrations_in++;
		}
		double_rq_unlock(me, src);
		if (t)
			return true;
	}
	return false;
}

/*
 * Look for work with interrupts off, then `sti; hlt`: sti takes effect
 * after the next instruction, so a wake-up IPI sent after the look still
 * ends the hlt instead of arriving before it and being missed.
 */
__noreturn void cpu_idle_loop(void)
{
	struct rq *rq = this_rq();

	if (current != rq->idle)
		panic("cpu_idle_loop outside the idle thread");
	for (;;) {
		irq_disable();
		if (READ_ONCE(rq->nr_queued) || need_resched() || idle_steal(rq)) {
			schedule();
			continue;
		}
		idle_leave_mm();              /* flushes of a lazily held mm stop coming here */
		sched_note_quiescent();
		rq->stats.idle_halts++;
		/*
		 * Halted, this CPU is in an extended quiescent state: grace
		 * periods do not wait for it and nothing wakes it to report
		 * one (kernel/rcu.c). Interrupt handlers that run in the halt
		 * are inside it too, so they must not use rcu_read_lock.
		 */
		rcu_idle_enter();
		safe_halt();
		rcu_idle_exit();
	}
}
