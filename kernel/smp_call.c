/*
 * Cross-CPU function calls (see smp.h for the rules).
 *
 * A call travels in a `struct call_slot`. Each CPU owns one slot per
 * possible target CPU: a call from CPU s to CPU t always uses s's slot t.
 * The caller fills the slot, appends it to t's queue and sends t one
 * VEC_CALL_FUNCTION IPI; t's handler takes its whole queue, runs each call
 * and then clears the slot's `busy` flag. A waiting caller spins on that
 * flag; an asynchronous caller does not wait now but, before reusing the
 * slot for the next call to t, waits until t has run the previous one. So
 * no call lives on the caller's stack, and nothing needs allocating.
 *
 * Why no deadlock: a CPU that waits (for its call, or for a slot) keeps
 * running the calls queued to it, even when two CPUs wait on each other.
 *
 * A waiter spins only briefly (smp_call_spin_us), then halts until the
 * target's answer wakes it (halt_for_answer). On real CPUs an answer takes
 * a few microseconds and the spin catches it. Under a hypervisor that runs
 * more virtual CPUs than it has host CPUs, the target may not be running
 * at all: a waiter that spins then burns the very host CPU the target
 * needs, for a whole host time slice, while one that halts gives it back.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/bootopt.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"

#define CALL_WAIT_WARN_SECONDS 10

cpumask_t cpu_online_mask;

struct call_slot {
	struct call_slot *next;   /* in the target's queue: target's queue lock */
	smp_call_func_t fn;       /* written by the owner while !busy */
	void *arg;
	int busy;                 /* 1: queued or running; cleared by the target */
	int owner;                /* the CPU whose slot this is: the one to wake */
};

/* The calls queued to one CPU, oldest first. */
struct call_queue {
	spinlock_t lock;          /* taken with interrupts off (the IPI handler takes it) */
	struct call_slot *head;   /* lock must be held for head and tail */
	struct call_slot *tail;
};

static DEFINE_PER_CPU(struct call_queue, call_queue) = { .lock = SPINLOCK_INIT("call_queue") };
/* call_slots[t] of CPU s: s's call to t; filled only by s with preemption off. */
static DEFINE_PER_CPU(struct call_slot[MAX_CPUS], call_slots);
/* Written by the owning CPU only; read by anyone through smp_call_stats(). */
static DEFINE_PER_CPU(struct smp_call_stats, call_stats);
/* 1 while this CPU is (about to be) halted waiting for an answer: wake it. */
static DEFINE_PER_CPU(int, call_halted);

static bool smp_call_halt = true;
BOOT_OPTION_BOOL("smp_call_halt", smp_call_halt,
		 "on|off: a CPU waiting for a cross-CPU call's answer halts after "
		 "smp_call_spin_us, and the answer wakes it (default on)");
static unsigned long smp_call_spin_us = 10;
BOOT_OPTION_ULONG("smp_call_spin_us", smp_call_spin_us,
		  "how long a waiting CPU spins before it halts, in microseconds (10)");

struct smp_call_stats smp_call_stats(int cpu)
{
	const struct smp_call_stats *s = per_cpu_ptr(&call_stats, cpu);

	return (struct smp_call_stats){
		READ_ONCE(s->calls_sent), READ_ONCE(s->ipis_sent),
		READ_ONCE(s->ipis_received), READ_ONCE(s->calls_run),
		READ_ONCE(s->wakes_sent), READ_ONCE(s->wakes_received),
	};
}

bool smp_call_waiter_halted(int cpu)
{
	return __atomic_load_n(per_cpu_ptr(&call_halted, cpu), __ATOMIC_ACQUIRE);
}

/*
 * Run every call queued to this CPU. Interrupts must be off: called from
 * the IPI handler, or from a waiting CPU with interrupts saved off. The
 * queue is detached under the lock and run outside it, so a call may be
 * queued to us meanwhile (its IPI then runs it next).
 */
static void run_call_queue(void)
{
	struct call_queue *q = this_cpu_ptr(&call_queue);
	struct smp_call_stats *stats = this_cpu_ptr(&call_stats);

	if (!READ_ONCE(q->head))
		return;
	spin_lock(&q->lock);
	struct call_slot *s = q->head;
	q->head = q->tail = NULL;
	spin_unlock(&q->lock);
	while (s) {
		/* The slot is not ours after busy = 0: read what we need first. */
		struct call_slot *next = s->next;
		int owner = s->owner;
		s->fn(s->arg);
		stats->calls_run++;
		__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
		/*
		 * Clear busy, then look whether the owner halted (halt_for_answer
		 * does the mirror image: set halted, then look at busy). With a
		 * full fence on both sides, either it sees busy 0 and does not
		 * halt, or we see it halted and wake it.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(per_cpu_ptr(&call_halted, owner), __ATOMIC_RELAXED)) {
			lapic_send_ipi(cpus[owner].apic_id, VEC_CALL_WAKE);
			stats->wakes_sent++;
		}
		s = next;
	}
}

static void call_function_interrupt(struct trap_frame *tf)
{
	this_cpu_ptr(&call_stats)->ipis_received++;
	run_call_queue();
}

/* Taking the interrupt ended the hlt; nothing else to do. */
static void call_wake_interrupt(struct trap_frame *tf)
{
	this_cpu_ptr(&call_stats)->wakes_received++;
}

void smp_call_init(void)
{
	set_vector_handler(VEC_CALL_FUNCTION, call_function_interrupt);
	set_vector_handler(VEC_CALL_WAKE, call_wake_interrupt);
}

/*
 * One step of waiting: run what others queued to us, as the IPI handler
 * would (interrupts off, and counted as interrupt context so that a called
 * function cannot start a call of its own).
 */
static void serve_calls_while_waiting(void)
{
	unsigned long flags = irq_save();

	this_cpu()->irq_depth++;
	run_call_queue();
	this_cpu()->irq_depth--;
	irq_restore(flags);
	cpu_relax();
}

/*
 * Halt until an interrupt comes, unless the call in s has already been
 * answered. Interrupts are on (the caller checked), so calls queued to us
 * meanwhile still run, from the IPI handler. The target wakes us with
 * VEC_CALL_WAKE once it has cleared busy (run_call_queue); `sti; hlt`
 * takes that IPI even if it comes between our look at busy and the hlt.
 *
 * What it buys, unmap_latency (DONTNEED of 1 page, 3 other CPUs spinning
 * in the mm, so 3 IPIs to answer) on 4 TCG vCPUs / 2 host cores, same
 * build: smp_call_halt=off 710 us, on 376 us (Linux in the same machine:
 * 1065 us). Spinning 1-10 us first did best; 500 us cost 20% of 4-thread
 * tlb_flush2's rounds.
 */
static void halt_for_answer(const struct call_slot *s)
{
	int *halted = this_cpu_ptr(&call_halted);

	irq_disable();
	__atomic_store_n(halted, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* pairs with run_call_queue's */
	if (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE)) {
		count_vm_event(SMP_CALL_WAIT_HALTS);
		safe_halt();
		irq_disable();
	}
	__atomic_store_n(halted, 0, __ATOMIC_RELAXED);
	irq_enable();
}

/* Wait until target has run the call in slot s, serving our own queue. */
static void wait_for_slot(const struct call_slot *s, int target)
{
	u64 start = ktime_ns();
	bool warned = false;
	/* Halting needs interrupts on; an async caller may have them off. */
	bool may_halt = READ_ONCE(smp_call_halt) && irqs_enabled();
	u64 spin_ns = READ_ONCE(smp_call_spin_us) * 1000;

	while (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE)) {
		if (may_halt && ktime_ns() - start >= spin_ns)
			halt_for_answer(s);
		else
			serve_calls_while_waiting();
		if (!warned && ktime_ns() - start > CALL_WAIT_WARN_SECONDS * 1000000000ull) {
			warned = true;
			printk("smp_call: cpu %d has not run our call for %ds\n",
			       target, CALL_WAIT_WARN_SECONDS);
		}
	}
}

static struct call_slot *my_slot(int target)
{
	return &(*this_cpu_ptr(&call_slots))[target];
}

/* Queue fn(arg) to target and send it one IPI. Preemption must be off. */
static void send_call(int target, smp_call_func_t fn, void *arg)
{
	struct call_slot *s = my_slot(target);
	struct call_queue *q = per_cpu_ptr(&call_queue, target);
	struct smp_call_stats *stats = this_cpu_ptr(&call_stats);

	wait_for_slot(s, target);       /* a previous async call may still hold it */
	s->fn = fn;
	s->arg = arg;
	s->next = NULL;
	s->owner = cpu_id();
	s->busy = 1;
	unsigned long flags = spin_lock_irqsave(&q->lock);
	if (q->tail)
		q->tail->next = s;
	else
		q->head = s;
	q->tail = s;
	spin_unlock_irqrestore(&q->lock, flags);   /* release: the slot is complete */
	stats->calls_sent++;
	lapic_send_ipi(cpus[target].apic_id, VEC_CALL_FUNCTION);
	stats->ipis_sent++;
}

/* The rules of smp.h: no calls from interrupt context; waiting ones with interrupts on. */
static void check_call_context(bool wait)
{
	if (this_cpu()->irq_depth)
		panic("cross-CPU call from an interrupt handler or a called function");
	if (wait && !irqs_enabled())
		panic("waiting cross-CPU call with interrupts disabled");
}

/* Run fn(arg) here as a called CPU would: interrupts off. */
static void call_locally(smp_call_func_t fn, void *arg)
{
	unsigned long flags = irq_save();
	fn(arg);
	irq_restore(flags);
}

/* The online CPUs of mask other than this one. Preemption must be off. */
static void remote_targets(cpumask_t *targets, const cpumask_t *mask)
{
	cpumask_and(targets, mask, &cpu_online_mask);
	cpumask_clear_cpu(cpu_id(), targets);
}

static void wait_for_targets(const cpumask_t *targets)
{
	int cpu;

	for_each_cpu(cpu, targets)
		wait_for_slot(my_slot(cpu), cpu);
}

int smp_call_function_single(int cpu, smp_call_func_t fn, void *arg, bool wait)
{
	check_call_context(wait);
	if (cpu < 0 || cpu >= MAX_CPUS || !cpumask_test_cpu(cpu, &cpu_online_mask))
		return -ENODEV;
	preempt_disable();
	if (cpu == cpu_id()) {
		call_locally(fn, arg);
	} else {
		send_call(cpu, fn, arg);
		if (wait)
			wait_for_slot(my_slot(cpu), cpu);
	}
	preempt_enable();
	return 0;
}

void smp_call_function_many(const cpumask_t *mask, smp_call_func_t fn, void *arg, bool wait)
{
	cpumask_t targets;
	int cpu;

	check_call_context(wait);
	preempt_disable();
	remote_targets(&targets, mask);
	for_each_cpu(cpu, &targets)
		send_call(cpu, fn, arg);
	if (wait)
		wait_for_targets(&targets);
	preempt_enable();
}

void on_each_cpu(smp_call_func_t fn, void *arg, bool wait)
{
	cpumask_t targets;
	int cpu;

	check_call_context(wait);
	preempt_disable();
	remote_targets(&targets, &cpu_online_mask);
	for_each_cpu(cpu, &targets)
		send_call(cpu, fn, arg);
	call_locally(fn, arg);          /* ours runs while the others run theirs */
	if (wait)
		wait_for_targets(&targets);
	preempt_enable();
}
