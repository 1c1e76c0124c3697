/*
 * reclaim - the reclaim headline: touch 2 MiB, MADV_DONTNEED it, move on.
 *
 * A region (2 MiB aligned, 4 KiB pages) is walked in 2 MiB steps; each
 * step writes every page of one PTE table's worth of memory and then zaps
 * it. Without reclaim of empty PTE tables each step leaves one empty PTE
 * table behind, so VmPTE (the page tables' size in /proc/self/status)
 * grows by 4 kB per step and stays there; with it (Quiesce's ptreclaim=on,
 * mm/pt_reclaim.c) the zap frees the table and VmPTE stays flat. The rate
 * shows what reclaiming costs: the table is freed and made again each step.
 *
 *     reclaim [mib=256]
 *
 * Prints BENCH reclaim.steps steps/s (VmPTE reads are outside the timing)
 * and reclaim.vmpte_{start,peak,end} kB.
 */
#include "bench.h"

#define STEP (2UL << 20)

int main(int argc, char **argv)
{
	size_t len = (size_t)bench_arg(argc, argv, "mib", 256) << 20;
	len = (len + STEP - 1) & ~(STEP - 1);
	char *map = bench_map(len + STEP);
	char *p = (char *)(((unsigned long)map + STEP - 1) & ~(STEP - 1));
	long start = proc_status_kb("VmPTE"), peak = start, busy = 0;

	for (size_t step = 0; step < len; step += STEP) {
		long t0 = now_ns();
		for (size_t off = 0; off < STEP; off += PAGE_SIZE)
			p[step + off] = 1;
		bench_ok(sys_madvise(p + step, STEP, MADV_DONTNEED), "madvise(MADV_DONTNEED)");
		busy += now_ns() - t0;
		long kb = proc_status_kb("VmPTE");
		if (kb > peak)
			peak = kb;
	}
	long end = proc_status_kb("VmPTE");
	bench_result("reclaim.steps", per_second((long)(len / STEP), busy), "steps/s");
	bench_result("reclaim.vmpte_start", start, "kB");
	bench_result("reclaim.vmpte_peak", peak, "kB");
	bench_result("reclaim.vmpte_end", end, "kB");
	bench_ok(sys_munmap(map, len + STEP), "munmap");
	return 0;
}
