/*
 * pt_reclaim - MADV_DONTNEED gives back the PTE tables it empties (docs/design.md
 * R6), and never a page it was not asked to drop.
 *
 * The headline of Linux's "reclaim empty user PTE pages" series, scaled to
 * an emulator: map a large region, and for each 2 MiB chunk write every page
 * and then DONTNEED the chunk. A kernel that never reclaims keeps one empty
 * PTE table per chunk: VmPTE grows by 4 kB per 2 MiB although nothing is
 * mapped. One that reclaims ends where it started, but for the upper tables
 * (PMD, PUD) the region needed. Three passes over a fresh mapping each:
 *   aligned     chunks on 2 MiB boundaries: each DONTNEED covers one table
 *   misaligned  the region 1 MiB off: each DONTNEED covers two half tables
 *   pieces      each chunk dropped in 64 KiB DONTNEEDs, in shuffled order
 * VmPTE is printed at the start, at its peak (read after each chunk was
 * written) and at the end, with PageTables from /proc/meminfo. On Quiesce
 * PageTables must come down with VmPTE once the reclaimed tables' grace
 * periods have passed (R1): a table unhooked but never freed fails there.
 *
 * Then one table at a time: a partial DONTNEED keeps the table and the other
 * pages' data; DONTNEED of the rest empties it; refaults read zeros; one
 * page written and dropped alone; MADV_FREE.
 *
 * What to expect depends on the kernel, decided once at the start:
 *   Quiesce        reclaims any table whose entry count falls to zero in a
 *                  zap, whatever the DONTNEED's size and alignment, and
 *                  counts each in /proc/vmstat pt_reclaim_fast or _slow;
 *                  MADV_FREE is a DONTNEED there.
 *   Quiesce booted with ptreclaim=off (run with --expect-off: Quiesce has no
 *                  /proc/cmdline to tell): nothing is reclaimed.
 *   Linux with CONFIG_PT_RECLAIM (6.14 on): a table is reclaimed only when a
 *                  single DONTNEED covers all its 2 MiB, so the misaligned
 *                  and pieces passes keep every table.
 *   Linux without it: nothing is reclaimed.
 * Which Linux this is, a probe finds out (one aligned 2 MiB DONTNEED of a
 * table with one page in it); Linux is not under test here, this only lets
 * the program pass on the host too.
 */
#include "check.h"

#define PMD_SIZE (2UL << 20)                  /* what one PTE table maps */
#define PUD_SIZE (1UL << 30)                  /* ... one PMD table */
#define P4D_SIZE (512UL << 30)                /* ... one PUD table */
#define TABLE_KB ((long)PAGE_SIZE / 1024)     /* one table in VmPTE */
#define PAGES_PER_TABLE ((int)(PMD_SIZE / PAGE_SIZE))
#define PIECE (64UL * 1024)
#define PIECES_PER_TABLE ((int)(PMD_SIZE / PIECE))
#define DEFAULT_MIB 1024
#define SEED 0x5eed2025UL
/* How long reclaimed tables may take to be freed after their grace period
 * (R1 step 3) before PageTables counts as wrong. A bound on a wait for an
 * event, not a delay: the loop ends as soon as the count is down. */
#define FREE_WAIT_NS (20L * 1000 * 1000 * 1000)

enum policy {
	RECLAIM_ANY,     /* Quiesce: any table a zap leaves empty */
	RECLAIM_WHOLE,   /* Linux PT_RECLAIM: a table one DONTNEED covers whole */
	RECLAIM_NONE,    /* ptreclaim=off, or Linux without PT_RECLAIM */
};
static const char *const policy_name[] = {
	[RECLAIM_ANY] = "any table a zap empties",
	[RECLAIM_WHOLE] = "only a table one DONTNEED covers whole",
	[RECLAIM_NONE] = "none",
};

static enum policy policy;
static bool on_quiesce;
static unsigned long region_len;              /* bytes, a multiple of 2 MiB */
static long nchunks;
static uint64_t rng = SEED;

/* ---- What the kernel tells us ------------------------------------------ */

/* VmPTE and the reclaim counters at one moment. A counter this kernel does
 * not have reads -1 (Linux has none of them). */
struct snap {
	long pte, fast, slow, raced, busy;
};

static struct snap take_snap(void)
{
	return (struct snap){
		.pte = proc_status_kb("VmPTE"),
		.fast = vmstat("pt_reclaim_fast"),
		.slow = vmstat("pt_reclaim_slow"),
		.raced = vmstat("pt_reclaim_raced"),
		.busy = vmstat("pt_reclaim_busy"),
	};
}

static long reclaims_since(const struct snap *a, const struct snap *b)
{
	return (b->fast - a->fast) + (b->slow - a->slow);
}

/* "pt_reclaim fast 1 slow 0 raced 0 busy 0" between two snaps, or a note
 * that this kernel has no such counters. */
static const char *counter_deltas(const struct snap *a, const struct snap *b)
{
	static char buf[128];

	if (a->fast < 0 || b->fast < 0)
		return "no pt_reclaim counters";
	snprintf(buf, sizeof(buf), "pt_reclaim fast %ld slow %ld raced %ld busy %ld",
		 b->fast - a->fast, b->slow - a->slow, b->raced - a->raced,
		 b->busy - a->busy);
	return buf;
}

/*
 * One step emptied n tables: VmPTE went down by n tables if the policy
 * reclaims them, and on Quiesce the counters say how (fast + slow = n;
 * none raced or found busy, nothing else touches this mm).
 */
static void check_step(const char *what, const struct snap *a, long n)
{
	struct snap b = take_snap();

	check_section("%s: VmPTE %ld -> %ld kB, %s", what, a->pte, b.pte,
		      counter_deltas(a, &b));
	CHECK_EQ(a->pte - b.pte, n * TABLE_KB);
	if (!on_quiesce)
		return;
	CHECK(b.fast >= 0 && b.slow >= 0);    /* the counters exist */
	CHECK_EQ(reclaims_since(a, &b), n);
	CHECK_EQ(b.raced - a->raced, 0);
	CHECK_EQ(b.busy - a->busy, 0);
}

/* Upper tables (PMD, PUD) that mapping [start, end) may need, in kB: one
 * PMD table per 1 GiB slot, one PUD table per 512 GiB slot it touches. A
 * table the process had already for other mappings is not counted again by
 * the kernel, so this is the most the region can add. */
static long upper_tables_kb(unsigned long start, unsigned long end)
{
	long pmds = (long)((end - 1) / PUD_SIZE - start / PUD_SIZE) + 1;
	long puds = (long)((end - 1) / P4D_SIZE - start / P4D_SIZE) + 1;

	return (pmds + puds) * TABLE_KB;
}

/* ---- Memory helpers ----------------------------------------------------- */

/* Anonymous memory of len bytes plus 4 MiB, no THP (a huge page would map
 * 2 MiB without any PTE table); returns the first 2 MiB boundary inside,
 * with at least 2 MiB more of the mapping after base + len. */
static char *map_tables(size_t len, char **map)
{
	*map = (char *)CHECK_OK(sys_mmap(0, len + 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	CHECK_OK(sys_madvise(*map, len + 2 * PMD_SIZE, MADV_NOHUGEPAGE));
	return (char *)(((unsigned long)*map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
}

/* Writes one word in each page: enough to fault every page in. */
static void touch_pages(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		*(volatile long *)(p + off) = (long)off + 1;
}

static bool all_bytes(const volatile char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

static uint64_t next_random(void)
{
	rng ^= rng << 13;          /* xorshift64: the same order on every kernel */
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* DONTNEED of one 2 MiB chunk in 64 KiB pieces, in a shuffled order. */
static void drop_in_pieces(char *chunk)
{
	int order[PIECES_PER_TABLE];

	for (int i = 0; i < PIECES_PER_TABLE; i++)
		order[i] = i;
	for (int i = PIECES_PER_TABLE - 1; i > 0; i--) {     /* Fisher-Yates */
		int j = (int)(next_random() % (uint64_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < PIECES_PER_TABLE; i++)
		CHECK_OK(sys_madvise(chunk + order[i] * PIECE, PIECE, MADV_DONTNEED));
}

/* ---- The headline: a region written and dropped chunk by chunk ---------- */

struct pass {
	const char *name;
	unsigned long offset;     /* region start past a 2 MiB boundary */
	bool pieces;              /* 64 KiB DONTNEEDs in random order */
};

/* PTE tables the region's pages live in. */
static long tables_spanned(const struct pass *ps)
{
	return nchunks + (ps->offset ? 1 : 0);
}

/* PTE tables still there at the end of a pass. */
static long tables_left(const struct pass *ps)
{
	switch (policy) {
	case RECLAIM_ANY:
		return 0;
	case RECLAIM_WHOLE:
		return ps->offset || ps->pieces ? tables_spanned(ps) : 0;
	default:
		return tables_spanned(ps);
	}
}

/* PTE tables alive at the peak, just after a chunk was written: the
 * chunk's own (two half tables when misaligned), or all that were kept. */
static long tables_peak(const struct pass *ps)
{
	if (tables_left(ps))
		return tables_spanned(ps);
	return ps->offset ? 2 : 1;
}

/* Tables Quiesce counts as reclaimed: one per chunk, two when misaligned
 * (each DONTNEED empties the half table before it and the one after). */
static long tables_reclaimed(const struct pass *ps)
{
	if (policy != RECLAIM_ANY)
		return 0;
	return ps->offset ? 2 * nchunks : nchunks;
}

/*
 * Reclaimed tables go back to the page allocator after a grace period
 * (R1), so PageTables, which counts them until then, lags VmPTE. Waits for
 * it to come down to what the mm still holds; false if it never does.
 */
static bool page_tables_settle(long pt0, long kept_kb, long *pt)
{
	long deadline = now_ns() + FREE_WAIT_NS;

	while ((*pt = meminfo_kb("PageTables")) > pt0 + kept_kb) {
		if (now_ns() > deadline)
			return false;
		sys_sched_yield();
	}
	return true;
}

static void check_pass_result(const struct pass *ps, const struct snap *a,
			      long peak, long upper_kb)
{
	struct snap b = take_snap();
	long left = tables_left(ps), top = tables_peak(ps);

	check_section("%s: expected %ld tables left, %ld at the peak, plus at most "
		      "%ld kB of upper tables; %s", ps->name, left, top, upper_kb,
		      counter_deltas(a, &b));
	CHECK(b.pte - a->pte >= left * TABLE_KB);
	CHECK(b.pte - a->pte <= left * TABLE_KB + upper_kb);
	CHECK(peak - a->pte >= top * TABLE_KB);
	CHECK(peak - a->pte <= top * TABLE_KB + upper_kb);
	if (!on_quiesce)
		return;
	CHECK(b.fast >= 0 && b.slow >= 0);    /* the counters exist */
	CHECK_EQ(reclaims_since(a, &b), tables_reclaimed(ps));
	CHECK_EQ(b.raced - a->raced, 0);
	CHECK_EQ(b.busy - a->busy, 0);
}

static void run_pass(const struct pass *ps)
{
	char *map, *p = map_tables(region_len, &map) + ps->offset;
	unsigned long first = (unsigned long)p & ~(PMD_SIZE - 1);
	long upper_kb = upper_tables_kb(first, first + tables_spanned(ps) * PMD_SIZE);
	long pt0 = meminfo_kb("PageTables"), t0 = now_ns();
	struct snap a = take_snap();
	long peak = a.pte;

	for (long c = 0; c < nchunks; c++) {
		char *chunk = p + c * PMD_SIZE;
		touch_pages(chunk, PMD_SIZE);
		long pte = proc_status_kb("VmPTE");
		if (pte > peak)
			peak = pte;
		if (ps->pieces)
			drop_in_pieces(chunk);
		else
			CHECK_OK(sys_madvise(chunk, PMD_SIZE, MADV_DONTNEED));
	}
	long end = proc_status_kb("VmPTE"), pt1;
	bool settled = page_tables_settle(pt0, end - a.pte, &pt1);
	check_section("%s at %p: VmPTE start %ld peak %ld end %ld kB, "
		      "PageTables %ld -> %ld kB, %ld ms",
		      ps->name, (void *)p, a.pte, peak, end, pt0, pt1,
		      (now_ns() - t0) / 1000000);
	check_pass_result(ps, &a, peak, upper_kb);
	if (on_quiesce)
		CHECK(settled);   /* reclaimed tables were freed, not leaked */
	CHECK_OK(sys_munmap(map, region_len + 2 * PMD_SIZE));
}

/* ---- One table at a time -------------------------------------------------- */

/* The byte every page i of a table holds in the partial test. */
static char pattern(int i)
{
	return (char)('a' + i % 26);
}

/*
 * Half of a written table dropped: the table stays (it still maps 256
 * pages, on any kernel) and those pages keep their data. Dropping the other
 * half empties it: reclaimed by Quiesce although no DONTNEED covered it
 * whole. Then every page reads zeros, through a table faulted in afresh.
 */
static void check_partial(char *t)
{
	size_t half = PMD_SIZE / 2;

	for (int i = 0; i < PAGES_PER_TABLE; i++)
		memset(t + i * PAGE_SIZE, pattern(i), PAGE_SIZE);
	struct snap a = take_snap();
	CHECK_OK(sys_madvise(t, half, MADV_DONTNEED));
	check_step("DONTNEED of the first half of a written table", &a, 0);
	for (int i = PAGES_PER_TABLE / 2; i < PAGES_PER_TABLE; i++)
		CHECK(all_bytes(t + i * PAGE_SIZE, PAGE_SIZE, pattern(i)));

	a = take_snap();
	CHECK_OK(sys_madvise(t + half, half, MADV_DONTNEED));
	check_step("DONTNEED of the second half", &a, policy == RECLAIM_ANY);

	a = take_snap();
	CHECK(all_bytes(t, PMD_SIZE, 0));
	struct snap b = take_snap();
	check_section("refault: the whole table reads zeros, VmPTE %ld -> %ld kB",
		      a.pte, b.pte);
	CHECK_EQ(b.pte - a.pte, policy == RECLAIM_ANY ? TABLE_KB : 0);

	a = b;
	CHECK_OK(sys_madvise(t, PMD_SIZE, MADV_DONTNEED));
	check_step("DONTNEED of the whole refaulted table", &a, policy != RECLAIM_NONE);
}

/*
 * A table whose only page is dropped by a 4 KiB DONTNEED: empty, so
 * Quiesce reclaims it; Linux looks only at whole 2 MiB DONTNEEDs. The next
 * read refaults a zero page, and writing there works as before.
 */
static void check_single_page(char *t)
{
	char *page = t + 100 * PAGE_SIZE;

	memset(page, 'q', PAGE_SIZE);
	CHECK(all_bytes(page, PAGE_SIZE, 'q'));
	struct snap a = take_snap();
	CHECK_OK(sys_madvise(page, PAGE_SIZE, MADV_DONTNEED));
	check_step("DONTNEED of a table's only page", &a, policy == RECLAIM_ANY);
	CHECK(all_bytes(page, PAGE_SIZE, 0));
	memset(page, 'r', PAGE_SIZE);
	CHECK(all_bytes(page, PAGE_SIZE, 'r'));
	CHECK_OK(sys_madvise(t, PMD_SIZE, MADV_DONTNEED));
}

/*
 * MADV_FREE lets the kernel drop pages when it likes. Quiesce does it at
 * once, a DONTNEED, so the table goes as well. Linux frees them lazily,
 * under memory pressure, and keeps the data till then: only printed there.
 */
static void check_madv_free(char *t)
{
	memset(t, 'f', PMD_SIZE);
	struct snap a = take_snap();
	CHECK_OK(sys_madvise(t, PMD_SIZE, MADV_FREE));
	if (!on_quiesce) {
		check_section("MADV_FREE of a written table on Linux: VmPTE %ld -> %ld kB "
			      "(lazy free: not checked)", a.pte, proc_status_kb("VmPTE"));
		return;
	}
	check_step("MADV_FREE of a written table", &a, policy == RECLAIM_ANY);
	CHECK(all_bytes(t, PMD_SIZE, 0));
}

static void check_one_table(void)
{
	char *map, *t = map_tables(PMD_SIZE, &map);

	check_partial(t);
	check_single_page(t);
	check_madv_free(t);
	CHECK_OK(sys_munmap(map, 3 * PMD_SIZE));
}

/* ---- Which kernel ---------------------------------------------------------- */

/* Linux: does one aligned 2 MiB DONTNEED of a table with a page in it give
 * the table back? That is CONFIG_PT_RECLAIM's behaviour. */
static bool linux_reclaims_whole_tables(void)
{
	char *map, *t = map_tables(PMD_SIZE, &map);

	t[0] = 1;
	long before = proc_status_kb("VmPTE");
	CHECK_OK(sys_madvise(t, PMD_SIZE, MADV_DONTNEED));
	long after = proc_status_kb("VmPTE");
	CHECK_OK(sys_munmap(map, 3 * PMD_SIZE));
	return before - after == TABLE_KB;
}

static void choose_policy(bool expect_off)
{
	struct utsname u;

	CHECK_OK(sys_uname(&u));
	/* Quiesce says "Linux" in sysname, for programs that test it. */
	on_quiesce = strstr(u.release, "quiesce") || vmstat("pt_reclaim_fast") >= 0;
	if (on_quiesce)
		policy = expect_off ? RECLAIM_NONE : RECLAIM_ANY;
	else
		policy = linux_reclaims_whole_tables() ? RECLAIM_WHOLE : RECLAIM_NONE;
	check_section("%s %s%s: expecting reclaim of %s", u.sysname, u.release,
		      expect_off ? " (--expect-off)" : "", policy_name[policy]);
}

/* Arguments: --expect-off (Quiesce booted with ptreclaim=off) and
 * --mib=N (the region's size, a multiple of 2). */
int main(int argc, char **argv)
{
	static const struct pass passes[] = {
		{ "aligned", 0, false },
		{ "misaligned", PMD_SIZE / 2, false },
		{ "pieces", 0, true },
	};
	bool expect_off = false;
	long mib = DEFAULT_MIB;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--expect-off") == 0)
			expect_off = true;
		else if (strncmp(argv[i], "--mib=", 6) == 0)
			mib = atol(argv[i] + 6);
		else
			check_fail(__FILE__, __LINE__, "unknown argument '%s'", argv[i]);
	}
	CHECK(mib >= 2 && mib % 2 == 0);
	region_len = (unsigned long)mib << 20;
	nchunks = (long)(region_len / PMD_SIZE);
	choose_policy(expect_off);
	check_section("%ld MiB region, %ld chunks of 2 MiB, pieces shuffled with seed 0x%lx",
		      mib, nchunks, SEED);
	for (size_t i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
		run_pass(&passes[i]);
	check_one_table();
	return check_pass();
}
