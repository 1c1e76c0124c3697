/*
 * r4_recheck_race - rule R4's flush, made with the PMD lock dropped, under
 * real concurrency (docs/design.md R4).
 *
 * Two pairs of threads; each pair shares one 2 MiB PTE table, each thread
 * owns one half of it. A round: write a word in each of the 256 pages of
 * the half, read them back, MADV_DONTNEED the half. Whichever of a pair
 * empties the table last reclaims it (Quiesce, R6), its gather owing that
 * PMD clear's flush; the partner's next write faults in a new table and,
 * while the flush is owed, flushes first (R4), with the PMD lock dropped.
 * Meanwhile the first thread may fault its half in again, empty it and
 * reclaim that table too: a clear of the same PMD after the partner's
 * flush, which the partner must notice when it takes the lock again and
 * flush once more (tlb_flush_before_set_pmd_retry). This is the race the
 * in-kernel test r4_flush_unlocked_then_rechecks builds by hand.
 *
 * Every word read back must be the one just written, and a page after the
 * DONTNEED must read zero. Under ptcheck a table set while a clear's flush
 * is owed is reported (R4), and the suite r4-recheck-race forbids that.
 * With --expect-retry (that suite: 4 CPUs, fault_inject=r4_relock widening
 * the window) the rounds go on until the retry counter has moved, within a
 * bound; otherwise a fixed number of rounds, and the counters are printed.
 */
#include "check.h"

#define PMD_SIZE (2UL << 20)
#define HALF (PMD_SIZE / 2)
#define PAGES_PER_HALF ((int)(HALF / PAGE_SIZE))
#define NPAIRS 2
#define NTHREADS (2 * NPAIRS)
#define ROUNDS 60                 /* without --expect-retry */
#define MAX_ROUNDS 3000           /* with it: a bound, not a window */
#define RETRIES_WANTED 8

struct worker {
	int id, cpu;
	long rounds, bad;
};

static char *range;
static bool expect_retry;
static long retry0;
static int stop;                  /* atomic: a worker saw enough, or ran out */
static struct worker workers[NTHREADS];
static struct barrier start_line = { .count = NTHREADS };

static long retries(void)
{
	return vmstat("tlb_flush_before_set_pmd_retry") - retry0;
}

/* One round of worker w in its half: write, read back, DONTNEED, read zero. */
static void one_round(struct worker *w, char *half, long round)
{
	uint64_t v = ((uint64_t)(w->id + 1) << 32) | (uint64_t)round;

	for (int p = 0; p < PAGES_PER_HALF; p++)
		*(volatile uint64_t *)(half + (size_t)p * PAGE_SIZE) = v;
	for (int p = 0; p < PAGES_PER_HALF; p++)
		w->bad += *(volatile uint64_t *)(half + (size_t)p * PAGE_SIZE) != v;
	CHECK_OK(sys_madvise(half, HALF, MADV_DONTNEED));
	w->bad += *(volatile uint64_t *)(half + (size_t)(round % PAGES_PER_HALF) * PAGE_SIZE) != 0;
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	char *half = range + (size_t)(w->id / 2) * PMD_SIZE + (size_t)(w->id % 2) * HALF;
	long max = expect_retry ? MAX_ROUNDS : ROUNDS;

	pin_to_cpu(w->cpu);
	barrier_wait(&start_line);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE) && w->rounds < max) {
		one_round(w, half, ++w->rounds);
		/* One thread watches the counter; every thread stops when told. */
		if (expect_retry && w->id == 0 && w->rounds % 8 == 0 && retries() >= RETRIES_WANTED)
			break;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	return 0;
}

int main(int argc, char **argv)
{
	static int cpus[CPU_MAX];
	struct thread *t[NTHREADS];
	int ncpus = cpu_allowed(cpus, CPU_MAX);

	expect_retry = argc > 1 && strcmp(argv[1], "--expect-retry") == 0;
	if (argc > 1 && !expect_retry)
		check_fail(__FILE__, __LINE__, "unknown argument '%s'", argv[1]);
	CHECK(ncpus >= 1);
	char *map = (char *)CHECK_OK(sys_mmap(0, (NPAIRS + 1) * PMD_SIZE, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	CHECK_OK(sys_madvise(map, (NPAIRS + 1) * PMD_SIZE, MADV_NOHUGEPAGE));
	range = (char *)(((unsigned long)map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	bool on_quiesce = vmstat("tlb_flush_before_set_pmd_retry") >= 0;
	long r4_0 = vmstat("tlb_flush_before_set_pmd");
	retry0 = vmstat("tlb_flush_before_set_pmd_retry");
	long t0 = now_ns();

	for (int i = 0; i < NTHREADS; i++) {
		workers[i] = (struct worker){ .id = i, .cpu = cpus[i % ncpus] };
		CHECK(thread_create(&t[i], worker_main, &workers[i]) > 0);
	}
	long rounds = 0, bad = 0;
	for (int i = 0; i < NTHREADS; i++) {
		CHECK_EQ(thread_join(t[i]), 0);
		rounds += workers[i].rounds;
		bad += workers[i].bad;
	}
	check_section("%d threads on %d CPUs, %ld rounds in %ld ms", NTHREADS,
		      ncpus < NTHREADS ? ncpus : NTHREADS, rounds, (now_ns() - t0) / 1000000);
	CHECK_EQ(bad, 0);                     /* every word as written, zero after DONTNEED */
	if (on_quiesce) {
		check_section("R4 flushes %ld, retries after a clear made meanwhile %ld",
			      vmstat("tlb_flush_before_set_pmd") - r4_0, retries());
		if (expect_retry)
			CHECK(retries() >= RETRIES_WANTED);
	}
	CHECK_OK(sys_munmap(map, (NPAIRS + 1) * PMD_SIZE));
	return check_pass();
}
