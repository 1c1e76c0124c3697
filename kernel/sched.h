/*
 * The scheduler: per-CPU run queues, FIFO round robin.
 *
 * Each CPU has a run queue of the threads waiting for it; the thread that
 * runs is rq->curr, and when no thread is runnable the CPU's idle thread
 * runs and halts. A thread runs until it sleeps, yields, exits, or is
 * preempted; then the first thread in the queue runs and a preempted or
 * yielding one goes to the back.
 *
 * Preemption. The kernel itself is NOT preemptible: a thread in kernel mode
 * runs until it calls schedule() (sleeping, yield(), cond_resched()). The
 * timer tick only sets need_resched when the running thread has used its
 * time slice (SCHED_SLICE_TICKS) and another thread is waiting; the flag is
 * acted on when the CPU returns to user mode (from an interrupt or a
 * system call), at cond_resched(), and in the idle loop. So a user thread
 * cannot hog a CPU, a kernel loop that may run long must call cond_resched(),
 * and code between two schedule() calls needs no protection against other
 * threads of the same CPU (it does against other CPUs and interrupts).
 *
 * Placement. A new thread goes to the least loaded CPU it is allowed on. A
 * woken thread goes back to the CPU it last ran on (if still allowed), with
 * a VEC_RESCHEDULE IPI when that CPU is idle. An idle CPU steals a waiting
 * thread from a busy one before it halts. A thread never moves while it
 * runs: only queued, sleeping or newly created threads change CPU.
 *
 * Affinity: sched_setaffinity(). A queued or sleeping thread moves at once
 * (a sleeping one when it is woken); a running thread whose CPU is no
 * longer allowed moves at its next pass through schedule() -- for a user
 * thread that is on its way back to user mode, forced by an IPI; for a
 * kernel thread when it next sleeps, yields or calls cond_resched(). When
 * the thread changes its own affinity it has moved by the time the call
 * returns.
 */
#pragma once
#include "kernel/rcu.h"
#include "kernel/thread.h"

#define SCHED_SLICE_TICKS 2            /* 20 ms at HZ=100 */

/*
 * Give up the CPU. The caller either set its state to a sleeping one first
 * (set_current_state), and then comes back once woken, or is TASK_RUNNING
 * and goes to the back of its run queue. Must not be called with a spinlock
 * held, preemption disabled or from an interrupt handler ("scheduling while
 * atomic": a panic). Interrupts may be on or off; they are as before on
 * return.
 */
void schedule(void);

/* Let the other runnable threads of this CPU run first. */
void yield(void);

/* True when this CPU should switch threads at the next opportunity. */
bool need_resched(void);
/*
 * For long kernel loops: call schedule() if need_resched(); else, where the
 * caller could sleep, report an RCU quiescent state (it holds no RCU
 * reference here), so the loop never holds a grace period back.
 */
void cond_resched(void);

/*
 * Make cpu pass through schedule() at its next chance (its need_resched,
 * and an IPI if it is another CPU): from the RCU tick, for a CPU that
 * holds a grace period back too long. Any context.
 */
void resched_cpu(int cpu);

/*
 * Why this context must not sleep -- a spinlock held, preemption disabled,
 * in an interrupt handler, the idle thread -- or NULL if it may. schedule()
 * panics with this reason; tests call it directly.
 */
const char *sched_atomic_context(void);

/*
 * Wake t if its state is one of `states`: it becomes TASK_RUNNING and is
 * queued on its CPU. Returns false if it was not in such a state (running
 * already, or woken by someone else). Any context, interrupts on or off.
 */
bool wake_up_state(struct thread *t, int states);
/* wake_up_state(t, TASK_NORMAL). */
bool wake_up_process(struct thread *t);

/*
 * Restrict t to the CPUs of mask (ANDed with the online ones). Returns 0,
 * or -EINVAL if no online CPU is left in mask or t is an idle thread. See
 * "Affinity" above for when t moves. Process context if t is current.
 */
int sched_setaffinity(struct thread *t, const cpumask_t *mask);
void sched_getaffinity(struct thread *t, cpumask_t *mask);

/* The timer tick of this CPU (interrupt context): time slices. */
void scheduler_tick(void);

/* What a CPU does when it has nothing to run (kernel/idle.c): never returns. */
__noreturn void cpu_idle_loop(void);

/*
 * Set up the scheduler on this CPU: its run queue, and its idle thread made
 * of the running boot context (stack_top: the top of the stack it runs on).
 * From here on `current` works. The boot CPU first, after kmalloc and
 * fpu_init; each AP in ap_entry.
 */
void sched_init_cpu(u64 stack_top);

/*
 * A quiescent state for RCU: this CPU holds no reference from an RCU
 * read-side section. Called at every context switch, return to user mode
 * and idle-loop pass: bumps this CPU's RCU quiescent-state counter
 * (kernel/rcu.c), which is all a grace period waits for.
 */
static inline void sched_note_quiescent(void)
{
	rcu_note_quiescent();
}

/* Counters of one CPU's scheduler; each only grows. */
struct sched_stats {
	u64 switches;            /* context switches made on this CPU */
	u64 wakeups;             /* threads queued here: woken, started or moved */
	u64 resched_ipis;        /* VEC_RESCHEDULE IPIs sent to this CPU */
	u64 migrations_in;       /* threads moved here from another CPU */
	u64 steals;              /* ... of which taken by this CPU when idle */
	u64 idle_halts;          /* times the idle loop halted */
};
struct sched_stats sched_stats(int cpu);
/* Threads runnable on cpu: queued, plus the running one unless it is idle. */
unsigned int sched_nr_running(int cpu);
