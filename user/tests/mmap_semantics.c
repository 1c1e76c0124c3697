/*
 * mmap_semantics - the address-space calls behave as Linux defines them for
 * anonymous private memory: placement hints, MAP_FIXED replacing what was
 * there, MAP_FIXED_NOREPLACE refusing to, 2 MiB alignment of mappings of
 * whole 2 MiB blocks, MAP_POPULATE and MAP_NORESERVE,
 * munmap and mprotect of part of a mapping (the VMA splits; the rest stays
 * usable), brk growing and shrinking, and the ENOMEM/EINVAL limits.
 *
 * Whether an address is mapped is asked without /proc/self/maps: a one-page
 * MAP_FIXED_NOREPLACE probe fails with EEXIST exactly when something is
 * mapped there. Touching unmapped memory is left to the segfault test.
 * Whether the kernel merges the pieces back after mprotect is not visible
 * this way; what is checked is that every piece behaves either way.
 */
#include "check.h"

#define PG PAGE_SIZE
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

static bool mapped(void *addr)
{
	long r = sys_mmap(addr, PG, PROT_NONE, ANON | MAP_FIXED_NOREPLACE, -1, 0);

	if (r == -EEXIST)
		return true;
	CHECK_EQ(r, (long)addr);
	CHECK_OK(sys_munmap(addr, PG));
	return false;
}

/* An address range known to be free: mapped, then unmapped again. */
static char *free_range(size_t len)
{
	char *p = (char *)CHECK_OK(map_anon(len, PROT_NONE));

	CHECK_OK(sys_munmap(p, len));
	return p;
}

static bool all_bytes(const char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

static void check_hints_and_fixed(void)
{
	char *r = free_range(16 * PG);

	check_section("a free hint is taken; a taken hint is not replaced");
	CHECK_EQ(sys_mmap(r, 4 * PG, RW, ANON, -1, 0), (long)r);
	memset(r, 'A', 4 * PG);
	long other = CHECK_OK(sys_mmap(r, 4 * PG, RW, ANON, -1, 0));
	CHECK(other != (long)r);
	CHECK(all_bytes(r, 4 * PG, 'A'));
	CHECK_OK(sys_munmap((void *)other, 4 * PG));

	check_section("MAP_FIXED replaces the middle of a mapping with zeros");
	CHECK_EQ(sys_mmap(r + PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0), (long)(r + PG));
	CHECK(all_bytes(r, PG, 'A'));
	CHECK(all_bytes(r + PG, 2 * PG, 0));
	CHECK(all_bytes(r + 3 * PG, PG, 'A'));

	check_section("MAP_FIXED_NOREPLACE: EEXIST on any overlap, else exact");
	CHECK_ERRNO(sys_mmap(r + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	CHECK_ERRNO(sys_mmap(r + 3 * PG, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
		    EEXIST);
	CHECK_EQ(sys_mmap(r + 8 * PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
		 (long)(r + 8 * PG));
	CHECK(all_bytes(r + PG, PG, 0));
	CHECK_OK(sys_munmap(r, 16 * PG));
	CHECK(!mapped(r) && !mapped(r + 8 * PG));
}

static void check_munmap_split(void)
{
	char *p = (char *)CHECK_OK(map_anon(3 * PG, RW));

	check_section("munmap of the middle page splits the mapping");
	memset(p, 'B', 3 * PG);
	CHECK_OK(sys_munmap(p + PG, PG));
	CHECK(mapped(p) && !mapped(p + PG) && mapped(p + 2 * PG));
	CHECK(all_bytes(p, PG, 'B') && all_bytes(p + 2 * PG, PG, 'B'));
	p[0] = p[3 * PG - 1] = 'C';           /* both halves still writable */
	CHECK_EQ(sys_munmap(p + PG, PG), 0);  /* unmapping a hole is no error */
	CHECK_EQ(sys_munmap(p, 3 * PG), 0);   /* nor is spanning one */
	CHECK(!mapped(p) && !mapped(p + 2 * PG));
}

static void check_mprotect_split(void)
{
	char *p = (char *)CHECK_OK(map_anon(3 * PG, RW));

	check_section("mprotect of the middle page, then back");
	memset(p, 'D', 3 * PG);
	CHECK_OK(sys_mprotect(p + PG, PG, PROT_READ));
	p[0] = p[2 * PG] = 'E';               /* the outer parts stay writable */
	CHECK(all_bytes(p + PG, PG, 'D'));    /* the middle stays readable */
	CHECK_OK(sys_mprotect(p + PG, PG, RW));
	p[PG] = 'E';
	CHECK(p[0] == 'E' && p[PG] == 'E' && p[2 * PG] == 'E');
	CHECK_OK(sys_mprotect(p, 3 * PG, PROT_READ));   /* across the old seams */
	CHECK_OK(sys_munmap(p + PG, PG));
	CHECK_ERRNO(sys_mprotect(p, 3 * PG, RW), ENOMEM); /* range has a hole */
	CHECK_OK(sys_munmap(p, 3 * PG));
}

static void check_populate_noreserve(void)
{
	size_t len = 1024 * PG;
	long rss = proc_status_kb("VmRSS");
	char *p = (char *)CHECK_OK(sys_mmap(0, len, RW, ANON | MAP_POPULATE, -1, 0));
	long grown = proc_status_kb("VmRSS") - rss;

	check_section("MAP_POPULATE of 1024 pages: VmRSS grew %ld kB", grown);
	CHECK(grown >= (1024 - RSS_SLACK_PAGES) * KB_PER_PAGE);
	CHECK(all_bytes(p, len, 0));
	CHECK_OK(sys_munmap(p, len));

	check_section("MAP_NORESERVE of 64 GiB, touched at both ends");
	len = 64UL << 30;
	char *q = (char *)CHECK_OK(sys_mmap(0, len, RW, ANON | MAP_NORESERVE, -1, 0));
	q[0] = q[len - 1] = 'F';
	CHECK(q[0] == 'F' && q[len - 1] == 'F' && q[len / 2] == 0);
	CHECK_OK(sys_munmap(q, len));
}

static void check_brk(void)
{
	long cur = sys_brk(0), len = 64 * 1024;
	char *p = (char *)cur;
	char *end = (char *)((cur + PG - 1) & ~(PG - 1));

	check_section("brk grows, shrinks, and grows again zeroed (break 0x%lx)", cur);
	CHECK(cur > 0);
	CHECK_EQ(sys_brk(p + len), cur + len);
	memset(p, 'G', len);
	CHECK(mapped(end));
	CHECK_EQ(sys_brk(p), cur);
	CHECK(!mapped(end));
	CHECK_EQ(sys_brk((void *)PG), cur);    /* below the start: refused */
	CHECK_EQ(sys_brk(p + len), cur + len);
	CHECK(all_bytes(end, p + len - end, 0));
	CHECK_EQ(sys_brk(p), cur);
}

#define PMD (2UL << 20)

/*
 * Linux 6.7 on (with 6.12's limit to whole PMDs): without a hint, a
 * mapping whose length is a multiple of 2 MiB starts on a 2 MiB boundary,
 * the highest that fits, so such mappings still pack top-down; other
 * lengths are placed as before, right below. A hint is taken as given.
 */
static void check_pmd_alignment(void)
{
	check_section("no hint, a multiple of 2 MiB: 2 MiB aligned, packed top-down");
	char *a = (char *)CHECK_OK(map_anon(2 * PMD, RW));
	char *b = (char *)CHECK_OK(map_anon(2 * PMD, RW));
	CHECK_EQ((unsigned long)a % PMD, 0);
	CHECK_EQ((unsigned long)b % PMD, 0);
	CHECK_EQ(b + 2 * PMD, a);

	check_section("other lengths are not padded: placed right below");
	char *c = (char *)CHECK_OK(map_anon(PMD + PG, RW));
	CHECK_EQ(c + PMD + PG, b);
	CHECK_OK(sys_munmap(a, 2 * PMD));
	CHECK_OK(sys_munmap(b, 2 * PMD));
	CHECK_OK(sys_munmap(c, PMD + PG));

	check_section("a free hint off the 2 MiB grid is taken as given");
	char *r = free_range(4 * PMD);
	char *hint = (char *)(((unsigned long)r + PMD - 1) & ~(PMD - 1)) + PG;
	CHECK_EQ(sys_mmap(hint, 2 * PMD, RW, ANON, -1, 0), (long)hint);
	CHECK_OK(sys_munmap(hint, 2 * PMD));
}

static void check_limits(void)
{
	char *top = (char *)0x7ffffffff000UL;   /* TASK_SIZE, end of user space */

	check_section("ENOMEM and EINVAL at the edges of the address space");
	CHECK_ERRNO(map_anon(1UL << 47, RW), ENOMEM);
	CHECK_ERRNO(map_anon(-PG, RW), ENOMEM);
	CHECK_ERRNO(sys_mmap(top - PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0), ENOMEM);
	CHECK_ERRNO(sys_munmap(top, PG), EINVAL);
	CHECK_ERRNO(sys_mprotect(free_range(PG), PG, PROT_READ), ENOMEM);
}

int main(void)
{
	check_hints_and_fixed();
	check_pmd_alignment();
	check_munmap_split();
	check_mprotect_split();
	check_populate_noreserve();
	check_brk();
	check_limits();
	return check_pass();
}
