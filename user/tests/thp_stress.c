/*
 * thp_stress - faults, MADV_COLLAPSE and MADV_DONTNEED on one range at
 * once, on every CPU, and no thread ever sees another's data or garbage.
 *
 * A 16 MiB range of eight 2 MiB blocks (the first four MADV_HUGEPAGE, so
 * their faults map huge pages, the others small pages, the last one
 * MADV_NOHUGEPAGE, so that it keeps a PTE table for DONTNEED to empty and
 * reclaim) is shared by:
 *
 *   writers (2)    each owns every other page. It writes a whole page with
 *                  a pattern naming writer, page, sequence number and word,
 *                  then reads it back; or it re-reads a page it wrote
 *                  earlier. Every word must be its own pattern or zero.
 *   collapser      MADV_COLLAPSE of a random block, again and again. Only 0,
 *                  EAGAIN (the block changed while copied), EINVAL (nothing
 *                  mapped there just now) and ENOMEM may come back.
 *   zapper         MADV_DONTNEED of a random block, or of 64 kB of it, and
 *                  every 4th time of the whole last block, after every 32
 *                  writes. Around each call it bumps the block's generation
 *                  (odd while the call runs).
 *
 * Zeroes are the only thing a DONTNEED may leave, and only where one ran: a
 * writer that saw the generation of its block even and unchanged across
 * its write and read-back must read its pattern in every word ("strict");
 * otherwise each word may also be 0 (a DONTNEED in the middle of the
 * write leaves zeroes, then the rest of the pattern), and a page re-read
 * after a strict write must be all pattern or all zero. A collapse that lost a write, a split or zap that
 * mapped the wrong page, a freed table walked: each shows up here.
 *
 * It runs until the zapper made ZAPS calls and the writers WRITES writes,
 * and COLLAPSES blocks were collapsed for real (not found huge already):
 * PTE tables retracted (thp_collapse_retract) on Quiesce, huge pages
 * allocated for collapses (thp_collapse_alloc) on Linux; on Quiesce also
 * until an empty table was reclaimed by a DONTNEED (pt_reclaim_fast/slow),
 * so both ways a PTE table leaves under mmap_lock held for reading ran. With the
 * argument "race" (suite thp-stress, booted with fault injection), also
 * until a walker was held inside a table while a collapse took it
 * (fault_inject_collapse_walker_hold_events), had to retry its locked walk
 * (pte_map_retry: R3), and a retracted table waited in the injected
 * delay before pte_free_defer (fault_inject_collapse_free_delay_hits); and
 * ptcheck found nothing (ptcheck_violations).
 */
#include "check.h"

#define BLOCKS 8
#define HUGE_BLOCKS 4                    /* MADV_HUGEPAGE on blocks 0..3 */
#define BLK (2UL << 20)
#define PAGE 4096UL
#define WORDS (PAGE / sizeof(unsigned long))
#define NPAGES (BLOCKS * (BLK / PAGE))
#define WRITERS 2
#define COLLAPSES 3
#define ZAPS 12
#define WRITES 2000
#define DEADLINE_S 100

static char *region;
static int gen[BLOCKS];                   /* DONTNEED generation: odd while one runs */
static unsigned long seqs[NPAGES];        /* owner only: last sequence written (0: never) */
static int gen_at[NPAGES];                /* owner only: block generation proven after it, or -1 */
static int stop;
static long writes, strict, collapsed, busy, empty, zaps;

static unsigned long rnd(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Never 0, and different for every writer, page, sequence and word. */
static unsigned long pattern(int w, unsigned long page, unsigned long seq, unsigned long i)
{
	return ((w + 1) * 0x9e3779b97f4a7c15UL ^ page * 0xbf58476d1ce4e5b9UL ^
		seq * 0x94d049bb133111ebUL ^ i * 0x2545f4914f6cdd1dUL) | 1;
}

static unsigned long *page_at(unsigned long page)
{
	return (unsigned long *)(region + page * PAGE);
}

static int load_gen(int b) { return __atomic_load_n(&gen[b], __ATOMIC_SEQ_CST); }

/* Count the words of page that hold seq's pattern and that are zero; fail on anything else. */
static void scan_page(int w, unsigned long page, unsigned long seq, long *pat, long *zero)
{
	volatile unsigned long *p = page_at(page);

	*pat = *zero = 0;
	for (unsigned long i = 0; i < WORDS; i++) {
		unsigned long v = p[i];
		if (seq && v == pattern(w, page, seq, i))
			(*pat)++;
		else if (v == 0)
			(*zero)++;
		else
			check_fail(__FILE__, __LINE__, "writer %d page %lu word %lu: 0x%lx is neither "
				   "its pattern (seq %lu) nor zero", w, page, i, v, seq);
	}
}

static void write_page(int w, unsigned long page)
{
	int b = (int)(page / (BLK / PAGE)), g0 = load_gen(b);
	unsigned long seq = ++seqs[page];
	unsigned long *p = page_at(page);
	long pat, zero;

	for (unsigned long i = 0; i < WORDS; i++)
		p[i] = pattern(w, page, seq, i);
	scan_page(w, page, seq, &pat, &zero);
	int g1 = load_gen(b);
	bool quiet = g0 == g1 && !(g0 & 1);  /* no DONTNEED of the block came near */
	if (quiet && pat != (long)WORDS)
		check_fail(__FILE__, __LINE__, "writer %d page %lu: %ld words zero with no DONTNEED",
			   w, page, zero);
	gen_at[page] = quiet ? g1 : -1;
	__atomic_fetch_add(&strict, quiet, __ATOMIC_RELAXED);
	__atomic_fetch_add(&writes, 1, __ATOMIC_RELAXED);
}

static void reread_page(int w, unsigned long page)
{
	int b = (int)(page / (BLK / PAGE)), g0 = load_gen(b);
	long pat, zero;

	scan_page(w, page, seqs[page], &pat, &zero);
	int g1 = load_gen(b);
	if (g0 == g1 && g0 == gen_at[page] && pat != (long)WORDS)
		check_fail(__FILE__, __LINE__, "writer %d page %lu: lost its data, no DONTNEED since",
			   w, page);
	/* A DONTNEED takes whole pages: a page last written whole stays whole or goes. */
	if (gen_at[page] >= 0 && pat && zero)
		check_fail(__FILE__, __LINE__, "writer %d page %lu: %ld words its own, %ld zero",
			   w, page, pat, zero);
	if (!seqs[page] && zero != (long)WORDS)
		check_fail(__FILE__, __LINE__, "page %lu never written but not zero", page);
}

static int writer(void *arg)
{
	int w = (int)(long)arg;
	unsigned long s = 0x1234567UL * (w + 1);

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned long page = (rnd(&s) % (NPAGES / WRITERS)) * WRITERS + w;
		if (rnd(&s) % 4 == 0)
			reread_page(w, page);
		else
			write_page(w, page);
	}
	return 0;
}

static int collapser(void *arg __attribute__((unused)))
{
	unsigned long s = 0xabcdefUL;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		long r = sys_madvise(region + rnd(&s) % BLOCKS * BLK, BLK, MADV_COLLAPSE);
		if (r == 0)
			__atomic_fetch_add(&collapsed, 1, __ATOMIC_RELAXED);
		else if (r == -EAGAIN || r == -ENOMEM)
			__atomic_fetch_add(&busy, 1, __ATOMIC_RELAXED);
		else if (r == -EINVAL)
			__atomic_fetch_add(&empty, 1, __ATOMIC_RELAXED);
		else
			check_fail(__FILE__, __LINE__, "MADV_COLLAPSE: %ld %s", r, errno_name(r));
	}
	return 0;
}

static int zapper(void *arg __attribute__((unused)))
{
	unsigned long s = 0x7654321UL;

	for (long n = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); n++) {
		long w0 = __atomic_load_n(&writes, __ATOMIC_RELAXED);
		while (__atomic_load_n(&writes, __ATOMIC_RELAXED) < w0 + 32 &&
		       !__atomic_load_n(&stop, __ATOMIC_RELAXED))
			sys_sched_yield();        /* paced by the writers' progress, not by time */
		/* Every 4th: the whole small-page block, whose table the zap then empties. */
		int b = n % 4 == 0 ? BLOCKS - 1 : (int)(rnd(&s) % BLOCKS);
		unsigned long off = n % 4 == 0 || rnd(&s) % 2 ? 0 :
				    rnd(&s) % (BLK / (64 * 1024)) * 64 * 1024;
		unsigned long len = off ? 64 * 1024 : BLK;
		__atomic_fetch_add(&gen[b], 1, __ATOMIC_SEQ_CST);
		CHECK_OK(sys_madvise(region + b * BLK + off, len, MADV_DONTNEED));
		__atomic_fetch_add(&gen[b], 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&zaps, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/* The /proc/vmstat counters a run must see move (-1 where the kernel has none). */
struct counters { long alloc, retract, reclaim, retry, held, delayed, violations; };

static struct counters read_counters(void)
{
	long fast = vmstat("pt_reclaim_fast"), slow = vmstat("pt_reclaim_slow");

	return (struct counters){
		.alloc = vmstat("thp_collapse_alloc"),
		.retract = vmstat("thp_collapse_retract"),
		.reclaim = fast < 0 ? -1 : fast + slow,
		.retry = vmstat("pte_map_retry"),
		.held = vmstat("fault_inject_collapse_walker_hold_events"),
		.delayed = vmstat("fault_inject_collapse_free_delay_hits"),
		.violations = vmstat("ptcheck_violations"),
	};
}

/* Has the run shown everything it must? Counters the kernel lacks (-1) do not count. */
static bool done(const struct counters *c0, bool race)
{
	struct counters c = read_counters();
	bool quiesce = c.retract >= 0;

	if (zaps < ZAPS || writes < WRITES)
		return false;
	/* Real collapses, not "already huge": Quiesce counts them, Linux their allocations. */
	if ((quiesce ? c.retract - c0->retract : c.alloc - c0->alloc) < COLLAPSES)
		return false;
	if (quiesce && c.reclaim == c0->reclaim)
		return false;
	return !race || (c.retry > c0->retry && c.held > c0->held && c.delayed > c0->delayed);
}

int main(int argc, char **argv)
{
	static int cpus[CPU_MAX];
	int (*fn[])(void *) = { writer, writer, collapser, zapper };
	struct thread *t[4];
	bool race = argc > 1 && !strcmp(argv[1], "race");
	int n = cpu_allowed(cpus, CPU_MAX);

	char *map = (char *)CHECK_OK(sys_mmap(0, (BLOCKS + 1) * BLK, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	region = (char *)(((unsigned long)map + BLK - 1) & ~(BLK - 1));
	CHECK_OK(sys_madvise(region, HUGE_BLOCKS * BLK, MADV_HUGEPAGE));
	CHECK_OK(sys_madvise(region + (BLOCKS - 1) * BLK, BLK, MADV_NOHUGEPAGE));
	region[(BLOCKS - 1) * BLK - 1] = 0;   /* a page written: MADV_COLLAPSE may work anywhere */
	for (unsigned long p = 0; p < NPAGES; p++)
		gen_at[p] = -1;
	struct counters c0 = read_counters();
	const char *thp = thp_enabled();
	check_section("THP %s; %d CPUs; %s", thp ? thp : "not in this kernel", n,
		      race ? "race mode" : "plain");
	if (!thp) {
		check_section("no THP: MADV_COLLAPSE is unknown, nothing to race with");
		CHECK_ERRNO(sys_madvise(region, BLK, MADV_COLLAPSE), EINVAL);
		return check_pass();
	}

	for (int i = 0; i < 4; i++) {
		CHECK_OK(thread_create(&t[i], fn[i], (void *)(long)(i < WRITERS ? i : 0)));
	}
	long start = now_ns();
	while (!done(&c0, race)) {
		if (now_ns() - start > DEADLINE_S * 1000000000L)
			break;                    /* reported below: the goals were not reached */
		sleep_ms(20);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(thread_join(t[i]), 0);

	struct counters c = read_counters();
	check_section("%ld writes (%ld strict), %ld collapses (%ld busy, %ld empty), %ld DONTNEEDs",
		      writes, strict, collapsed, busy, empty, zaps);
	check_section("collapse allocations %ld, tables retracted %ld, reclaimed %ld, locked walks "
		      "retried %ld, walkers held %ld, frees delayed %ld", c.alloc - c0.alloc,
		      c.retract - c0.retract, c.reclaim - c0.reclaim,
		      c.retry - c0.retry, c.held - c0.held, c.delayed - c0.delayed);
	CHECK(done(&c0, race));
	CHECK(strict > 0);
	if (c.violations >= 0)
		CHECK_EQ(c.violations, c0.violations);
	for (int w = 0; w < WRITERS; w++)     /* every page, once more, now that all is quiet */
		for (unsigned long p = w; p < NPAGES; p += WRITERS)
			reread_page(w, p);
	CHECK_OK(sys_munmap(map, (BLOCKS + 1) * BLK));
	return check_pass();
}
