/*
 * pt_reclaim_race - page faults and DONTNEEDs on the same PTE tables at
 * once, on up to 4 CPUs: no write is lost that no DONTNEED dropped, no page
 * shows a value it never held, nothing leaks.
 *
 * DONTNEED holds mmap_lock only for reading, so a fault on another CPU may
 * put an entry into a table while the zap that emptied it decides to
 * reclaim it (docs/design.md R6: reclaim only what is empty; R4: populate a PMD
 * only after its pending flush). Two writers and two droppers share a
 * range of NTABLES tables:
 *   writers   each owns every other page of the range. A visit to a page
 *             first reads back the run of words it wrote there last time,
 *             then writes a fresh run elsewhere in the page and reads it
 *             back. Every value is unique (writer, page, visit). A writer
 *             fills a table a few pages at a time, revisiting each soon.
 *   droppers  one DONTNEEDs whole tables (one or two), the other parts of
 *             tables: the two halves of one table in turn (the second
 *             empties it: Quiesce reclaims it, Linux does not), a random
 *             page range, a 64 KiB piece. A dropper sleeps until the
 *             writers made GAP visits since its last drop, so the range is
 *             refilled between drops however the (virtual) CPUs are
 *             scheduled, and a waiting dropper does not take CPU time from
 *             the writers (under emulation a spinning virtual CPU does).
 *
 * The check is exact, because the droppers publish what they drop: before
 * drop k a dropper writes its range into log[k], then makes its sequence
 * number odd (2k+1); after madvise returns, even (2k+2). A writer reads the
 * sequence numbers before writing a run and again after reading it back:
 * the drops that may have overlapped that window are exactly those from
 * seq_before/2 to (seq_after-1)/2. A word that reads 0 is correct only if
 * one of them covered its page; any other value than the one written is
 * wrong, whatever the drops. Reading back an older run, of the words that
 * read back as written then, once one reads 0 every later one must too:
 * the page was replaced by a zero page (reading the old page again after
 * that would mean a stale translation).
 *
 * At the end, with the threads stopped: every page's last run is checked
 * once more, a DONTNEED of the whole range must leave VmRSS where it was
 * and give back every table, and the /proc/vmstat deltas of the run are
 * printed. On Quiesce that last DONTNEED, alone on the mm, reclaims each
 * table by the fast path: its PMD try-lock cannot fail.
 *
 * Whether a fault actually hit a zap's window in that run is up to the
 * scheduler: its counters are printed, not asserted. The suite
 * pt-reclaim-race boots Quiesce with ptreclaim.force_slow (every reclaim
 * takes the slow path) and fault_inject=reclaim_slow:MS (each DONTNEED that
 * emptied a table is held MS before the slow path, holding no page-table
 * lock), under ptcheck, and passes --injected. Then the random run must
 * reclaim by the slow path only, and afterwards each slow-path outcome is
 * built on purpose, waiting for the injection point's hit counter rather
 * than for time: busy (refilled), raced (reclaimed by the other DONTNEED)
 * and the flush before installing a table (R4). See "With --injected".
 */
#include "check.h"

#define PMD_SIZE (2UL << 20)
#define TABLE_KB ((long)PAGE_SIZE / 1024)
#define PAGES_PER_TABLE ((int)(PMD_SIZE / PAGE_SIZE))
#define NTABLES 4
#define NPAGES (NTABLES * PAGES_PER_TABLE)
#define RANGE (NTABLES * PMD_SIZE)
#define NWRITERS 2
#define NDROPPERS 2
#define DROPS 60                  /* per dropper */
/* Under --injected each reclaim is held MS: fewer drops keep the run short. */
#define DROPS_INJECTED 25
#define GAP 16                    /* writer visits between two drops */
#define SET 16                    /* pages a writer visits in turn ... */
#define ROUNDS 4                  /* ... so many times over */
#define RUN_WORDS 8               /* a run: 64 bytes of one value */
#define RUNS_PER_PAGE ((int)(PAGE_SIZE / (RUN_WORDS * 8)))

/* The counters the run prints. */
static const char *const counters[] = {
	"pt_reclaim_fast", "pt_reclaim_slow", "pt_reclaim_raced",
	"pt_reclaim_busy", "tlb_flush_before_set_pmd", "tlb_flush_before_set_pmd_retry",
	"tlb_flush_before_set_pmd_skipped",
};
#define NCOUNTERS ((int)(sizeof(counters) / sizeof(counters[0])))

struct drop {
	unsigned long start, end;     /* byte offsets into the range */
};

struct dropper {
	int id;
	unsigned long seq;            /* 2k: k drops done; 2k+1: drop k running */
	int drops;                    /* how many to make */
	struct drop log[DROPS];       /* log[k] written before seq = 2k+1 */
	uint64_t rng;
	int cpu;
};

/* What a writer last wrote in one page; only that writer touches it
 * until the threads are done. */
struct page_state {
	uint64_t value;               /* 0: nothing written yet */
	int run;                      /* which 64-byte run of the page */
	unsigned alive;               /* bit i: word i read back as value */
	unsigned long seq[NDROPPERS]; /* droppers' seqs read before the write */
};

struct writer {
	int id;
	int cpu;
	uint64_t rng;
	long zapped;                  /* runs found zeroed by a covering drop */
};

static char *range;
static struct dropper droppers[NDROPPERS];
static struct writer writers[NWRITERS];
static struct page_state pages[NPAGES];
static int droppers_done;
/* Writer visits so far: a futex word, droppers sleep on it. */
static int visits;
/* What visits dropper d sleeps until it reaches; 0 when not sleeping. */
static int wake_at[NDROPPERS];
static struct barrier start_line = { .count = NWRITERS + NDROPPERS + 1 };
static struct barrier finish_line = { .count = NWRITERS + NDROPPERS + 1 };

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;               /* xorshift64 */
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void read_seqs(unsigned long seq[NDROPPERS])
{
	for (int d = 0; d < NDROPPERS; d++)
		seq[d] = __atomic_load_n(&droppers[d].seq, __ATOMIC_ACQUIRE);
}

/* Did a drop that overlapped the window between the two readings of the
 * sequence numbers cover page pg? */
static bool covered(int pg, const unsigned long from[], const unsigned long to[])
{
	unsigned long off = (unsigned long)pg * PAGE_SIZE;

	for (int d = 0; d < NDROPPERS; d++)
		for (unsigned long k = from[d] / 2; k < (to[d] + 1) / 2; k++)
			if (droppers[d].log[k].start <= off && off < droppers[d].log[k].end)
				return true;
	return false;
}

static volatile uint64_t *run_addr(int pg, int run)
{
	return (volatile uint64_t *)(range + (size_t)pg * PAGE_SIZE +
				     (size_t)run * RUN_WORDS * 8);
}

/* A value no other write produces: writer, page and visit. */
static uint64_t make_value(int w, int pg, long visit)
{
	return ((uint64_t)(w + 1) << 56) | ((uint64_t)pg << 32) | (uint64_t)visit;
}

NORETURN static void report_bad_word(int pg, int i, uint64_t got, uint64_t want,
				     const char *why)
{
	char from[96] = "";

	if (got)
		snprintf(from, sizeof(from), " (written by writer %d to page %d at visit %ld)",
			 (int)(got >> 56) - 1, (int)((got >> 32) & 0xffffff),
			 (long)(got & 0xffffffff));
	check_fail(__FILE__, __LINE__, "page %d word %d: read 0x%lx%s, wrote 0x%lx: %s",
		   pg, i, (unsigned long)got, from, (unsigned long)want, why);
}

/*
 * Reads back the run written last time in page pg. The words that read
 * back as the value then (alive) must still hold it, or 0 from the first
 * word a covering drop replaced on; the others must still read 0. Returns
 * true if an alive word was zeroed.
 */
static bool check_old_run(int pg, const struct page_state *ps)
{
	volatile uint64_t *p = run_addr(pg, ps->run);
	int zeros = 0, first_zero = -1;

	if (!ps->value)
		return false;
	for (int i = 0; i < RUN_WORDS; i++) {
		uint64_t got = p[i];
		bool alive = ps->alive & (1u << i);
		if (alive && got == 0) {
			if (!zeros++)
				first_zero = i;
		} else if (alive && got == ps->value) {
			if (zeros)
				report_bad_word(pg, i, got, ps->value, "old data after a zero");
		} else if (got != (alive ? ps->value : 0))
			report_bad_word(pg, i, got, alive ? ps->value : 0,
					"a value never written here, or one zapped before");
	}
	if (!zeros)
		return false;
	unsigned long now[NDROPPERS];
	read_seqs(now);
	if (!covered(pg, ps->seq, now))
		report_bad_word(pg, first_zero, 0, ps->value,
				"zeroed, but no DONTNEED covered this page");
	return true;
}

/*
 * Writes a fresh run and reads it back. A drop during the write may leave
 * any mix of the value and zeros (words written through a stale TLB entry
 * into the old page are lost, later ones land in the new page), but only
 * with a covering drop in the window. Returns true if a word read 0.
 */
static bool write_run(int pg, struct page_state *ps, uint64_t value, int run)
{
	volatile uint64_t *p = run_addr(pg, run);
	unsigned long before[NDROPPERS], after[NDROPPERS];
	unsigned alive = 0;

	read_seqs(before);
	for (int i = 0; i < RUN_WORDS; i++)
		p[i] = value;
	for (int i = 0; i < RUN_WORDS; i++) {
		uint64_t got = p[i];
		if (got == value)
			alive |= 1u << i;
		else if (got != 0)
			report_bad_word(pg, i, got, value, "a value never written here");
	}
	read_seqs(after);
	bool zeroed = alive != (1u << RUN_WORDS) - 1;
	if (zeroed && !covered(pg, before, after))
		report_bad_word(pg, 0, 0, value, "zeroed, but no DONTNEED covered this page");
	*ps = (struct page_state){ .value = value, .run = run, .alive = alive };
	memcpy(ps->seq, before, sizeof(before));
	return zeroed;
}

static void visit(struct writer *w, int pg, long visit_nr)
{
	struct page_state *ps = &pages[pg];

	w->zapped += check_old_run(pg, ps);
	w->zapped += write_run(pg, ps, make_value(w->id, pg, visit_nr),
			       (int)(visit_nr % RUNS_PER_PAGE));
}

/* Counts a visit, and wakes a dropper whose wait it ends. Sequentially
 * consistent on both sides: either the writer sees wake_at set, or the
 * dropper sees the new count before it sleeps (and futex_wait would
 * return at once anyway, the word having changed). */
static void visit_done(void)
{
	int v = __atomic_add_fetch(&visits, 1, __ATOMIC_SEQ_CST);

	for (int d = 0; d < NDROPPERS; d++) {
		int at = __atomic_load_n(&wake_at[d], __ATOMIC_SEQ_CST);
		if (at && v >= at) {
			futex_wake(&visits, NDROPPERS);
			return;
		}
	}
}

/* Sleeps until the writers have made `target` visits in all. */
static void wait_for_visits(int d, int target)
{
	int v;

	__atomic_store_n(&wake_at[d], target, __ATOMIC_SEQ_CST);
	while ((v = __atomic_load_n(&visits, __ATOMIC_SEQ_CST)) < target)
		futex_wait(&visits, v, 0);
	__atomic_store_n(&wake_at[d], 0, __ATOMIC_SEQ_CST);
}

static bool droppers_running(void)
{
	return __atomic_load_n(&droppers_done, __ATOMIC_ACQUIRE) < NDROPPERS;
}

/*
 * A writer fills one table at a time, a random one, with its pages of it,
 * SET pages at a time, each set visited ROUNDS times over before the next.
 * The short revisits keep each page's window (write to next check) to a
 * drop or two, so a zero is judged against few drops; the walk through
 * the table fills it, so the zaps have hundreds of entries to clear.
 */
static int writer_main(void *arg)
{
	struct writer *w = arg;
	long n = 0;

	pin_to_cpu(w->cpu);
	barrier_wait(&start_line);
	while (droppers_running()) {
		int base = (int)(next_random(&w->rng) % NTABLES) * PAGES_PER_TABLE + w->id;
		for (int set = 0; set < PAGES_PER_TABLE && droppers_running();
		     set += SET * NWRITERS)
			for (int round = 0; round < ROUNDS; round++)
				for (int i = 0; i < SET * NWRITERS; i += NWRITERS) {
					visit(w, base + set + i, ++n);
					visit_done();
				}
	}
	for (int pg = w->id; pg < NPAGES; pg += NWRITERS)   /* every page once more */
		visit(w, pg, ++n);
	barrier_wait(&finish_line);
	return 0;
}

/* The range of drop k: dropper 0 whole tables, dropper 1 parts of them. */
static struct drop choose_drop(struct dropper *d, int k)
{
	unsigned long r = next_random(&d->rng), t = (r >> 8) % NTABLES;
	unsigned long base = t * PMD_SIZE, half = PMD_SIZE / 2;

	if (d->id == 0) {
		unsigned long n = (k % 2 && t + 1 < NTABLES) ? 2 : 1;
		return (struct drop){ base, base + n * PMD_SIZE };
	}
	switch (k % 4) {
	case 0:                       /* first half of a table ... */
		return (struct drop){ base, base + half };
	case 1:                       /* ... the second half of the same one */
		base = d->log[k - 1].start;
		return (struct drop){ base + half, base + PMD_SIZE };
	case 2: {                     /* 1 to 512 pages anywhere, across tables too */
		unsigned long len = (1 + r % PAGES_PER_TABLE) * PAGE_SIZE;
		unsigned long pg = (r >> 20) % (NPAGES - len / PAGE_SIZE + 1);
		return (struct drop){ pg * PAGE_SIZE, pg * PAGE_SIZE + len };
	}
	default: {                    /* one 64 KiB piece */
		unsigned long piece = (r >> 20) % (RANGE / (64 * 1024));
		return (struct drop){ piece * 64 * 1024, (piece + 1) * 64 * 1024 };
	}
	}
}

static int dropper_main(void *arg)
{
	struct dropper *d = arg;

	pin_to_cpu(d->cpu);
	barrier_wait(&start_line);
	for (int k = 0; k < d->drops; k++) {
		wait_for_visits(d->id, __atomic_load_n(&visits, __ATOMIC_SEQ_CST) + GAP);
		d->log[k] = choose_drop(d, k);
		__atomic_store_n(&d->seq, 2UL * k + 1, __ATOMIC_RELEASE);
		CHECK_OK(sys_madvise(range + d->log[k].start,
				     d->log[k].end - d->log[k].start, MADV_DONTNEED));
		__atomic_store_n(&d->seq, 2UL * k + 2, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&droppers_done, 1, __ATOMIC_RELEASE);
	barrier_wait(&finish_line);
	return 0;
}

static void read_counters(long v[NCOUNTERS])
{
	for (int i = 0; i < NCOUNTERS; i++)
		v[i] = vmstat(counters[i]);
}

/* The run's counters; with --injected the injection point must have held
 * DONTNEEDs, and none may have taken the fast path. */
static void check_counters(const long a[NCOUNTERS], const long b[NCOUNTERS],
			   bool on_quiesce, bool injected)
{
	char line[512];
	int n = 0;

	for (int i = 0; i < NCOUNTERS; i++)
		if (a[i] < 0)
			n += snprintf(line + n, sizeof(line) - n, " %s -", counters[i]);
		else
			n += snprintf(line + n, sizeof(line) - n, " %s %ld", counters[i],
				      b[i] - a[i]);
	check_section("/proc/vmstat deltas of the run:%s", line);
	if (!on_quiesce)
		return;
	for (int i = 0; i < NCOUNTERS; i++)
		CHECK(a[i] >= 0);           /* the counter exists */
	if (!injected)
		return;
	long held = vmstat("fault_inject_reclaim_slow_hits");
	check_section("fault injection: reclaim_slow held %ld DONTNEEDs since boot", held);
	CHECK(held > 0);
	CHECK_EQ(b[0] - a[0], 0);           /* pt_reclaim_fast: force_slow */
}

/* With the threads stopped: every page holds its last run, whole. */
static void check_all_pages(void)
{
	for (int pg = 0; pg < NPAGES; pg++) {
		CHECK(pages[pg].value != 0);
		CHECK(!check_old_run(pg, &pages[pg]));
	}
}

static void start_threads(struct thread *t[], int drops)
{
	static int cpus[CPU_MAX];
	int ncpus = cpu_allowed(cpus, CPU_MAX), n = 0;

	CHECK(ncpus >= 1);
	/* Writers and droppers alternate over the CPUs: on 4 CPUs each
	 * has its own, and every dropper has a writer beside it. */
	for (int i = 0; i < NWRITERS + NDROPPERS; i++) {
		int cpu = cpus[i % ncpus];
		if (i % 2 == 0) {
			struct writer *w = &writers[i / 2];
			*w = (struct writer){ .id = i / 2, .cpu = cpu,
					      .rng = 0x1234567UL + (uint64_t)i };
			CHECK(thread_create(&t[n++], writer_main, w) > 0);
		} else {
			struct dropper *d = &droppers[i / 2];
			d->id = i / 2;
			d->cpu = cpu;
			d->rng = 0x89abcdefUL + (uint64_t)i;
			d->drops = drops;
			CHECK(thread_create(&t[n++], dropper_main, d) > 0);
		}
	}
	check_section("%d writers and %d droppers on %d CPUs, %d tables, %d drops each",
		      NWRITERS, NDROPPERS, ncpus < 4 ? ncpus : 4, NTABLES, drops);
}

/*
 * A DONTNEED of the whole range, with nothing else running: VmRSS back to
 * where it was before the first write, every table given back (on Quiesce
 * each one counted as reclaimed: by the fast path, nobody holding the PMD
 * lock, or by the slow one under force_slow). Linux keeps them unless it
 * has CONFIG_PT_RECLAIM: there only the bound is checked.
 */
static void check_final_dontneed(long rss0, long pte0, bool on_quiesce, bool injected)
{
	long fast0 = vmstat("pt_reclaim_fast"), slow0 = vmstat("pt_reclaim_slow");
	long rss1 = proc_status_kb("VmRSS"), pte1 = proc_status_kb("VmPTE");

	CHECK_OK(sys_madvise(range, RANGE, MADV_DONTNEED));
	long rss2 = proc_status_kb("VmRSS"), pte2 = proc_status_kb("VmPTE");
	long fast1 = vmstat("pt_reclaim_fast"), slow1 = vmstat("pt_reclaim_slow");
	check_section("final DONTNEED: VmRSS %ld -> %ld kB (start %ld), "
		      "VmPTE %ld -> %ld kB (start %ld)", rss1, rss2, rss0, pte1, pte2, pte0);
	CHECK(rss1 - rss2 >= (NPAGES - RSS_SLACK_PAGES) * KB_PER_PAGE);
	CHECK(rss2 <= rss0 + RSS_SLACK_PAGES * KB_PER_PAGE);
	/* Tables above the PTE level (at most a PMD and a PUD table) stay. */
	CHECK(pte2 - pte0 <= 2 * TABLE_KB + (on_quiesce ? 0 : NTABLES * TABLE_KB));
	if (on_quiesce) {
		CHECK_EQ(pte1 - pte2, NTABLES * TABLE_KB);
		CHECK_EQ(fast1 - fast0, injected ? 0 : NTABLES);
		CHECK_EQ(slow1 - slow0, injected ? NTABLES : 0);
	}
}

/* ---- With --injected: each slow-path outcome made to happen ---------------
 *
 * The random run above shows what the scheduler happened to produce. Here
 * each interleaving is built on purpose, waiting for events rather than
 * for time: a helper thread DONTNEEDs a table holding a few written pages;
 * its zap empties the table, and the injection point holds it before the
 * slow path, no lock held, for MS. The point's hit counter in /proc/vmstat
 * rising is the event "the helper is in the window"; then the main thread
 * acts, and the helper's slow path finds what it did:
 *   refill         main writes a page of the table: not empty after all
 *                  (pt_reclaim_busy)
 *   refill, drop   main writes a page and DONTNEEDs it: main's own zap
 *                  empties the table again and is held in turn; the helper,
 *                  held first, reclaims the table, and main's slow path
 *                  finds the PMD changed (pt_reclaim_raced)
 *   populate       the helper DONTNEEDs two such tables and is held once
 *                  for each; in the second hold the first is reclaimed and
 *                  its flush still owed (the gather ends after both). Main
 *                  writes into the first one's 2 MiB: the new table must
 *                  not be installed before that flush
 *                  (tlb_flush_before_set_pmd, R4)
 * A virtual CPU stalled past MS spoils an attempt (the helper leaves the
 * window before main acts), so each is tried until its counter moves, a
 * bounded number of times.
 */

#define ATTEMPTS 20
#define FILLED 16                 /* pages written in the table first */

enum meanwhile { REFILL, REFILL_AND_DROP, POPULATE };

struct held_drop {
	char *addr;
	size_t len;
	int done;
};

static int held_drop_main(void *arg)
{
	struct held_drop *h = arg;

	CHECK_OK(sys_madvise(h->addr, h->len, MADV_DONTNEED));
	__atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Waits until the injection point has made `hits` holds in all: true, or
 * the helper finished before (false). */
static bool wait_held(long hits, const struct held_drop *h)
{
	while (vmstat("fault_inject_reclaim_slow_hits") < hits)
		if (__atomic_load_n(&h->done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* One attempt with table 0 (and 1) of the range; true if `counter` moved. */
static bool attempt(enum meanwhile what, const char *counter)
{
	int tables = what == POPULATE ? 2 : 1;
	char *refill = range + 100 * PAGE_SIZE;
	struct held_drop h = { .addr = range, .len = tables * PMD_SIZE };
	struct thread *th;

	for (int i = 0; i < tables * FILLED; i++)
		range[(i / FILLED) * PMD_SIZE + (i % FILLED) * PAGE_SIZE] = 1;
	long c0 = vmstat(counter), hits0 = vmstat("fault_inject_reclaim_slow_hits");
	CHECK(thread_create(&th, held_drop_main, &h) > 0);
	if (wait_held(hits0 + tables, &h)) {
		if (what == POPULATE) {
			range[0] = 1;           /* where table 0 was, its flush owed */
		} else {
			*refill = 1;
			if (what == REFILL_AND_DROP)
				CHECK_OK(sys_madvise(refill, PAGE_SIZE, MADV_DONTNEED));
		}
	}
	CHECK_EQ(thread_join(th), 0);
	CHECK_OK(sys_madvise(range, RANGE, MADV_DONTNEED));  /* the next attempt starts clean */
	return vmstat(counter) > c0;
}

static void provoke(enum meanwhile what, const char *name, const char *counter)
{
	int n = 1;

	while (!attempt(what, counter)) {
		if (++n > ATTEMPTS)
			check_fail(__FILE__, __LINE__, "%s: %s did not move in %d attempts",
				   name, counter, ATTEMPTS);
	}
	check_section("%s while a DONTNEED is held before its slow path: %s, attempt %d",
		      name, counter, n);
}

static void check_slow_path_outcomes(long pte_end)
{
	long slow0 = vmstat("pt_reclaim_slow");

	provoke(REFILL, "refill", "pt_reclaim_busy");
	provoke(REFILL_AND_DROP, "refill and drop", "pt_reclaim_raced");
	provoke(POPULATE, "refault of a reclaimed table's 2 MiB", "tlb_flush_before_set_pmd");
	CHECK(vmstat("pt_reclaim_slow") > slow0);
	CHECK_EQ(proc_status_kb("VmPTE"), pte_end);          /* all given back again */
}

/* Argument: --injected (Quiesce booted with ptreclaim.force_slow and
 * fault_inject=reclaim_slow:MS). */
int main(int argc, char **argv)
{
	static struct thread *t[NWRITERS + NDROPPERS];
	struct utsname u;
	bool injected = argc > 1 && strcmp(argv[1], "--injected") == 0;
	long before[NCOUNTERS], after[NCOUNTERS];

	if (argc > 1 && !injected)
		check_fail(__FILE__, __LINE__, "unknown argument '%s'", argv[1]);
	CHECK_OK(sys_uname(&u));
	bool on_quiesce = strstr(u.release, "quiesce") || vmstat("pt_reclaim_fast") >= 0;
	char *map = (char *)CHECK_OK(sys_mmap(0, RANGE + PMD_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	CHECK_OK(sys_madvise(map, RANGE + PMD_SIZE, MADV_NOHUGEPAGE));
	range = (char *)(((unsigned long)map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));

	long t0 = now_ns();
	start_threads(t, injected ? DROPS_INJECTED : DROPS);
	long rss0 = proc_status_kb("VmRSS"), pte0 = proc_status_kb("VmPTE");
	read_counters(before);
	barrier_wait(&start_line);
	barrier_wait(&finish_line);
	read_counters(after);

	check_section("%d writer visits, %ld and %ld runs zeroed under a covering DONTNEED, "
		      "%ld ms", visits, writers[0].zapped, writers[1].zapped,
		      (now_ns() - t0) / 1000000);
	check_all_pages();
	check_counters(before, after, on_quiesce, injected);
	check_final_dontneed(rss0, pte0, on_quiesce, injected);
	if (injected && on_quiesce)
		check_slow_path_outcomes(proc_status_kb("VmPTE"));
	for (int i = 0; i < NWRITERS + NDROPPERS; i++)
		CHECK_EQ(thread_join(t[i]), 0);
	CHECK_OK(sys_munmap(map, RANGE + PMD_SIZE));
	return check_pass();
}
