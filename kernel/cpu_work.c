/*
 * run_on_cpus(): run a function on several CPUs at once, in process
 * context (see smp.h).
 *
 * One kernel thread per other target CPU, bound to it; the caller runs its
 * own CPU's share itself. Every share waits at a start line until all have
 * arrived, so fn really runs everywhere at the same time. That needs each
 * target CPU to switch to its thread soon: one busy in a kernel thread that
 * never sleeps would hold everyone at the line (the kernel is not
 * preemptible). In the tests that use it the other CPUs are idle.
 */
#include "arch/x86_64/cpu.h"
#include "kernel/mutex.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/smp.h"

/* One run_on_cpus() at a time: two at once could each hold a CPU the other waits for. */
static DEFINE_MUTEX(run_on_cpus_lock);

struct cpu_run {
	smp_call_func_t fn;
	void *arg;
	int not_arrived;               /* atomic: shares not yet at the start line */
};

static void run_share(struct cpu_run *run)
{
	__atomic_fetch_sub(&run->not_arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&run->not_arrived, __ATOMIC_ACQUIRE) > 0)
		cpu_relax();
	run->fn(run->arg);
}

static int run_share_thread(void *arg)
{
	run_share(arg);
	return 0;
}

void run_on_cpus(const cpumask_t *mask, smp_call_func_t fn, void *arg)
{
	struct thread *threads[MAX_CPUS];
	struct cpu_run run = { fn, arg, 0 };
	cpumask_t targets;
	int cpu;

	if (!irqs_enabled() || sched_atomic_context())
		panic("run_on_cpus needs process context with interrupts enabled");
	mutex_lock(&run_on_cpus_lock);
	int me = cpu_id();             /* we do not sleep until our share is done */
	cpumask_and(&targets, mask, &cpu_online_mask);
	run.not_arrived = cpumask_weight(&targets);
	for_each_cpu(cpu, &targets)
		if (cpu != me)
			threads[cpu] = kthread_run("run_on_cpus", run_share_thread, &run, cpu);
	if (cpumask_test_cpu(me, &targets))
		run_share(&run);
	for_each_cpu(cpu, &targets)
		if (cpu != me)
			kthread_join(threads[cpu]);
	mutex_unlock(&run_on_cpus_lock);
}

struct two_roles {
	int cpu_a;
	void (*role_a)(void), (*role_b)(void);
};

static void play_role(void *arg)
{
	const struct two_roles *r = arg;

	if (cpu_id() == r->cpu_a)
		r->role_a();
	else
		r->role_b();
}

void run_on_two_cpus(int cpu_a, void (*role_a)(void), int cpu_b, void (*role_b)(void))
{
	struct two_roles roles = { cpu_a, role_a, role_b };
	cpumask_t both;

	if (cpu_a == cpu_b)
		panic("run_on_two_cpus: both roles on cpu %d", cpu_a);
	cpumask_clear(&both);
	cpumask_set_cpu(cpu_a, &both);
	cpumask_set_cpu(cpu_b, &both);
	run_on_cpus(&both, play_role, &roles);
}
