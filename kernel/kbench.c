/*
 * In-kernel benchmarks (see kbench.h).
 *
 *   rcu   rcu.sync_gp: the median time synchronize_rcu() waits, on an
 *         otherwise idle machine: how long a page table unhooked now waits
 *         before its page may be reused (rule R1, step 3).
 *         rcu.call_rcu: callbacks per second from queueing to invocation,
 *         when every CPU queues a batch at once (an IPI to each, so all
 *         queue in parallel) and rcu_barrier() waits for the last one:
 *         the rate at which deferred page-table frees can drain.
 */
#include "kernel/kbench.h"
#include "kernel/bootopt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/rcu.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "mm/page_alloc.h"

static const char *kbench_glob;
BOOT_OPTION_STR("kbench", kbench_glob, "GLOB: run the in-kernel benchmarks whose name "
		"matches (rcu) before init, printing BENCH lines");

#define GP_SAMPLES 20
#define CB_ORDER 5                      /* 32 pages of rcu_heads per CPU */
#define CB_PER_CPU ((PAGE_SIZE << CB_ORDER) / sizeof(struct rcu_head))

static void bench_result(const char *name, u64 value, const char *unit)
{
	printk("BENCH %s %llu %s\n", name, (unsigned long long)value, unit);
}

static u64 median(u64 *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			u64 x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return v[n / 2];
}

static void bench_sync_gp(void)
{
	u64 t[GP_SAMPLES];

	for (int i = 0; i < GP_SAMPLES; i++) {
		u64 start = ktime_ns();
		synchronize_rcu();
		t[i] = ktime_ns() - start;
	}
	bench_result("rcu.sync_gp", median(t, GP_SAMPLES), "ns");
}

static struct rcu_head *cb_heads[MAX_CPUS];
static unsigned long cb_invoked;

static void count_cb(struct rcu_head *head)
{
	__atomic_fetch_add(&cb_invoked, 1, __ATOMIC_RELAXED);
}

/* On each CPU, interrupts off (a cross-CPU call): queue the whole batch. */
static void queue_batch(void *unused)
{
	struct rcu_head *heads = cb_heads[cpu_id()];

	for (unsigned long i = 0; i < CB_PER_CPU; i++)
		call_rcu(&heads[i], count_cb);
}

static void bench_call_rcu(void)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct page *page = alloc_pages(CB_ORDER);
		if (!page) {
			printk("kbench: rcu.call_rcu: out of memory\n");
			goto out;
		}
		cb_heads[cpu] = page_address(page);
	}
	cb_invoked = 0;
	u64 start = ktime_ns();
	on_each_cpu(queue_batch, NULL, true);
	rcu_barrier();
	u64 ns = ktime_ns() - start;
	if (cb_invoked != CB_PER_CPU * nr_cpus)
		printk("kbench: rcu.call_rcu: %lu callbacks of %lu ran\n", cb_invoked,
		       CB_PER_CPU * nr_cpus);
	bench_result("rcu.call_rcu", cb_invoked * 1000000000ull / (ns ? ns : 1), "callbacks/s");
out:
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		if (cb_heads[cpu])
			free_pages((unsigned long)cb_heads[cpu], CB_ORDER);
}

void kbench_run(void)
{
	if (!kbench_glob)
		return;
	if (glob_match(kbench_glob, "rcu")) {
		bench_sync_gp();
		bench_call_rcu();
	}
}
