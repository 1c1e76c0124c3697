/*
 * The idle loop, and handing work to idle CPUs (run_on_cpus, see smp.h).
 *
 * There is no scheduler yet: an AP that is up sits in cpu_idle_loop(). To
 * make it run something in process context (interrupts on, free to make
 * waiting cross-CPU calls), another CPU puts the function in the AP's work
 * slot and sends it a VEC_RESCHEDULE IPI to end its `hlt`. The idle loop
 * will also be a quiescent state for RCU.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/smp.h"

/* Work handed to one CPU. */
struct cpu_work {
	smp_call_func_t fn;     /* written by the giver while !pending */
	void *arg;
	int pending;            /* set by the giver; cleared by this CPU when fn returned */
};

static DEFINE_PER_CPU(struct cpu_work, cpu_work);

/*
 * The run_on_cpus() in progress (one at a time): each participant waits in
 * run_share() until all have arrived, so they really run fn at once.
 */
static struct {
	int active;             /* 1 while a run_on_cpus() is in progress */
	smp_call_func_t fn;
	void *arg;
	int not_arrived;        /* participants not yet at the start line */
} run;

/* The IPI only has to end the target's hlt; the idle loop does the rest. */
static void wake_up_interrupt(struct trap_frame *tf)
{
}

void cpu_work_init(void)
{
	set_vector_handler(VEC_RESCHEDULE, wake_up_interrupt);
}

/*
 * Check for work with interrupts off, then `sti; hlt`: sti takes effect
 * after hlt has begun, so a wake-up IPI sent after the check still ends
 * the hlt instead of arriving before it and being missed.
 */
__noreturn void cpu_idle_loop(void)
{
	struct cpu_work *w = this_cpu_ptr(&cpu_work);

	for (;;) {
		irq_disable();
		if (!__atomic_load_n(&w->pending, __ATOMIC_ACQUIRE)) {
			safe_halt();
			continue;
		}
		irq_enable();
		w->fn(w->arg);
		__atomic_store_n(&w->pending, 0, __ATOMIC_RELEASE);
	}
}

/* What each participant of run_on_cpus() runs: the start line, then fn. */
static void run_share(void *unused)
{
	__atomic_fetch_sub(&run.not_arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&run.not_arrived, __ATOMIC_ACQUIRE) > 0)
		cpu_relax();
	run.fn(run.arg);
}

/* Put fn(arg) in cpu's work slot and wake it. */
static void give_work(int cpu, smp_call_func_t fn, void *arg)
{
	struct cpu_work *w = per_cpu_ptr(&cpu_work, cpu);

	if (READ_ONCE(w->pending))
		panic("cpu %d still has work from an earlier run_on_cpus", cpu);
	w->fn = fn;
	w->arg = arg;
	__atomic_store_n(&w->pending, 1, __ATOMIC_RELEASE);
	lapic_send_ipi(cpus[cpu].apic_id, VEC_RESCHEDULE);
}

static void wait_for_work(int cpu)
{
	while (__atomic_load_n(&per_cpu_ptr(&cpu_work, cpu)->pending, __ATOMIC_ACQUIRE))
		cpu_relax();
}

/*
 * One run_on_cpus() at a time, and never from inside one: the targets must
 * be idle to pick the work up, and a CPU waiting here is not idle. Breaking
 * that would hang, so it panics instead.
 */
void run_on_cpus(const cpumask_t *mask, smp_call_func_t fn, void *arg)
{
	cpumask_t targets;
	int cpu, me;

	if (!irqs_enabled() || this_cpu()->irq_depth)
		panic("run_on_cpus needs process context with interrupts enabled");
	if (__atomic_exchange_n(&run.active, 1, __ATOMIC_ACQUIRE))
		panic("run_on_cpus: nested or concurrent use");
	preempt_disable();
	me = cpu_id();
	cpumask_and(&targets, mask, &cpu_online_mask);
	run.fn = fn;
	run.arg = arg;
	run.not_arrived = cpumask_weight(&targets);
	for_each_cpu(cpu, &targets)
		if (cpu != me)
			give_work(cpu, run_share, NULL);
	if (cpumask_test_cpu(me, &targets))
		run_share(NULL);
	for_each_cpu(cpu, &targets)
		if (cpu != me)
			wait_for_work(cpu);
	preempt_enable();
	__atomic_store_n(&run.active, 0, __ATOMIC_RELEASE);
}
