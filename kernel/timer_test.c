/*
 * Tests of timers and sleeping (kernel/timer.c). Emulated CPUs run at
 * uneven speed, so a test asserts only what must hold whatever the speed --
 * never less than the time asked, every timer runs once -- and prints the
 * figures for people to read.
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/timer.h"

KTEST(timer_sleep_ns_at_least)
{
	static const u64 asks_us[] = { 1, 1000, 15000, 40000 };

	for (unsigned i = 0; i < ARRAY_SIZE(asks_us); i++) {
		u64 t0 = ktime_ns();
		sleep_ns(asks_us[i] * 1000);
		u64 slept = ktime_ns() - t0;
		KT_EXPECT(slept >= asks_us[i] * 1000);
		printk("# timer_sleep_ns_at_least: asked %llu us, slept %llu us\n",
		       (unsigned long long)asks_us[i], (unsigned long long)slept / 1000);
	}
}

struct sleeper_result {
	u64 ask_ns, slept_ns;
	int cpu;
};

static int sleep_on_cpu(void *arg)
{
	struct sleeper_result *r = arg;
	u64 t0 = ktime_ns();

	sleep_ns(r->ask_ns);
	r->slept_ns = ktime_ns() - t0;
	r->cpu = cpu_id();
	return 0;
}

/* Threads sleeping at once on every CPU all wake, none early, on their CPU. */
KTEST(timer_sleepers_every_cpu)
{
	static struct sleeper_result r[MAX_CPUS * 2];
	struct thread *th[MAX_CPUS * 2];
	int n = 2 * nr_cpus;
	u64 run_before = 0, run_after = 0;

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		run_before += timers_run(cpu);
	for (int i = 0; i < n; i++) {
		r[i] = (struct sleeper_result){ .ask_ns = (5 + 7 * i % 20) * 1000000ull, .cpu = -1 };
		th[i] = kthread_run("sleeper", sleep_on_cpu, &r[i], i % nr_cpus);
	}
	for (int i = 0; i < n; i++) {
		kthread_join(th[i]);
		KT_EXPECT(r[i].slept_ns >= r[i].ask_ns);
		KT_EXPECT_EQ(r[i].cpu, i % nr_cpus);
	}
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		run_after += timers_run(cpu);
	KT_EXPECT(run_after - run_before >= (u64)n);
}

static int fired;

static void count_fire(struct timer_list *timer)
{
	__atomic_fetch_add(&fired, 1, __ATOMIC_RELAXED);
}

/*
 * del_timer_sync: a pending timer is taken out and never runs; a run one is
 * not pending. b is due at once and is waited for; a is due in 200 ms,
 * taken out long before unless this CPU stalled that long -- then a ran
 * already and the test says so. After a's time has passed, a sleep whose
 * own timer is due later (timers of one CPU run in expiry order) proves
 * the tick went past a's slot: had a stayed in, it would have run.
 */
KTEST(timer_del_sync)
{
	struct timer_list a, b;

	fired = 0;
	timer_setup(&a, count_fire);
	timer_setup(&b, count_fire);
	a.expires = ktime_ns() + 200000000ull;
	b.expires = ktime_ns();
	add_timer(&a);
	add_timer(&b);
	KT_WAIT_FOR(__atomic_load_n(&fired, __ATOMIC_RELAXED) >= 1);   /* b */
	bool a_pending = del_timer_sync(&a);
	KT_EXPECT(!del_timer_sync(&b));
	if (!a_pending && __atomic_load_n(&fired, __ATOMIC_RELAXED) == 2)
		KT_SKIP("the CPU stalled past a's expiry before del_timer_sync");
	KT_EXPECT(a_pending);
	u64 now = ktime_ns();
	if (now < a.expires)
		sleep_ns(a.expires - now);
	sleep_ns(1);                            /* a timer due after a's: the tick passed a */
	KT_EXPECT_EQ(__atomic_load_n(&fired, __ATOMIC_RELAXED), 1);
}
