/*
 * pte_table_race - demand faults racing MADV_DONTNEED, munmap and mprotect
 * in one page-table page, from threads on up to 4 CPUs.
 *
 * The region is 512 pages, 2 MiB aligned: one PTE table maps all of it
 * (MADV_NOHUGEPAGE keeps Linux from using a huge page instead). It lies at
 * a fixed address in a 512 GiB slot of its own, so nothing else shares its
 * upper page tables.
 *
 * Each of 4 threads owns every 4th page: only the owner writes a page or
 * changes its mapping (munmap and mmap again, mprotect to read-only or
 * PROT_NONE and back). But any thread may MADV_DONTNEED any range at any
 * moment, the concurrency mm/madvise.c promises: DONTNEED holds mmap_lock
 * only for reading, so faults in the same table run meanwhile, and each
 * PTE is either zapped or faulted in afresh under its PTE lock.
 *
 * Half the DONTNEEDs aim at a page another thread is "watching": reading
 * over and over, so its CPU holds the translation while the zap's flush is
 * on its way (R2: until then the old page must still hold the old data;
 * suite race-r2-window widens that window with fault_inject=tlb_flush).
 *
 * So an owner knows what each byte of its pages may hold: what it wrote
 * last, or zero where a zap took the page; exactly zero after it mapped
 * the page afresh. Every byte read is checked against that, so a page that
 * went to the wrong place, an older generation, another page's data or a
 * freed page's poison is caught. At the end, with the threads joined, the
 * counters must balance: writing all 512 pages raises VmRSS by 512 pages,
 * DONTNEED of all brings it back, and the munmap makes VmPTE drop by the region's three page tables (PTE, PMD and PUD).
 */
#include "check.h"

#define NPAGES   512
#define LEN      (NPAGES * PAGE_SIZE)
#define REGION   ((unsigned char *)0x600000000000ul)   /* 96 TiB: nothing else near */
#define NTHREADS 4
#define OPS      150           /* per thread */

#define WATCH_PASSES 200        /* reads of a watched page, at most */

enum { OP_WRITE, OP_VERIFY, OP_WATCH, OP_DONTNEED, OP_REMAP, OP_READONLY, OP_PROTNONE,
       NR_OPS };
static const char *const op_name[NR_OPS] = {
	"write", "verify", "watch", "DONTNEED", "munmap+mmap", "mprotect RO", "mprotect NONE",
};

struct worker {
	int index, cpu;
	unsigned long rng;
	unsigned gen[NPAGES];      /* last generation written; owner's pages only */
	bool zero[NPAGES];         /* mapped afresh since: exactly zero */
	long ops[NR_OPS];
	long zapped_bytes;         /* bytes found zeroed by someone's DONTNEED */
	long watch_zapped;         /* watched pages zapped while we read them */
};

static struct worker workers[NTHREADS];
static int watching[NTHREADS];     /* atomic: the page a thread is watching, or -1 */
static struct barrier start_line = { .count = NTHREADS };

static unsigned long next_rand(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Page p in generation gen holds bytes that count up from a start that
 * depends on both, modulo 255, plus one: never zero, different for each
 * page and generation. ramp[] holds every such run, so a page's contents
 * are ramp + start, and it is written and compared a word at a time (the
 * byte loop would be slow under emulation).
 */
#define WORDS (PAGE_SIZE / sizeof(unsigned long))
typedef unsigned long unaligned_word __attribute__((aligned(1)));
static unsigned char ramp[PAGE_SIZE + 256];

static void ramp_init(void)
{
	for (unsigned i = 0; i < sizeof(ramp); i++)
		ramp[i] = (unsigned char)(i % 255 + 1);
}

static const unaligned_word *pattern(int p, unsigned gen)
{
	return (const unaligned_word *)(ramp + (p * 131u + gen * 29u) % 255u);
}

static unsigned long *page_at(int p)
{
	return (unsigned long *)(REGION + (long)p * PAGE_SIZE);
}

static void fill(int p, unsigned gen)
{
	unsigned long *page = page_at(p);
	const unaligned_word *want = pattern(p, gen);

	for (unsigned i = 0; i < WORDS; i++)
		page[i] = want[i];
}

/* A word that is neither: is each of its bytes the pattern's or zero? */
static bool bytes_ok(unsigned long v, unsigned long want, bool strict)
{
	for (int i = 0; i < 8; i++, v >>= 8, want >>= 8)
		if ((v & 0xff) != (want & 0xff) && (strict || (v & 0xff)))
			return false;
	return true;
}

/*
 * Every byte of page p as its owner expects it: the pattern it wrote or,
 * where a zap took the page, zero; only zero if it was mapped afresh.
 * strict: no zap can have happened (the threads are joined).
 */
static void verify(struct worker *w, int p, bool strict, const char *after)
{
	const volatile unsigned long *page = page_at(p);
	const unaligned_word *pat = pattern(p, w->gen[p]);

	for (unsigned i = 0; i < WORDS; i++) {
		unsigned long v = page[i], want = w->zero[p] ? 0 : pat[i];
		if (v == want)
			continue;
		if (v == 0 && !strict) {
			w->zapped_bytes += 8;
			continue;
		}
		if (!bytes_ok(v, want, strict))
			check_fail(__FILE__, __LINE__, "page %d bytes %u..%u after %s: 0x%lx, "
				   "expected 0x%lx%s", p, i * 8, i * 8 + 7, after, v, want,
				   strict ? "" : " (or zero bytes)");
	}
}

/*
 * Half the time, zap a page another thread is reading right now (its CPU
 * has it in the TLB until the flush); else a random range, now and then
 * the whole table.
 */
static void dontneed_anywhere(struct worker *w)
{
	unsigned long r = next_rand(&w->rng);
	int first = (int)(r % NPAGES), n = (int)((r >> 16) % 64) + 1;
	int other = __atomic_load_n(&watching[(w->index + 1 + r % (NTHREADS - 1)) % NTHREADS],
				    __ATOMIC_RELAXED);

	if ((r >> 40) % 2 && other >= 0) {
		first = other;
		n = 1;
	} else if ((r >> 32) % 16 == 0) {
		first = 0;
		n = NPAGES;
	}
	if (first + n > NPAGES)
		n = NPAGES - first;
	long ret = sys_madvise(page_at(first), (size_t)n * PAGE_SIZE, MADV_DONTNEED);
	/* ENOMEM: the range crossed a page its owner had just unmapped. */
	if (ret != 0 && ret != -ENOMEM)
		check_fail(__FILE__, __LINE__, "madvise(DONTNEED) of pages %d..%d: %ld %s",
			   first, first + n - 1, ret, errno_name(ret));
}

/*
 * Keep reading page p, the data written in it, while other threads may
 * zap it: until its first word reads zero (zapped, flushed, faulted in
 * afresh) or WATCH_PASSES. Until the zap's flush reaches this CPU, the
 * reads go through the stale TLB entry to the old page: it must still
 * hold our data, not a free page's poison (R2).
 */
static void watch(struct worker *w, int p)
{
	if (w->zero[p]) {
		w->gen[p]++;
		w->zero[p] = false;
		fill(p, w->gen[p]);
	}
	__atomic_store_n(&watching[w->index], p, __ATOMIC_RELAXED);
	for (int i = 0; i < WATCH_PASSES && *(volatile unsigned long *)page_at(p); i++)
		verify(w, p, false, "being watched");
	w->watch_zapped += *(volatile unsigned long *)page_at(p) == 0;
	__atomic_store_n(&watching[w->index], -1, __ATOMIC_RELAXED);
}

static void remap(struct worker *w, int p)
{
	CHECK_OK(sys_munmap(page_at(p), PAGE_SIZE));
	long a = sys_mmap(page_at(p), PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_EQ(a, (long)page_at(p));
	CHECK_OK(sys_madvise(page_at(p), PAGE_SIZE, MADV_NOHUGEPAGE));   /* merge back */
	w->zero[p] = true;
}

static void protect(struct worker *w, int p, int prot)
{
	CHECK_OK(sys_mprotect(page_at(p), PAGE_SIZE, prot));
	if (prot == PROT_READ)
		verify(w, p, false, "mprotect RO");   /* readable, same contents */
	CHECK_OK(sys_mprotect(page_at(p), PAGE_SIZE, PROT_READ | PROT_WRITE));
}

static void one_op(struct worker *w)
{
	unsigned long r = next_rand(&w->rng);
	int p = w->index + NTHREADS * (int)(r % (NPAGES / NTHREADS));
	int op = (int)((r >> 20) % NR_OPS);

	switch (op) {
	case OP_WRITE:
		w->gen[p]++;
		w->zero[p] = false;
		fill(p, w->gen[p]);
		break;
	case OP_WATCH:
		watch(w, p);
		break;
	case OP_DONTNEED:
		dontneed_anywhere(w);
		break;
	case OP_REMAP:
		remap(w, p);
		break;
	case OP_READONLY:
		protect(w, p, PROT_READ);
		break;
	case OP_PROTNONE:
		protect(w, p, PROT_NONE);
		break;
	}
	verify(w, p, false, op_name[op]);
	w->ops[op]++;
}

static int work(void *arg)
{
	struct worker *w = arg;

	if (pin_to_cpu(w->cpu) < 0)
		return 1;
	watching[w->index] = -1;
	for (int p = w->index; p < NPAGES; p += NTHREADS)
		w->zero[p] = true;                  /* never written: zero */
	barrier_wait(&start_line);
	for (int i = 0; i < OPS; i++)
		one_op(w);
	return 0;
}

/*
 * What the race made the kernel do, where /proc/vmstat has it (Quiesce;
 * -1 elsewhere): tables reclaimed by DONTNEED while faults ran, walks that
 * found their table reclaimed (R3), flushes held by fault_inject=tlb_flush.
 */
static const char *const counters[] = {
	"pt_reclaim_fast", "pt_reclaim_slow", "pt_reclaim_raced", "pt_reclaim_busy",
	"pte_map_retry", "fault_inject_tlb_flush_hits",
};
#define NR_COUNTERS ((int)(sizeof(counters) / sizeof(counters[0])))
static long counter0[NR_COUNTERS];

/* VmRSS is exact on Quiesce; older Linux folds it in lazily (check.h). */
static long rss_slack_kb(void)
{
	struct utsname u;

	if (sys_uname(&u) == 0 && strstr(u.release, "quiesce"))
		return 0;
	return RSS_SLACK_PAGES * KB_PER_PAGE;
}

static long labs_(long x)
{
	return x < 0 ? -x : x;
}

/*
 * The threads are joined: write every page once more and account for it.
 * The region's page tables are a PTE, a PMD and a PUD table of its own
 * (it is alone in its 512 GiB slot): the munmap must give all three back.
 */
static void check_balance(void)
{
	static struct worker all;               /* one owner for every page now */
	long slack = rss_slack_kb();

	CHECK_OK(sys_madvise(REGION, LEN, MADV_DONTNEED));
	long rss0 = proc_status_kb("VmRSS");
	for (int p = 0; p < NPAGES; p++)
		fill(p, all.gen[p] = 1000 + p);
	long rss1 = proc_status_kb("VmRSS"), pte1 = proc_status_kb("VmPTE");
	for (int p = 0; p < NPAGES; p++)
		verify(&all, p, true, "the race");
	CHECK_OK(sys_madvise(REGION, LEN, MADV_DONTNEED));
	long rss2 = proc_status_kb("VmRSS");
	CHECK_OK(sys_munmap(REGION, LEN));
	long pte2 = proc_status_kb("VmPTE");

	check_section("all %d pages written: VmRSS +%ld kB; all DONTNEED: -%ld kB; "
		      "munmap: VmPTE %ld -> %ld kB", NPAGES, rss1 - rss0, rss1 - rss2, pte1, pte2);
	CHECK(labs_(rss1 - rss0 - NPAGES * KB_PER_PAGE) <= slack);
	CHECK(labs_(rss2 - rss0) <= slack);
	CHECK_EQ(pte1 - pte2, 3 * KB_PER_PAGE);
}

int main(void)
{
	static int cpus[CPU_MAX];
	static struct thread *t[NTHREADS];
	int n = cpu_allowed(cpus, CPU_MAX);

	CHECK(n >= 1);
	ramp_init();
	long a = sys_mmap(REGION, LEN, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_EQ(a, (long)REGION);
	CHECK_OK(sys_madvise(REGION, LEN, MADV_NOHUGEPAGE));

	for (int i = 0; i < NR_COUNTERS; i++)
		counter0[i] = vmstat(counters[i]);
	check_section("%d threads on %d CPUs, %d operations each, in one PTE table",
		      NTHREADS, n < NTHREADS ? n : NTHREADS, OPS);
	for (int i = 0; i < NTHREADS; i++) {
		workers[i].index = i;
		workers[i].cpu = cpus[i % n];
		workers[i].rng = 0x9e3779b97f4a7c15ul * (unsigned long)(i + 1);
		CHECK(thread_create(&t[i], work, &workers[i]) > 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(thread_join(t[i]), 0);
	for (int i = 0; i < NTHREADS; i++) {
		struct worker *w = &workers[i];
		printf("# thread %d (CPU %d): %ld writes, %ld verifies, %ld watches, %ld DONTNEEDs, "
		       "%ld remaps, %ld RO, %ld NONE; %ld bytes found zapped, %ld watched pages zapped\n", i, w->cpu,
		       w->ops[OP_WRITE], w->ops[OP_VERIFY], w->ops[OP_WATCH], w->ops[OP_DONTNEED],
		       w->ops[OP_REMAP], w->ops[OP_READONLY], w->ops[OP_PROTNONE], w->zapped_bytes,
		       w->watch_zapped);
	}
	for (int i = 0; i < NR_COUNTERS; i++)
		if (counter0[i] >= 0)
			printf("# %s +%ld\n", counters[i], vmstat(counters[i]) - counter0[i]);
	check_balance();
	return check_pass();
}
