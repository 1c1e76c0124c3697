/* Tests of cross-CPU calls (kernel/smp_call.c): who runs, when, how often. */
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"

/* Where and how a called function ran. */
struct call_record {
	int cpu;
	bool irqs_on;
	int runs;
};

static void record_call(void *arg)
{
	struct call_record *r = arg;

	r->cpu = cpu_id();
	r->irqs_on = irqs_enabled();
	__atomic_fetch_add(&r->runs, 1, __ATOMIC_RELAXED);
}

static void set_my_bit(void *arg)
{
	__atomic_fetch_or((u64 *)arg, 1ull << cpu_id(), __ATOMIC_RELAXED);
}

/* Sum of one counter over all online CPUs. */
#define SUM_STATS(field) ({                                                   \
	u64 __sum = 0;                                                        \
	for (int __c = 0; __c < nr_cpus; __c++)                               \
		__sum += smp_call_stats(__c).field;                           \
	__sum; })

KTEST(smp_call_single)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct call_record r = { .cpu = -1 };
		KT_ASSERT_EQ(smp_call_function_single(cpu, record_call, &r, true), 0);
		KT_EXPECT_EQ(r.cpu, cpu);
		KT_EXPECT_EQ(r.runs, 1);
		KT_EXPECT(!r.irqs_on);               /* called functions run with interrupts off */
	}
	if (nr_cpus < MAX_CPUS) {
		struct call_record r = { .cpu = -1 };
		KT_EXPECT_EQ(smp_call_function_single(nr_cpus, record_call, &r, true), -ENODEV);
		KT_EXPECT_EQ(r.runs, 0);
	}
	KT_EXPECT(irqs_enabled());
}

KTEST(smp_call_many)
{
	u64 all = nr_cpus == 64 ? ~0ull : (1ull << nr_cpus) - 1, ran = 0;
	struct smp_call_stats before = smp_call_stats(cpu_id());

	smp_call_function_many(&cpu_online_mask, set_my_bit, &ran, true);
	KT_EXPECT_EQ(ran, all & ~(1ull << cpu_id()));   /* everyone but the caller */
	struct smp_call_stats after = smp_call_stats(cpu_id());
	KT_EXPECT_EQ(after.calls_sent - before.calls_sent, nr_cpus - 1);
	KT_EXPECT_EQ(after.ipis_sent - before.ipis_sent, nr_cpus - 1);   /* one per target */

	ran = 0;
	on_each_cpu(set_my_bit, &ran, true);
	KT_EXPECT_EQ(ran, all);

	if (nr_cpus > 2) {                       /* a mask of one other CPU */
		cpumask_t one = { 0 };
		cpumask_set_cpu(2, &one);
		ran = 0;
		smp_call_function_many(&one, set_my_bit, &ran, true);
		KT_EXPECT_EQ(ran, 1ull << 2);
	}
}

/*
 * A called function that stays busy for 20 ms before it says it is done:
 * a caller that did not wait would find done still 0. (The delay only
 * widens that window; the check cannot fail on a slow CPU.)
 */
static void slow_call(void *arg)
{
	mdelay(20);
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

/*
 * A waiting caller that is not answered within smp_call_spin_us halts, and
 * the target's answer wakes it with an IPI (smp_call.c, halt_for_answer).
 * The called function returns only once it sees the caller's halted flag,
 * so the wake-up is owed. Two things can spoil a round without anything
 * being wrong: the host may stop the caller's virtual CPU between raising
 * its flag and its last look at busy, so that the answer comes before it
 * halts (the wake IPI then arrives with the CPU awake: no halt counted);
 * or a timer tick may end the hlt just before the answer and the caller
 * see it on its own. So a round counts if the caller halted and was woken
 * by the IPI, and one of 10 rounds must. With the wake-up removed the
 * caller still returns, a tick late each time, and no round ever counts.
 */
/* This CPU's halts waiting for an answer (others' do not count here). */
static u64 my_halts(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&vm_events, cpu)->event[SMP_CALL_WAIT_HALTS]);
}

static void answer_when_caller_halted(void *arg)
{
	int caller = *(int *)arg;
	u64 since = 0;

	while (!smp_call_waiter_halted(caller) && !ktest_hung(&since))
		cpu_relax();
}

KTEST(smp_call_halted_waiter_is_woken)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	int me = cpu_id(), target = me == 1 ? 0 : 1, round;
	bool woken_from_halt = false;

	for (round = 0; round < 10 && !woken_from_halt; round++) {
		struct smp_call_stats before = smp_call_stats(me);
		u64 halts = my_halts(me);
		KT_ASSERT_EQ(smp_call_function_single(target, answer_when_caller_halted, &me, true), 0);
		woken_from_halt = my_halts(me) > halts &&
				  smp_call_stats(me).wakes_received > before.wakes_received;
	}
	KT_EXPECT(woken_from_halt);
	KT_EXPECT(!smp_call_waiter_halted(me));
	if (woken_from_halt)
		printk("# smp_call_halted_waiter_is_woken: woken from a halt in round %d\n", round);
}

/*
 * Wait until the caller opens the gate. Records 1 if it did, -1 if it
 * never did: the caller must be stuck inside its own async call. The bound
 * is the hang bound, not a guess at how long the caller takes.
 */
struct gate { int open, result; };

static void wait_for_gate(void *arg)
{
	struct gate *g = arg;
	u64 since = 0;

	while (!__atomic_load_n(&g->open, __ATOMIC_ACQUIRE) && !ktest_hung(&since))
		cpu_relax();
	__atomic_store_n(&g->result, g->open ? 1 : -1, __ATOMIC_RELEASE);
}

KTEST(smp_call_wait)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	int done = 0;
	KT_ASSERT_EQ(smp_call_function_single(1, slow_call, &done, true), 0);
	KT_EXPECT_EQ(__atomic_load_n(&done, __ATOMIC_ACQUIRE), 1);   /* wait: already ran */

	static struct gate g;                    /* outlives the call: it is async */
	g = (struct gate){ 0, 0 };
	KT_ASSERT_EQ(smp_call_function_single(1, wait_for_gate, &g, false), 0);
	__atomic_store_n(&g.open, 1, __ATOMIC_RELEASE);      /* we got here: no waiting */
	KT_WAIT_FOR(__atomic_load_n(&g.result, __ATOMIC_ACQUIRE) != 0);
	KT_EXPECT_EQ(g.result, 1);
}

/*
 * Async calls back to back reuse the same slot; every one must run exactly
 * once, on its target. Each call carries its own record, so only the calls
 * this test made are counted -- a global counter would also count cross-CPU
 * calls that others make meanwhile (TLB shootdowns, RCU, the scheduler).
 */
#define ASYNC_ROUNDS 200

struct async_record {
	u8 runs[MAX_CPUS];                       /* runs[cpu]: times it ran there */
};
static struct async_record async_rec[ASYNC_ROUNDS];
static int async_runs;                          /* atomic: all runs of all records */

static void count_async(void *arg)
{
	struct async_record *r = arg;

	__atomic_fetch_add(&r->runs[cpu_id()], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&async_runs, 1, __ATOMIC_RELEASE);
}

static void nothing(void *unused)
{
}

KTEST(smp_call_async)
{
	int want = ASYNC_ROUNDS * (nr_cpus - 1), me = cpu_id(), wrong = 0;

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	memset(async_rec, 0, sizeof(async_rec));
	async_runs = 0;
	for (int i = 0; i < ASYNC_ROUNDS; i++)
		smp_call_function_many(&cpu_online_mask, count_async, &async_rec[i], false);
	KT_WAIT_FOR(__atomic_load_n(&async_runs, __ATOMIC_ACQUIRE) >= want);
	/*
	 * A waiting call to each CPU goes into the same slot as our async ones,
	 * so it is queued only after the last of them ran: once it returns, a
	 * call that ran twice would show.
	 */
	smp_call_function_many(&cpu_online_mask, nothing, NULL, true);
	for (int i = 0; i < ASYNC_ROUNDS; i++)
		for (int cpu = 0; cpu < nr_cpus; cpu++)
			wrong += async_rec[i].runs[cpu] != (cpu != me);
	KT_EXPECT_EQ(async_runs, want);
	KT_EXPECT_EQ(wrong, 0);
}

/*
 * The storm: every CPU calls every other CPU, all at once, waiting each
 * time: per round one single call to each, then one call to all. Each CPU
 * makes at least STORM_MIN_ROUNDS, then stops after STORM_ROUNDS rounds or
 * STORM_MS, whichever comes first (emulated CPUs on a busy host are slow);
 * the counts are exact either way.
 */
#define STORM_MIN_ROUNDS 5
#define STORM_ROUNDS 1000
#define STORM_MS     2000

static DEFINE_PER_CPU(u64, storm_hits);   /* written only by its CPU, interrupts off */
static DEFINE_PER_CPU(u64, storm_rounds); /* rounds this CPU made */

static void storm_hit(void *arg)
{
	(*this_cpu_ptr(&storm_hits))++;
}

static void storm(void *arg)
{
	u64 end = ktime_ns() + STORM_MS * 1000000ull, round;
	int me = cpu_id();

	for (round = 0; round < STORM_MIN_ROUNDS ||
		       (round < STORM_ROUNDS && ktime_ns() < end); round++) {
		for (int cpu = 0; cpu < nr_cpus; cpu++)
			if (cpu != me)
				smp_call_function_single(cpu, storm_hit, NULL, true);
		smp_call_function_many(&cpu_online_mask, storm_hit, NULL, true);
	}
	*this_cpu_ptr(&storm_rounds) = round;
}

KTEST(smp_call_storm)
{
	struct smp_call_stats before[MAX_CPUS];
	u64 all_rounds = 0, received = 0, sent = 0;

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		before[cpu] = smp_call_stats(cpu);
		per_cpu(storm_hits, cpu) = 0;
	}
	run_on_cpus(&cpu_online_mask, storm, NULL);
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		all_rounds += per_cpu(storm_rounds, cpu);
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct smp_call_stats s = smp_call_stats(cpu);
		u64 rounds = per_cpu(storm_rounds, cpu);
		u64 made = 2 * rounds * (nr_cpus - 1);
		KT_EXPECT(rounds >= 1);
		/* Every other CPU called this one twice per round it made. */
		KT_EXPECT_EQ(per_cpu(storm_hits, cpu), 2 * (all_rounds - rounds));
		KT_EXPECT_EQ(s.calls_run - before[cpu].calls_run, 2 * (all_rounds - rounds));
		KT_EXPECT_EQ(s.calls_sent - before[cpu].calls_sent, made);
		KT_EXPECT_EQ(s.ipis_sent - before[cpu].ipis_sent, made);
		received += s.ipis_received - before[cpu].ipis_received;
		sent += s.ipis_sent - before[cpu].ipis_sent;
	}
	/* IPIs to a CPU that already has one pending merge, so received <= sent. */
	KT_EXPECT(received <= sent);
	KT_EXPECT(nr_cpus == 1 || received > 0);
	printk("# smp_call_storm: %d CPUs, %llu rounds, %llu calls and IPIs sent, "
	       "%llu IPIs received\n", nr_cpus, (unsigned long long)all_rounds,
	       (unsigned long long)sent, (unsigned long long)received);
}
