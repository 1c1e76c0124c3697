/*
 * ptdump_race - the page-table dump, /proc/self/pagetable (mm/ptdump.h),
 * read over and over while other threads fault and DONTNEED on other CPUs.
 *
 * The dump walks the tables of a live address space. DONTNEED holds
 * mmap_lock only for reading and reclaims the PTE tables it empties (R6),
 * so a table whose PMD the dump has just read may be unhooked before the
 * dump takes its lock: the dump must recheck the PMD under the PTE lock
 * and walk again (R3), like every other walker. Here:
 *   writers   two threads, each owning one PTE table of an aligned range,
 *             filled before the start: they keep rewriting and verifying
 *             every page of it. Their tables are never dropped, so every
 *             dump must show each with used=512.
 *   dropper   one thread faults 64 pages of its own table in and DONTNEEDs
 *             them, again and again: on Quiesce each DONTNEED reclaims the
 *             table, and the next fault installs a new one. Its table lies
 *             at DROP_ADDR, 2 MiB below the program's text: the first PTE
 *             table every dump visits. Between two drops it also zaps the
 *             huge PMD of a second block (DONTNEED), fills the block with
 *             small pages and MADV_COLLAPSEs it into one huge PMD again
 *             (its PTE table retracted under the read lock): so the dumps
 *             meet huge PMDs going and coming too.
 *   main      dumps and checks each dump: it parses; parents come before
 *             children and each child lies inside its parent's span;
 *             "used" is in range and, for a PTE table, equals the table's
 *             own count (no MISMATCH); the end line's counts match the
 *             lines; nothing was truncated; the writers' tables are there,
 *             full. Between two dumps the dropper makes one round at least.
 * At the end the dropper's table is dumped before and after a DONTNEED,
 * each dump printed (tools/ptdump draws them side by side): after it the
 * table is gone from the tree (if reclaim is on) and, under ptcheck, shown
 * as pending until it is freed; the collapsed block is a huge line in both.
 *
 * With --injected (suite ptdump-race: fault_inject=ptdump_walk:MS, under
 * ptcheck) the dump is held between its PMD read and its PTE lock until
 * that PMD changes. The dropper fills its table, waits until the point's
 * hit counter moves (a dump is held; at its table, the first one, if the
 * dump came by after the fill), and DONTNEEDs: the reclaim lands in the
 * window. main dumps until a dump reports raced > 0 and the point's
 * events in /proc/vmstat show a hold that a PMD change ended, not the
 * clock (at most MAX_DUMPS; a virtual CPU stalled past MS spoils a try). On Linux there is no such file: the threads
 * run and check their data, and the dumps are skipped.
 */
#include "check.h"

#define PMD_SIZE (2UL << 20)
#define PUD_SIZE (1UL << 30)
#define PGD_SIZE (1UL << 39)
#define PAGES_PER_TABLE 512
#define DROP_ADDR ((char *)0x200000)   /* the PMD slot below the text at 0x400000 */
#define DROP_PAGES 64
#define DUMPS 12                       /* without --injected */
#define MAX_DUMPS 40                   /* with --injected: until one races */
#define DUMP_MAX (128 * 1024)          /* PTDUMP_MAX */

static char *range;                    /* the writers' two tables */
static char *coll;                     /* the block the dropper collapses */
static long collapsed, collapse_refused;   /* MADV_COLLAPSE: 0; EAGAIN, ENOMEM, EINVAL */
static bool last_collapse_ok;
static bool injected;
static int stop;
static long writer_rounds[2];
static int dropper_rounds;             /* a futex word: main waits for it to move */
static struct barrier start_line = { .count = 4 };
static char dump[DUMP_MAX];

static bool stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

/* A writer rewrites its table's pages with the round number and reads them back. */
static int writer_main(void *arg)
{
	long id = (long)arg;
	volatile unsigned long *table = (volatile unsigned long *)(range + id * PMD_SIZE);

	pin_to_cpu(1 + (int)id);
	barrier_wait(&start_line);
	for (unsigned long round = 1; !stopped(); round++) {
		for (int pg = 0; pg < PAGES_PER_TABLE; pg++)
			table[pg * (PAGE_SIZE / 8)] = round << 16 | (unsigned long)pg;
		for (int pg = 0; pg < PAGES_PER_TABLE; pg++)
			CHECK_EQ(table[pg * (PAGE_SIZE / 8)], round << 16 | (unsigned long)pg);
		writer_rounds[id] = (long)round;
	}
	return 0;
}

static void fill_drop_table(void)
{
	for (int pg = 0; pg < DROP_PAGES; pg++)
		DROP_ADDR[pg * 8 * PAGE_SIZE] = 1;         /* a fault each */
}

/*
 * The last round's huge PMD zapped, small pages faulted in, and one huge
 * PMD in their place again: it stays until the next round, for the dumps.
 */
static void collapse_round(void)
{
	CHECK_OK(sys_madvise(coll, PMD_SIZE, MADV_DONTNEED));
	for (int pg = 0; pg < DROP_PAGES; pg++)
		coll[pg * 8 * PAGE_SIZE] = 1;
	long r = sys_madvise(coll, PMD_SIZE, MADV_COLLAPSE);
	last_collapse_ok = r == 0;
	if (r == 0)
		collapsed++;
	else if (r == -EAGAIN || r == -ENOMEM || r == -EINVAL)
		collapse_refused++;               /* changed meanwhile, no huge page, no THP */
	else
		check_fail(__FILE__, __LINE__, "MADV_COLLAPSE: %ld %s", r, errno_name(r));
}

/* The dropper fills its table and DONTNEEDs it, over and over. */
static int dropper_main(void *arg __attribute__((unused)))
{
	pin_to_cpu(3);
	barrier_wait(&start_line);
	while (!stopped()) {
		fill_drop_table();
		/* --injected: wait for a dump to be held, then pull the table from under it. */
		long hits = injected ? vmstat("fault_inject_ptdump_walk_hits") : 0;
		while (injected && vmstat("fault_inject_ptdump_walk_hits") == hits && !stopped())
			;
		CHECK_OK(sys_madvise(DROP_ADDR, PMD_SIZE, MADV_DONTNEED));
		collapse_round();
		__atomic_add_fetch(&dropper_rounds, 1, __ATOMIC_SEQ_CST);
		futex_wake(&dropper_rounds, 1);
	}
	return 0;
}

/* ---- The dump, parsed -------------------------------------------------- */

struct parsed {
	long tables, huge, pending, raced;   /* tables, huge, pending: from the lines */
	long end_tables, end_huge, end_pending, end_truncated;
	bool ptcheck, untracked;
	int writer_used[2];                  /* -1: not in the dump */
	bool coll_huge;                      /* the collapsed block showed as a huge PMD */
};

#define BAD(l, e, what) check_fail(__FILE__, __LINE__, "%s: %.*s", what, (int)((e) - (l)), l)

/* The value of "key=" in the line (hex after 0x, else decimal), or -1. */
static long field(const char *line, const char *end, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = line; p + klen < end; p++) {
		if ((p != line && p[-1] != ' ') || strncmp(p, key, klen) || p[klen] != '=')
			continue;
		p += klen + 1;
		int base = p[0] == '0' && p[1] == 'x' ? 16 : 10;
		long v = 0;
		for (p += base == 16 ? 2 : 0; p < end; p++) {
			int d = *p >= '0' && *p <= '9' ? *p - '0' :
				base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
			if (d < 0)
				break;
			v = v * base + d;
		}
		return v;
	}
	return -1;
}

/* Does word occur in the line, at its start or after a space? */
static bool has(const char *line, const char *end, const char *word)
{
	for (const char *at = strstr(line, word); at && at < end; at = strstr(at + 1, word))
		if (at == line || at[-1] == ' ')
			return true;
	return false;
}

static bool starts(const char *line, const char *word)
{
	size_t n = strlen(word);
	return !strncmp(line, word, n) && (line[n] == ' ' || line[n] == '\n');
}

/* Where the walk is: the va of the last table seen at each level below the PGD. */
struct walk {
	long pud_va, pmd_va, pte_va;
};

/* va must lie in [parent, parent + span), be aligned to align, and come after last. */
static void place(const char *l, const char *e, long va, long parent, long span, long align,
		  long last)
{
	if (va % align || parent < 0 || va < parent || va >= parent + span || va <= last)
		BAD(l, e, "table out of place");
}

static void check_table_line(const char *l, const char *e, struct walk *w, struct parsed *p)
{
	long va = field(l, e, "va"), used = field(l, e, "used");

	if (used < 0 || used > 512 || field(l, e, "phys") <= 0)
		BAD(l, e, "bad table line");
	if (has(l, e, "MISMATCH"))
		BAD(l, e, "a PTE table's count differs from its entries");
	p->tables++;
	if (starts(l, "pud")) {
		place(l, e, va, 0, 1L << 47, PGD_SIZE, w->pud_va);
		w->pud_va = va;
		w->pmd_va = w->pte_va = -1;
	} else if (starts(l, "pmd")) {
		place(l, e, va, w->pud_va, PGD_SIZE, PUD_SIZE, w->pmd_va);
		w->pmd_va = va;
		w->pte_va = -1;
	} else {
		place(l, e, va, w->pmd_va, PUD_SIZE, PMD_SIZE, w->pte_va);
		w->pte_va = va;
		for (int i = 0; i < 2; i++)
			if (va == (long)(range + i * PMD_SIZE))
				p->writer_used[i] = (int)used;
	}
}

static void check_line(const char *l, const char *e, struct walk *w, struct parsed *p)
{
	while (*l == ' ')
		l++;
	if (starts(l, "pgd")) {
		if (p->tables)
			BAD(l, e, "the pgd is not the first table");
		p->tables++;
	} else if (starts(l, "pud") || starts(l, "pmd") || starts(l, "pte")) {
		check_table_line(l, e, w, p);
	} else if (starts(l, "huge")) {
		long va = field(l, e, "va");
		place(l, e, va, w->pmd_va, PUD_SIZE, PMD_SIZE, w->pte_va);   /* in the PTEs' place */
		w->pte_va = va;
		p->coll_huge |= va == (long)coll;
		p->huge++;
	} else if (starts(l, "pending")) {
		if (has(l, e, "untracked"))
			p->untracked = true;
		else if (has(l, e, "wait=flush") || has(l, e, "wait=gp") || has(l, e, "wait=callback"))
			p->pending++;
		else
			BAD(l, e, "a pending line without wait=");
	} else if (!strncmp(l, "ptdump: end ", 12)) {
		p->end_tables = field(l, e, "tables");
		p->end_huge = field(l, e, "huge");
		p->end_pending = field(l, e, "pending");
		p->raced = field(l, e, "raced");
		p->end_truncated = field(l, e, "truncated");
	} else {
		BAD(l, e, "an unknown line");
	}
}

/* Parses and checks one dump (the whole file, as text). */
static struct parsed parse_dump(const char *text)
{
	struct parsed p = { .end_tables = -1, .writer_used = { -1, -1 } };
	struct walk w = { -1, -1, -1 };
	const char *l = text, *e = strchr(l, '\n');
	char want[64];

	snprintf(want, sizeof(want), "ptdump: begin pid=%ld ", sys_getpid());
	if (!e || strncmp(l, want, strlen(want)))
		check_fail(__FILE__, __LINE__, "the dump does not begin with '%s'", want);
	p.ptcheck = has(l, e, "ptcheck=on");
	for (l = e + 1; *l; l = e + 1) {
		e = strchr(l, '\n');
		if (!e)
			check_fail(__FILE__, __LINE__, "the dump's last line has no newline");
		check_line(l, e, &w, &p);
	}
	if (p.end_tables < 0)
		check_fail(__FILE__, __LINE__, "no 'ptdump: end' line");
	CHECK_EQ(p.tables, p.end_tables);
	CHECK_EQ(p.huge, p.end_huge);
	CHECK_EQ(p.pending, p.end_pending);
	CHECK_EQ(p.end_truncated, 0);
	CHECK(p.ptcheck != p.untracked);     /* pending tables are known iff ptcheck is on */
	return p;
}

static long read_dump(void)
{
	return proc_read("/proc/self/pagetable", dump, sizeof(dump));
}

/* /proc/<own pid>/pagetable is the same file; another pid is no process at all. */
static void check_pid_paths(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/pagetable", sys_getpid());
	CHECK(proc_read(path, dump, sizeof(dump)) > 0);
	parse_dump(dump);                          /* begins with our pid */
	snprintf(path, sizeof(path), "/proc/%ld/pagetable", sys_getpid() + 1000);
	CHECK_ERRNO(sys_open(path, O_RDONLY), ENOENT);
}

/* Dumps while the threads run; returns the raced total. */
static long dump_while_racing(void)
{
	long raced = 0;
	int n = 0, huge_seen = 0;

	/* --injected: until a dump walked again after a hold that a PMD change ended. */
	while (n < (injected ? MAX_DUMPS : DUMPS) &&
	       !(injected && raced && vmstat("fault_inject_ptdump_walk_events") > 0)) {
		/* Without injection: one drop at least between two dumps. */
		int seen = __atomic_load_n(&dropper_rounds, __ATOMIC_SEQ_CST), now;
		while (!injected && (now = __atomic_load_n(&dropper_rounds, __ATOMIC_SEQ_CST)) == seen)
			futex_wait(&dropper_rounds, now, NULL);
		CHECK(read_dump() > 0);
		struct parsed p = parse_dump(dump);
		CHECK_EQ(p.writer_used[0], PAGES_PER_TABLE);
		CHECK_EQ(p.writer_used[1], PAGES_PER_TABLE);
		raced += p.raced;
		huge_seen += p.coll_huge;
		n++;
	}
	check_section("%d dumps while the writers made %ld and %ld rounds and the dropper %d: "
		      "%ld walked again after a reclaim (raced)", n, writer_rounds[0],
		      writer_rounds[1], dropper_rounds, raced);
	check_section("the dropper collapsed its block %ld times (%ld refused); %d dumps "
		      "showed it as a huge PMD", collapsed, collapse_refused, huge_seen);
	return raced;
}

/* The before/after pair, printed for tools/ptdump. */
static void dump_before_after(void)
{
	fill_drop_table();
	CHECK(read_dump() > 0);
	struct parsed before = parse_dump(dump);
	long reclaimed0 = vmstat("pt_reclaim_fast") + vmstat("pt_reclaim_slow");
	printf("ptdump: title before: %d pages in the table at %p\n", DROP_PAGES, (void *)DROP_ADDR);
	printf("%s", dump);
	CHECK_OK(sys_madvise(DROP_ADDR, PMD_SIZE, MADV_DONTNEED));
	CHECK(read_dump() > 0);
	struct parsed after = parse_dump(dump);
	printf("ptdump: title after: MADV_DONTNEED of all of them (the table is reclaimed, R6)\n");
	printf("%s", dump);
	long reclaimed = vmstat("pt_reclaim_fast") + vmstat("pt_reclaim_slow") - reclaimed0;
	check_section("DONTNEED of the dropper's table: %ld reclaimed, the dump lost %ld table(s), "
		      "%ld pending", reclaimed, before.tables - after.tables, after.pending);
	CHECK_EQ(before.tables - after.tables, reclaimed);   /* a reclaimed table left the tree */
	CHECK_EQ(before.coll_huge, last_collapse_ok);      /* the collapsed block: one huge line */
	CHECK_EQ(after.coll_huge, last_collapse_ok);
}

int main(int argc, char **argv)
{
	struct thread *t[3];

	injected = argc > 1 && !strcmp(argv[1], "--injected");
	if (argc > 1 && !injected)
		check_fail(__FILE__, __LINE__, "unknown argument '%s'", argv[1]);
	pin_to_cpu(0);
	char *map = (char *)CHECK_OK(sys_mmap(0, 4 * PMD_SIZE, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	range = (char *)(((unsigned long)map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	coll = range + 2 * PMD_SIZE;           /* no advice: small pages until collapsed */
	CHECK_OK(sys_madvise(range, 2 * PMD_SIZE, MADV_NOHUGEPAGE));
	memset(range, 0xa5, 2 * PMD_SIZE);           /* the writers' tables, full */
	CHECK_EQ(sys_mmap(DROP_ADDR, PMD_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), (long)DROP_ADDR);
	CHECK_OK(sys_madvise(DROP_ADDR, PMD_SIZE, MADV_NOHUGEPAGE));
	bool have_dump = read_dump() >= 0;
	if (have_dump)
		check_pid_paths();

	CHECK(thread_create(&t[0], writer_main, (void *)0L) > 0);
	CHECK(thread_create(&t[1], writer_main, (void *)1L) > 0);
	CHECK(thread_create(&t[2], dropper_main, NULL) > 0);
	barrier_wait(&start_line);
	long raced = 0;
	if (have_dump) {
		raced = dump_while_racing();
	} else {
		check_section("no /proc/self/pagetable on this kernel: dumps skipped");
		sleep_ms(200);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(thread_join(t[i]), 0);
	if (injected) {
		long events = vmstat("fault_inject_ptdump_walk_events");
		check_section("fault injection: ptdump_walk ended %ld holds on a PMD change", events);
		CHECK(raced > 0);
		CHECK(events > 0);
	}
	if (have_dump)
		dump_before_after();
	CHECK_OK(sys_munmap(DROP_ADDR, PMD_SIZE));
	CHECK_OK(sys_munmap(map, 4 * PMD_SIZE));
	return check_pass();
}
