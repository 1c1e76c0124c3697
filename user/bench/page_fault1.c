/*
 * page_fault1 - anonymous write faults per second, at 1, 2 and 4 threads
 * (will-it-scale's page_fault1, in threads mode: one address space).
 *
 * Each worker maps its own region, writes one word in each page -- every
 * write a fault that allocates and zeroes a page and sets one PTE -- and
 * unmaps it, over and over. The workers share the mm: their faults take
 * mmap_lock for reading, allocate from the same page allocator, and the
 * munmaps flush every CPU running the mm. Their regions are far apart, so
 * they never share a PTE table or its lock.
 *
 *     page_fault1 [threads=1,2,4] [procs=1,2,4] [mib=16] [ms=1000]
 *
 * mib: each worker's region (will-it-scale uses 128 MiB; 16 MiB keeps four
 * workers inside a 512 MiB guest). Prints BENCH page_fault1.tN faults/s,
 * and with procs= (will-it-scale's processes mode, bench.h) page_fault1.pN:
 * the same loop in N processes, one mm each. pN against N times p1 is what
 * more CPUs cost when nothing but the kernel (and the host) is shared; tN
 * against pN is what sharing one mm adds: mmap_lock, the TLB shootdowns.
 */
#include "bench.h"

static size_t region;

static int fault_loop(struct bench_worker *w)
{
	while (!*w->stop) {
		char *p = bench_map(region);
		for (size_t off = 0; off < region && !*w->stop; off += PAGE_SIZE) {
			p[off] = 1;
			w->count++;
		}
		bench_ok(sys_munmap(p, region), "munmap");
	}
	return 0;
}

int main(int argc, char **argv)
{
	region = (size_t)bench_arg(argc, argv, "mib", 16) << 20;
	bench_scaling(argc, argv, fault_loop, "page_fault1", "faults/s");
	return 0;
}
