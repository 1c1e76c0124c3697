/*
 * Tests of the scheduler (kernel/sched.c, kernel/idle.c): round robin with
 * exact counts, placement of new threads, affinity, idle stealing, and the
 * "scheduling while atomic" check.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "kernel/wait.h"

#define YIELD_THREADS_PER_CPU 3
#define YIELD_LOOPS 100

struct yielder {
	u64 own;                       /* only this thread writes it */
	u64 *shared;                   /* every yielder adds to it, atomically */
	int *gate;                     /* if set: count in, and wait for *gate == gate_n */
	int gate_n;
};

static int yield_loop(void *arg)
{
	struct yielder *y = arg;

	if (y->gate) {
		__atomic_fetch_add(y->gate, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(y->gate, __ATOMIC_ACQUIRE) < y->gate_n)
			yield();
	}
	for (int i = 0; i < YIELD_LOOPS; i++) {
		y->own++;
		__atomic_fetch_add(y->shared, 1, __ATOMIC_RELAXED);
		yield();
	}
	return 0;
}

static u64 total_switches(void)
{
	u64 n = 0;

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		n += sched_stats(cpu).switches;
	return n;
}

/*
 * Several threads per CPU, each yielding after every step once all have
 * started: every step is counted once, and threads sharing a CPU really
 * take turns -- a yield switches whenever another thread of that CPU is
 * still running, which is at least (threads - 1) * loops times per CPU.
 */
KTEST(sched_yield_exact_counts)
{
	static struct yielder y[MAX_CPUS * YIELD_THREADS_PER_CPU];
	struct thread *threads[MAX_CPUS * YIELD_THREADS_PER_CPU];
	int n = nr_cpus * YIELD_THREADS_PER_CPU;
	u64 shared = 0, switches = total_switches();
	int gate = 0;

	for (int i = 0; i < n; i++) {          /* all made first: they start together */
		y[i] = (struct yielder){ 0, &shared, &gate, n };
		threads[i] = kthread_create("yielder", yield_loop, &y[i], i % nr_cpus);
		KT_ASSERT(threads[i] != NULL);
	}
	for (int i = 0; i < n; i++)
		wake_up_new_thread(threads[i]);
	for (int i = 0; i < n; i++) {
		KT_EXPECT_EQ(kthread_join(threads[i]), 0);
		KT_EXPECT_EQ(y[i].own, YIELD_LOOPS);
	}
	KT_EXPECT_EQ(shared, (u64)n * YIELD_LOOPS);
	u64 made = total_switches() - switches;
	KT_EXPECT(made >= (u64)nr_cpus * (YIELD_THREADS_PER_CPU - 1) * YIELD_LOOPS);
	printk("# sched_yield_exact_counts: %d threads x %d yields, %llu switches\n",
	       n, YIELD_LOOPS, (unsigned long long)made);
}

/* --- new threads spread, idle CPUs steal ---------------------------------- */

struct spinner {
	int first_cpu;                 /* where it started */
	u64 cpus_seen;                 /* atomic: bit per CPU it ran on */
	const bool *stop;              /* yield, noting CPUs, until this is set */
	int *started;                  /* atomic: spinners running so far */
};

/* Count in, then yield until told to stop, noting each CPU run on. */
static int spin_and_record(void *arg)
{
	struct spinner *s = arg;

	s->first_cpu = cpu_id();
	__atomic_fetch_add(s->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(s->stop, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_or(&s->cpus_seen, 1ull << cpu_id(), __ATOMIC_RELAXED);
		yield();
	}
	return 0;
}

/* Start n spinners (bound to cpu, or unbound for -1) and wait until all run. */
static void start_spinners(struct thread **threads, struct spinner *s, int n, int cpu,
			   const bool *stop, int *started)
{
	int goal = __atomic_load_n(started, __ATOMIC_ACQUIRE) + n;

	for (int i = 0; i < n; i++) {
		s[i] = (struct spinner){ -1, 0, stop, started };
		threads[i] = kthread_run("spinner", spin_and_record, &s[i], cpu);
	}
	while (__atomic_load_n(started, __ATOMIC_ACQUIRE) < goal)
		sleep_ns(1000000);
}

static u64 all_cpus_bits(void)
{
	return (nr_cpus == 64 ? 0 : 1ull << nr_cpus) - 1;
}

/*
 * With one busy thread bound to every CPU -- so no CPU is idle and none
 * steals -- nr_cpus new unbound threads each go to the least loaded CPU:
 * one per CPU. (This CPU, running the test, counts one more until the
 * others have caught up; then ties go to the creator's CPU.)
 */
KTEST(sched_new_threads_spread)
{
	struct thread *busy[MAX_CPUS], *fresh[MAX_CPUS];
	static struct spinner b[MAX_CPUS], f[MAX_CPUS];
	bool stop = false;
	int started = 0, fresh_started = 0;
	u64 first = 0;

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		start_spinners(&busy[cpu], &b[cpu], 1, cpu, &stop, &started);
	for (int i = 0; i < nr_cpus; i++) {
		f[i] = (struct spinner){ -1, 0, &stop, &fresh_started };
		fresh[i] = kthread_create("fresh", spin_and_record, &f[i], -1);
		KT_ASSERT(fresh[i] != NULL);
	}
	for (int i = 0; i < nr_cpus; i++)
		wake_up_new_thread(fresh[i]);
	while (__atomic_load_n(&fresh_started, __ATOMIC_ACQUIRE) < nr_cpus)
		sleep_ns(1000000);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < nr_cpus; i++) {
		kthread_join(busy[i]);
		kthread_join(fresh[i]);
		first |= 1ull << f[i].first_cpu;
	}
	KT_EXPECT_EQ(first, all_cpus_bits());
}

/* The CPUs the spinners have run on so far. */
static u64 spinners_seen(struct spinner *s, int n)
{
	u64 seen = 0;

	for (int i = 0; i < n; i++)
		seen |= __atomic_load_n(&s[i].cpus_seen, __ATOMIC_RELAXED);
	return seen;
}

/*
 * 2 * nr_cpus threads bound to one CPU, then allowed everywhere: the other
 * CPUs, idle, steal them from its queue (each at its next tick at the
 * latest), until between them the threads have run on every CPU -- a few
 * ticks normally; the test waits for it, however long a stalled CPU takes.
 */
KTEST(sched_idle_steal_spreads)
{
	struct thread *threads[2 * MAX_CPUS];
	static struct spinner s[2 * MAX_CPUS];
	int n = 2 * nr_cpus, home = nr_cpus - 1, started = 0;
	bool stop = false;
	u64 steals = 0, seen = 0;

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		steals -= sched_stats(cpu).steals;
	start_spinners(threads, s, n, home, &stop, &started);
	for (int i = 0; i < n; i++) {
		KT_EXPECT_EQ(s[i].first_cpu, home);
		KT_EXPECT_EQ(s[i].cpus_seen, 1ull << home);
	}
	for (int i = 0; i < n; i++)
		KT_EXPECT_EQ(sched_setaffinity(threads[i], &cpu_online_mask), 0);
	/* This CPU idles while the test sleeps: it steals too. */
	KT_WAIT_FOR((seen = spinners_seen(s, n)) == all_cpus_bits());
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		kthread_join(threads[i]);
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		steals += sched_stats(cpu).steals;
	KT_EXPECT(nr_cpus == 1 || steals >= (u64)nr_cpus - 1);
	printk("# sched_idle_steal_spreads: %d threads from cpu %d, %llu steals\n",
	       n, home, (unsigned long long)steals);
}

/* --- affinity -------------------------------------------------------------- */

struct pinned {
	int k, j;                      /* pinned to k, then re-pinned to j */
	int wrong_before, wrong_after; /* observations on a CPU not allowed */
	int after;                     /* observations since the re-pin */
	volatile bool pinned_done;     /* set by the thread after its observations on k */
	volatile bool repinned;        /* set by the test once j is the only CPU */
};

/*
 * Observe cpu_id() between yields: while pinned to k only k; once the test
 * has re-pinned us to j (we may be on k until our next yield), only j.
 */
static int observe_cpu(void *arg)
{
	struct pinned *p = arg;

	for (int i = 0; i < 100; i++) {
		p->wrong_before += cpu_id() != p->k;
		yield();
	}
	p->pinned_done = true;
	while (!p->repinned)
		yield();
	yield();                               /* the pass through schedule() that moves us */
	for (int i = 0; i < 100; i++) {
		p->wrong_after += cpu_id() != p->j;
		p->after++;
		yield();
	}
	cpumask_t only_k;
	cpumask_clear(&only_k);
	cpumask_set_cpu(p->k, &only_k);
	sched_setaffinity(current, &only_k);   /* on ourselves: moved when it returns */
	return cpu_id();
}

KTEST(sched_affinity_pin_and_repin)
{
	struct pinned p = { .k = nr_cpus - 1, .j = 0 };
	u64 migrations = sched_stats(p.j).migrations_in;
	cpumask_t mask;

	struct thread *th = kthread_run("pinned", observe_cpu, &p, p.k);
	struct thread *noise = kthread_run("noise", yield_loop,
					   &(struct yielder){ 0, &(u64){ 0 }, NULL, 0 }, p.k);
	/* Re-pin only after the first 100 observations: under emulation they
	 * can take longer than any fixed sleep. */
	while (!p.pinned_done)
		sleep_ns(1000000);
	cpumask_clear(&mask);
	cpumask_set_cpu(p.j, &mask);
	KT_EXPECT_EQ(sched_setaffinity(th, &mask), 0);
	sched_getaffinity(th, &mask);
	KT_EXPECT(cpumask_test_cpu(p.j, &mask) && cpumask_weight(&mask) == 1);
	p.repinned = true;
	KT_EXPECT_EQ(kthread_join(th), p.k);   /* its own re-pin took effect at once */
	kthread_join(noise);
	KT_EXPECT_EQ(p.wrong_before, 0);
	KT_EXPECT_EQ(p.after, 100);
	KT_EXPECT_EQ(p.wrong_after, 0);
	KT_EXPECT(p.j == p.k || sched_stats(p.j).migrations_in > migrations);
	cpumask_clear(&mask);
	KT_EXPECT_EQ(sched_setaffinity(current, &mask), -EINVAL);
}

/* --- scheduling while atomic ----------------------------------------------- */

static const char *volatile in_handler_reason;

static void note_reason_in_tick(void)
{
	if (!in_handler_reason)
		in_handler_reason = sched_atomic_context();
}

static void nothing(void *unused)
{
}

/*
 * schedule() panics in atomic context; sched_atomic_context() is the check
 * it makes, tested here without the panic: under a spinlock, with
 * preemption off, in an interrupt handler -- and not in plain thread
 * context. The test waits for a tick to have run the hook, and after the
 * reset for every CPU to have answered a call: handlers run with
 * interrupts off, so no tick is still inside the old hook.
 */
KTEST(sched_atomic_context_detected)
{
	static DEFINE_SPINLOCK(lock);

	KT_EXPECT(sched_atomic_context() == NULL);
	spin_lock(&lock);
	KT_EXPECT(sched_atomic_context() != NULL);
	spin_unlock(&lock);
	preempt_disable();
	KT_EXPECT(sched_atomic_context() != NULL);
	preempt_enable();
	in_handler_reason = NULL;
	WRITE_ONCE(lapic_timer_hook, note_reason_in_tick);
	KT_WAIT_FOR(in_handler_reason != NULL);
	WRITE_ONCE(lapic_timer_hook, NULL);
	on_each_cpu(nothing, NULL, true);
	KT_EXPECT(sched_atomic_context() == NULL);
}
