/*
 * thp_collapse - MADV_COLLAPSE: small pages become one huge page with every
 * byte kept, and the errors are Linux's.
 *
 * A block of which some pages were written, one only read and the rest
 * never touched collapses into one huge page: AnonHugePages (smaps_rollup)
 * grows by 2 MiB, VmRSS to the whole block, VmPTE stays (the table the
 * collapse takes away is replaced by the one it deposits), thp_collapse_alloc
 * moves, and every byte reads as before: written ones as written, the rest
 * zero. Then the errors, each measured on Linux 6.18 with these calls:
 *
 *   EINVAL  a block never touched; any block of a VMA where no page was ever
 *           written (Linux: the VMA has no anon_vma), even one read; an
 *           unaligned start; a range inside one block; a MADV_NOHUGEPAGE
 *           VMA; a VMA with no room for an aligned block
 *   ENOMEM  a hole in the range (the blocks around it still collapse)
 *   0       a block already huge; a range that covers no whole block
 *           without lying inside one
 *
 * Under thp=always a write fault maps a whole block huge, so the blocks are
 * first split back into small pages (a DONTNEED of their unwritten part),
 * and a block only read is not tried (Linux maps its huge zero page there).
 * A kernel without THP (no /sys/kernel/mm/transparent_hugepage/enabled)
 * does not know the advice: EINVAL for every call, which is checked.
 */
#include "check.h"

#define PMD_SIZE (2UL << 20)
#define PAGE 4096UL
#define KB(x) ((long)(x) >> 10)
#define WRITTEN 64L                       /* pages written in the block collapsed */

static unsigned long word_at(unsigned long addr)
{
	return addr * 0x9e3779b97f4a7c15UL ^ 0xa5a5a5a5a5a5a5a5UL;
}

static void fill(char *p, unsigned long len)
{
	for (unsigned long *w = (unsigned long *)p; (char *)w < p + len; w++)
		*w = word_at((unsigned long)w);
}

/* Every word of [p, p + len): its pattern below zero_from, 0 from there on. */
static void verify(const char *p, unsigned long len, const char *zero_from)
{
	for (const unsigned long *w = (const unsigned long *)p; (const char *)w < p + len; w++) {
		unsigned long want = (const char *)w >= zero_from ? 0 : word_at((unsigned long)w);
		if (*w != want)
			check_fail(__FILE__, __LINE__, "word at %p is 0x%lx, expected 0x%lx", (void *)w,
				   *w, want);
	}
	check_counted();
}

static bool always;                    /* thp=always: every write fault in a block maps it huge */

/*
 * Write [p, p + len) at the start of a block, in small pages: under
 * "always" the first write maps the whole block with a huge page, which a
 * DONTNEED of the rest of the block splits (thp_split_pmd) into the same
 * small pages a "madvise" kernel made.
 */
static void write_small(char *p, unsigned long len)
{
	fill(p, len);
	if (always)
		CHECK_OK(sys_madvise(p + len, PMD_SIZE - len, MADV_DONTNEED));
}

/* blocks 2 MiB blocks, the first 2 MiB aligned, in a mapping one block longer (*map). */
static char *map_blocks(int blocks, char **map)
{
	*map = (char *)CHECK_OK(sys_mmap(0, (blocks + 1) * PMD_SIZE, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	return (char *)(((unsigned long)*map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
}

static void collapse_one_block(void)
{
	char *map, *b = map_blocks(1, &map);
	write_small(b, WRITTEN * PAGE);
	volatile char sink = b[WRITTEN * PAGE + 5];      /* one page only read: the zero page */
	(void)sink;
	long huge0 = smaps_rollup_kb("AnonHugePages"), rss0 = proc_status_kb("VmRSS");
	long pte0 = proc_status_kb("VmPTE"), alloc0 = vmstat("thp_collapse_alloc");

	CHECK_OK(sys_madvise(b, PMD_SIZE, MADV_COLLAPSE));
	long huge1 = smaps_rollup_kb("AnonHugePages"), rss1 = proc_status_kb("VmRSS");
	long pte1 = proc_status_kb("VmPTE"), alloc1 = vmstat("thp_collapse_alloc");
	check_section("collapse of %ld written pages: AnonHugePages %ld kB, VmRSS %ld kB, "
		      "VmPTE %ld kB, thp_collapse_alloc %ld", WRITTEN, huge1 - huge0, rss1 - rss0,
		      pte1 - pte0, alloc1 - alloc0);
	CHECK_EQ(huge1 - huge0, KB(PMD_SIZE));
	CHECK(rss1 - rss0 >= KB(PMD_SIZE) - WRITTEN * 4 - 16 &&
	      rss1 - rss0 <= KB(PMD_SIZE) - WRITTEN * 4 + 16);
	CHECK_EQ(pte1, pte0);
	CHECK(alloc1 - alloc0 >= 1);
	verify(b, PMD_SIZE, b + WRITTEN * PAGE);
	CHECK_EQ(sys_madvise(b, PMD_SIZE, MADV_COLLAPSE), 0);           /* already huge */
	CHECK_EQ(smaps_rollup_kb("AnonHugePages"), huge1);

	/* Still a huge page like any other: a DONTNEED of one page splits it. */
	CHECK_OK(sys_madvise(b + PAGE, PAGE, MADV_DONTNEED));
	CHECK_EQ(smaps_rollup_kb("AnonHugePages"), huge0);
	verify(b, PAGE, b + PMD_SIZE);
	verify(b + PAGE, PAGE, b);
	verify(b + 2 * PAGE, PMD_SIZE - 2 * PAGE, b + WRITTEN * PAGE);
	CHECK_OK(sys_munmap(map, 2 * PMD_SIZE));
}

static void errors(void)
{
	char *map, *b = map_blocks(4, &map);
	char *b0 = b, *b1 = b + PMD_SIZE, *b2 = b1 + PMD_SIZE, *b3 = b2 + PMD_SIZE;

	CHECK_ERRNO(sys_madvise(b0, PMD_SIZE, MADV_COLLAPSE), EINVAL);     /* never touched */
	if (!always) {
		/* Only read, in a VMA where no page was ever written (Linux: no anon_vma).
		 * Under "always" the read would map a huge page (Linux: the huge zero page). */
		volatile char sink = b1[5 * PAGE];
		(void)sink;
		CHECK_ERRNO(sys_madvise(b1, PMD_SIZE, MADV_COLLAPSE), EINVAL);
	}
	write_small(b0, 4 * PAGE);
	CHECK_ERRNO(sys_madvise(b0 + 1, PAGE, MADV_COLLAPSE), EINVAL);
	CHECK_ERRNO(sys_madvise(b0 + PAGE, PAGE, MADV_COLLAPSE), EINVAL);  /* inside one block */
	CHECK_EQ(sys_madvise(b0 + PAGE, PMD_SIZE, MADV_COLLAPSE), 0);      /* covers no block */
	CHECK_EQ(sys_madvise(b0, PMD_SIZE + PMD_SIZE / 2, MADV_COLLAPSE), 0);  /* b0 alone */
	long huge0 = smaps_rollup_kb("AnonHugePages");
	/* b0 already huge; b1 (only read, or one page written) goes too. */
	if (always)
		write_small(b1, PAGE);
	CHECK_EQ(sys_madvise(b0, 2 * PMD_SIZE, MADV_COLLAPSE), 0);
	CHECK_EQ(smaps_rollup_kb("AnonHugePages") - huge0, KB(PMD_SIZE));
	verify(b1, PMD_SIZE, always ? b1 + PAGE : b1);
	verify(b0, PMD_SIZE, b0 + 4 * PAGE);
	CHECK_ERRNO(sys_madvise(b0, 3 * PMD_SIZE, MADV_COLLAPSE), EINVAL); /* b2 never touched */

	CHECK_OK(sys_munmap(b2, PMD_SIZE));
	write_small(b3, PAGE);
	CHECK_ERRNO(sys_madvise(b1, 3 * PMD_SIZE, MADV_COLLAPSE), ENOMEM);  /* hole: b2 */
	CHECK_EQ(smaps_rollup_kb("AnonHugePages") - huge0, 2 * KB(PMD_SIZE));  /* b3 went */
	verify(b3, PMD_SIZE, b3 + PAGE);

	CHECK_OK(sys_madvise(b3, PMD_SIZE, MADV_DONTNEED));
	write_small(b3, PAGE);
	CHECK_OK(sys_madvise(b3, PMD_SIZE, MADV_NOHUGEPAGE));
	CHECK_ERRNO(sys_madvise(b3, PMD_SIZE, MADV_COLLAPSE), EINVAL);
	CHECK_OK(sys_munmap(map, 5 * PMD_SIZE));

	/* A lone VMA of 2 MiB that starts 4 kB past a boundary has no aligned block in it. */
	char *odd = (char *)CHECK_OK(sys_mmap(b + PAGE, PMD_SIZE, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	fill(odd, PAGE);
	CHECK_ERRNO(sys_madvise(odd, PMD_SIZE, MADV_COLLAPSE), EINVAL);
	CHECK_OK(sys_munmap(odd, PMD_SIZE));
}

int main(void)
{
	const char *mode = thp_enabled();

	check_section("THP %s", mode ? mode : "not in this kernel");
	proc_status_kb("VmRSS");              /* the /proc readers' stack, before any count */
	if (!mode) {
		char *map, *b = map_blocks(1, &map);
		fill(b, PAGE);
		CHECK_ERRNO(sys_madvise(b, PMD_SIZE, MADV_COLLAPSE), EINVAL);
		return check_pass();
	}
	always = !strcmp(mode, "always");
	collapse_one_block();
	errors();
	return check_pass();
}
