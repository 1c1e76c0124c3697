/*
 * thp_fault - transparent huge pages: the fault, zap and split, every byte
 * checked, and the accounting Linux shows.
 *
 * Eight 2 MiB-aligned blocks of a MADV_HUGEPAGE mapping are written once
 * each. Where the kernel has THP (/sys/kernel/mm/transparent_hugepage/enabled
 * says madvise or always), each write maps a whole block with one huge
 * page: AnonHugePages (smaps_rollup) and VmRSS grow by 2 MiB a block, and
 * VmPTE by 4 kB a block (the PTE table deposited with each huge PMD, so a
 * split never allocates). Then, on the blocks in turn:
 *
 *   DONTNEED of one page    splits the block: 2 MiB less AnonHugePages,
 *                           4 kB less VmRSS, VmPTE unchanged (the deposit
 *                           became the table), the other 511 pages intact
 *   munmap of half a block  splits it, the other half intact
 *   mprotect of one page    splits it (the VMA is split), data intact;
 *                           of a whole block, keeps it huge
 *   DONTNEED of a block     no split: 2 MiB and the deposit's 4 kB go; a
 *                           read then maps the huge zero page (where
 *                           use_zero_page says 1): no memory but a deposit,
 *                           and a write replaces it with a huge page
 *
 * thp_fault_alloc and thp_split_pmd (/proc/vmstat) move by at least what
 * this program did (other processes may add to them on Linux). Without THP
 * the same steps run and only the data and "no huge page" are checked.
 */
#include "check.h"

#define PMD_SIZE (2UL << 20)
#define BLOCKS 8
#define KB(x) ((long)(x) >> 10)
#define SLACK_KB 16                   /* stack pages the /proc readers may touch */

static char *base;
static bool thp;                      /* the kernel maps huge pages here */
static bool huge_zero;                /* ... and maps a read with its huge zero page */

static unsigned long word_at(unsigned long addr)
{
	return addr * 0x9e3779b97f4a7c15UL ^ 0x5a5a5a5a5a5a5a5aUL;
}

static void fill(char *p, unsigned long len)
{
	for (unsigned long *w = (unsigned long *)p; (char *)w < p + len; w++)
		*w = word_at((unsigned long)w);
}

/* Every word of [p, p + len) holds its pattern, or 0 inside [hole, hole_end). */
static void verify(const char *p, unsigned long len, const char *hole, const char *hole_end)
{
	for (const unsigned long *w = (const unsigned long *)p; (const char *)w < p + len; w++) {
		bool zero = (const char *)w >= hole && (const char *)w < hole_end;
		unsigned long want = zero ? 0 : word_at((unsigned long)w);
		if (*w != want)
			check_fail(__FILE__, __LINE__, "word at %p is 0x%lx, expected 0x%lx", (void *)w,
				   *w, want);
	}
	check_counted();
}

static long huge_kb(void) { return smaps_rollup_kb("AnonHugePages"); }
static long rss_kb(void) { return proc_status_kb("VmRSS"); }
static long pte_kb(void) { return proc_status_kb("VmPTE"); }

#define CHECK_NEAR(got, want) CHECK((got) >= (want) - SLACK_KB && (got) <= (want) + SLACK_KB)

/* Write one byte in each block: a huge page each where THP is on. */
static void fault_blocks(void)
{
	long huge0 = huge_kb(), rss0 = rss_kb(), pte0 = pte_kb(), alloc0 = vmstat("thp_fault_alloc");

	for (int i = 0; i < BLOCKS; i++)
		base[i * PMD_SIZE + 123] = 1;
	long huge1 = huge_kb(), rss1 = rss_kb(), pte1 = pte_kb(), alloc1 = vmstat("thp_fault_alloc");
	check_section("%d write faults: AnonHugePages %ld kB, VmRSS %ld kB, VmPTE %ld kB, "
		      "thp_fault_alloc %ld", BLOCKS, huge1 - huge0, rss1 - rss0, pte1 - pte0,
		      alloc1 - alloc0);
	if (!thp) {
		CHECK_EQ(huge1, huge0);
		CHECK_NEAR(rss1 - rss0, BLOCKS * 4);
		return;
	}
	CHECK_EQ(huge1 - huge0, BLOCKS * KB(PMD_SIZE));
	CHECK_NEAR(rss1 - rss0, BLOCKS * KB(PMD_SIZE));
	/* a deposited PTE table per block, and perhaps a PMD table for the range */
	CHECK(pte1 - pte0 >= BLOCKS * 4 && pte1 - pte0 <= BLOCKS * 4 + 8);
	CHECK(alloc1 - alloc0 >= BLOCKS);
	CHECK(meminfo_kb("AnonHugePages") >= BLOCKS * KB(PMD_SIZE));
}

/* Expected changes of AnonHugePages, VmRSS, VmPTE (kB) and thp_split_pmd around op. */
struct delta { long huge, rss, pte, split; };

static void expect(const char *what, struct delta d0, struct delta want)
{
	struct delta d1 = { huge_kb(), rss_kb(), pte_kb(), vmstat("thp_split_pmd") };

	check_section("%s: AnonHugePages %ld kB, VmRSS %ld kB, VmPTE %ld kB, thp_split_pmd %ld",
		      what, d1.huge - d0.huge, d1.rss - d0.rss, d1.pte - d0.pte, d1.split - d0.split);
	if (!thp)
		return;                       /* data only: see the callers */
	CHECK_EQ(d1.huge - d0.huge, want.huge);
	CHECK_NEAR(d1.rss - d0.rss, want.rss);
	CHECK_EQ(d1.pte - d0.pte, want.pte);
	CHECK(d1.split - d0.split >= want.split);
}

static struct delta now(void)
{
	return (struct delta){ huge_kb(), rss_kb(), pte_kb(), vmstat("thp_split_pmd") };
}

int main(void)
{
	const char *mode = thp_enabled();
	char *map = (char *)CHECK_OK(sys_mmap(0, (BLOCKS + 1) * PMD_SIZE, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	base = (char *)(((unsigned long)map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	CHECK_OK(sys_madvise(base, BLOCKS * PMD_SIZE, MADV_HUGEPAGE));
	thp = mode && strcmp(mode, "never") != 0;
	char zero[8] = "";
	proc_read("/sys/kernel/mm/transparent_hugepage/use_zero_page", zero, sizeof(zero));
	huge_zero = thp && zero[0] == '1';
	long fallback0 = vmstat("thp_fault_fallback");
	check_section("THP %s", mode ? mode : "not in this kernel");
	long huge_start = now().huge;         /* also warms the readers' stack */

	fault_blocks();
	if (thp && vmstat("thp_fault_fallback") != fallback0) {
		check_section("no huge page to be had (thp_fault_fallback moved): data only");
		thp = false;
	}
	fill(base, BLOCKS * PMD_SIZE);
	verify(base, BLOCKS * PMD_SIZE, 0, 0);

	struct delta d = now();
	char *b1 = base + PMD_SIZE;
	CHECK_OK(sys_madvise(b1 + 100 * 4096, 4096, MADV_DONTNEED));
	expect("DONTNEED of one page", d, (struct delta){ -KB(PMD_SIZE), -4, 0, 1 });
	verify(b1, PMD_SIZE, b1 + 100 * 4096, b1 + 101 * 4096);

	d = now();
	char *b2 = base + 2 * PMD_SIZE;
	CHECK_OK(sys_munmap(b2 + PMD_SIZE / 2, PMD_SIZE / 2));
	expect("munmap of half a block", d, (struct delta){ -KB(PMD_SIZE), -KB(PMD_SIZE) / 2, 0, 1 });
	verify(b2, PMD_SIZE / 2, 0, 0);

	d = now();
	char *b3 = base + 3 * PMD_SIZE;
	CHECK_OK(sys_mprotect(b3 + 7 * 4096, 4096, PROT_READ));
	expect("mprotect of one page", d, (struct delta){ -KB(PMD_SIZE), 0, 0, 1 });
	verify(b3, PMD_SIZE, 0, 0);

	d = now();
	char *b4 = base + 4 * PMD_SIZE;
	CHECK_OK(sys_mprotect(b4, PMD_SIZE, PROT_READ));
	expect("mprotect of a whole block", d, (struct delta){ 0, 0, 0, 0 });
	verify(b4, PMD_SIZE, 0, 0);

	d = now();
	char *b5 = base + 5 * PMD_SIZE;
	CHECK_OK(sys_madvise(b5, PMD_SIZE, MADV_DONTNEED));
	expect("DONTNEED of a whole block", d, (struct delta){ -KB(PMD_SIZE), -KB(PMD_SIZE), -4, 0 });
	if (huge_zero) {
		/* Reading it again maps the huge zero page: no memory, a deposit. */
		d = now();
		verify(b5, PMD_SIZE, b5, b5 + PMD_SIZE);
		expect("read of the zapped block", d, (struct delta){ 0, 0, 4, 0 });
		b5[4096] = 1;
		expect("then a write to it", d, (struct delta){ KB(PMD_SIZE), KB(PMD_SIZE), 4, 0 });
		b5[4096] = 0;
	}
	verify(b5, PMD_SIZE, b5, b5 + PMD_SIZE);
	verify(base + 6 * PMD_SIZE, 2 * PMD_SIZE, 0, 0);   /* untouched blocks kept everything */
	verify(base, PMD_SIZE, 0, 0);

	d = now();
	CHECK_OK(sys_munmap(map, (BLOCKS + 1) * PMD_SIZE));
	long huge_end = huge_kb();
	check_section("munmap of everything: AnonHugePages %ld kB", huge_end - d.huge);
	CHECK_EQ(huge_end, huge_start);
	return check_pass();
}
