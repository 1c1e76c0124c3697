/*
 * tlb_flush2 - write 1 MiB, MADV_DONTNEED it, again, at 1, 2 and 4 threads
 * (will-it-scale's tlb_flush2, in threads mode: one address space).
 *
 * Each worker has its own 1 MiB. One round writes a word in each of its
 * 256 pages (256 faults) and zaps them with MADV_DONTNEED, whose TLB
 * flush must reach every other CPU running the mm: with 4 workers each
 * round sends IPIs to 3 CPUs and waits for all of them. So the figure is
 * faults plus shootdowns, and at 4 threads mostly shootdowns answered by
 * CPUs that are busy with their own rounds.
 *
 *     tlb_flush2 [threads=1,2,4] [kib=1024] [ms=1000]
 *
 * Prints BENCH tlb_flush2.tN rounds/s.
 */
#include "bench.h"

static size_t region;

static int write_dontneed_loop(struct bench_worker *w)
{
	char *p = bench_map(region);

	while (!*w->stop) {
		for (size_t off = 0; off < region; off += PAGE_SIZE)
			p[off] = 1;
		bench_ok(sys_madvise(p, region, MADV_DONTNEED), "madvise(MADV_DONTNEED)");
		w->count++;
	}
	bench_ok(sys_munmap(p, region), "munmap");
	return 0;
}

int main(int argc, char **argv)
{
	region = (size_t)bench_arg(argc, argv, "kib", 1024) << 10;
	bench_scaling(argc, argv, write_dontneed_loop, "tlb_flush2", "rounds/s");
	return 0;
}
