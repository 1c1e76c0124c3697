/*
 * rcu_gp - RCU grace-period latency as user space can see it:
 * membarrier(MEMBARRIER_CMD_GLOBAL), which on Linux and on Quiesce is
 * synchronize_rcu(), waits for one whole grace period.
 *
 * A grace period ends once every CPU has passed a quiescent state (a
 * context switch, a return to user mode, the idle loop); this is the wait
 * a freed page table serves before its page is reused (rule R1). The
 * other CPUs are idle, or with spin=1 run threads looping in user mode,
 * which pass quiescent states only when their tick interrupts them.
 *
 *     rcu_gp [iters=20] [spin=0]
 *
 * Prints BENCH rcu_gp.membarrier[_spin] ns (median).
 */
#include "bench.h"
#include "syscall.h"

#define NR_membarrier 324
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1
#define MAX_ITERS 200

static volatile int stop;

static int spin(void *arg)
{
	bench_ok(pin_to_cpu(bench_cpu((int)(long)arg)), "sched_setaffinity");
	while (!stop)
		__asm__ volatile("pause");
	return 0;
}

int main(int argc, char **argv)
{
	static long t[MAX_ITERS];
	static int cpus[CPU_MAX];
	struct thread *th[BENCH_MAX_THREADS];
	int iters = (int)bench_arg(argc, argv, "iters", 20);
	int spinners = bench_arg(argc, argv, "spin", 0) ? cpu_allowed(cpus, CPU_MAX) - 1 : 0;

	if (iters < 1 || iters > MAX_ITERS || spinners >= BENCH_MAX_THREADS)
		bench_ok(-22, "arguments");
	long cmds = bench_ok(syscall2(NR_membarrier, MEMBARRIER_CMD_QUERY, 0), "membarrier(QUERY)");
	if (!(cmds & MEMBARRIER_CMD_GLOBAL))
		bench_ok(-38, "membarrier(GLOBAL) not offered");
	bench_ok(pin_to_cpu(bench_cpu(0)), "sched_setaffinity");
	for (int i = 1; i <= spinners; i++)
		bench_ok(thread_create(&th[i], spin, (void *)(long)i), "clone");
	for (int i = 0; i < iters; i++) {
		long t0 = now_ns();
		bench_ok(syscall2(NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0), "membarrier(GLOBAL)");
		t[i] = now_ns() - t0;
	}
	stop = 1;
	for (int i = 1; i <= spinners; i++)
		thread_join(th[i]);
	bench_result(spinners ? "rcu_gp.membarrier_spin" : "rcu_gp.membarrier",
		     bench_median(t, iters), "ns");
	return 0;
}
