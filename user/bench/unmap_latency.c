/*
 * unmap_latency - how long MADV_DONTNEED and munmap of 1 and of 512 pages
 * take while other threads keep the address space busy on the other CPUs.
 *
 * The main thread, on the first CPU, maps and touches N pages and times
 * one call that removes them; spinners -- threads looping in user mode on
 * the other CPUs, no system calls -- keep the mm loaded there, so every
 * call must shoot down their TLBs with IPIs and wait for the answers. One
 * page is almost only that round trip; 512 pages (one whole PTE table)
 * adds the zap, the freeing and, on Quiesce, the PTE table's reclaim.
 *
 *     unmap_latency [threads=4] [iters=100]
 *
 * threads counts the main thread. Prints the median of iters calls:
 * BENCH unmap_latency.{dontneed,munmap}{1,512} ns, and after each
 * BENCH unmap_latency.<same>.ipis N IPIs/100calls: the TLB shootdown IPIs
 * all other CPUs received during the loop, per 100 calls (3 spinners that
 * are each interrupted once per call: 300).
 */
#include "bench.h"

#define MAX_ITERS 1000

static volatile int stop;
static int running;           /* spinners that are on their CPU, in the loop */

static int spin(void *arg)
{
	bench_ok(pin_to_cpu(bench_cpu((int)(long)arg)), "sched_setaffinity");
	__atomic_fetch_add(&running, 1, __ATOMIC_RELEASE);
	while (!stop)
		__asm__ volatile("pause");
	return 0;
}

static void touch(char *p, long pages)
{
	for (long i = 0; i < pages; i++)
		p[i * PAGE_SIZE] = 1;
}

/*
 * The median time of iters calls that remove `pages` touched pages, and
 * how many shootdown IPIs the other CPUs received per 100 calls.
 */
static void measure(const char *name, long pages, bool unmap, int iters)
{
	char figure[64];
	static long t[MAX_ITERS];
	size_t len = (size_t)pages * PAGE_SIZE;
	char *p = unmap ? 0 : bench_map(len);
	long ipis = tlb_ipis_received();

	for (int i = 0; i < iters; i++) {
		if (unmap)
			p = bench_map(len);
		touch(p, pages);
		long t0 = now_ns();
		if (unmap)
			bench_ok(sys_munmap(p, len), "munmap");
		else
			bench_ok(sys_madvise(p, len, MADV_DONTNEED), "madvise(MADV_DONTNEED)");
		t[i] = now_ns() - t0;
	}
	if (ipis >= 0)
		ipis = tlb_ipis_received() - ipis;
	if (!unmap)
		bench_ok(sys_munmap(p, len), "munmap");
	snprintf(figure, sizeof(figure), "unmap_latency.%s", name);
	bench_result(figure, bench_median(t, iters), "ns");
	if (ipis >= 0) {
		snprintf(figure, sizeof(figure), "unmap_latency.%s.ipis", name);
		bench_result(figure, ipis * 100 / iters, "IPIs/100calls");
	}
}

int main(int argc, char **argv)
{
	struct thread *t[BENCH_MAX_THREADS];
	int threads = (int)bench_arg(argc, argv, "threads", 4);
	int iters = (int)bench_arg(argc, argv, "iters", 100);

	if (threads < 1 || threads > BENCH_MAX_THREADS || iters < 1 || iters > MAX_ITERS)
		bench_ok(-22, "arguments");
	bench_ok(pin_to_cpu(bench_cpu(0)), "sched_setaffinity");
	for (int i = 1; i < threads; i++)
		bench_ok(thread_create(&t[i], spin, (void *)(long)i), "clone");
	/*
	 * Measure only once every spinner runs on its CPU. A first version did
	 * not wait: on Linux the new threads often had not run yet during the
	 * 1-page loop, so it sent no IPI at all and looked 100 times faster
	 * (the .ipis figure showed 0 IPIs/100calls).
	 */
	while (__atomic_load_n(&running, __ATOMIC_ACQUIRE) < threads - 1)
		__asm__ volatile("pause");
	measure("dontneed1", 1, false, iters);
	measure("dontneed512", 512, false, iters);
	measure("munmap1", 1, true, iters);
	measure("munmap512", 512, true, iters);
	stop = 1;
	for (int i = 1; i < threads; i++)
		thread_join(t[i]);
	return 0;
}
