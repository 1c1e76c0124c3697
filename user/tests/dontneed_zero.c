/*
 * dontneed_zero - MADV_DONTNEED throws away the pages of a range: they read
 * as zeros afterwards (anonymous private memory is refilled on the next
 * touch, not restored) and VmRSS drops by what was freed. Only the advised
 * range changes. And madvise refuses what Linux refuses: an unaligned start
 * or unknown advice with EINVAL, a range that is not fully mapped with
 * ENOMEM (after still advising the mapped parts).
 *
 * This is the call whose zap can leave a page-table page empty. What the
 * kernel does with such a table differs (Linux 6.13+ with CONFIG_PT_RECLAIM
 * frees it, older Linux keeps it), so VmPTE is checked for what holds
 * either way: the written range needed its PTE tables, a zap never adds
 * one, and touching the range again brings VmPTE back to where it was.
 */
#include "check.h"

#define NPAGES 1024
#define LEN (NPAGES * PAGE_SIZE)
/* A PTE table maps 512 pages: the range needs at least this many. */
#define PTE_TABLES_AT_LEAST (NPAGES / 512)

static bool all_bytes(const char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

static void check_whole_range(char *p)
{
	memset(p, 'x', LEN);
	long rss0 = proc_status_kb("VmRSS"), pte0 = proc_status_kb("VmPTE");
	CHECK_OK(sys_madvise(p, LEN, MADV_DONTNEED));
	long rss1 = proc_status_kb("VmRSS"), pte1 = proc_status_kb("VmPTE");

	check_section("DONTNEED of %d written pages: VmRSS -%ld kB, VmPTE %ld -> %ld kB (%s)",
		      NPAGES, rss0 - rss1, pte0, pte1,
		      pte1 < pte0 ? "empty tables freed" : "tables kept");
	CHECK(rss0 - rss1 >= (NPAGES - RSS_SLACK_PAGES) * KB_PER_PAGE);
	CHECK(all_bytes(p, LEN, 0));
	CHECK(pte0 >= PTE_TABLES_AT_LEAST * KB_PER_PAGE);
	CHECK(pte1 >= 0 && pte1 <= pte0);
	memset(p, 'x', LEN);
	long pte2 = proc_status_kb("VmPTE");
	check_section("written again: VmPTE %ld kB", pte2);
	CHECK_EQ(pte2, pte0);
}

static void check_part(char *p)
{
	check_section("DONTNEED of the middle: only the middle reads zeros");
	memset(p, 'y', LEN);
	CHECK_OK(sys_madvise(p + PAGE_SIZE, LEN - 2 * PAGE_SIZE, MADV_DONTNEED));
	CHECK(all_bytes(p, PAGE_SIZE, 'y'));
	CHECK(all_bytes(p + PAGE_SIZE, LEN - 2 * PAGE_SIZE, 0));
	CHECK(all_bytes(p + LEN - PAGE_SIZE, PAGE_SIZE, 'y'));

	check_section("an unaligned length is rounded up to whole pages");
	memset(p, 'z', 3 * PAGE_SIZE);
	CHECK_OK(sys_madvise(p, PAGE_SIZE + 1, MADV_DONTNEED));
	CHECK(all_bytes(p, 2 * PAGE_SIZE, 0));
	CHECK(all_bytes(p + 2 * PAGE_SIZE, PAGE_SIZE, 'z'));
}

static void check_errors(char *p)
{
	check_section("madvise errors as Linux: EINVAL, ENOMEM");
	memset(p, 'w', LEN);
	CHECK_ERRNO(sys_madvise(p + 1, PAGE_SIZE, MADV_DONTNEED), EINVAL);
	CHECK_ERRNO(sys_madvise(p, -PAGE_SIZE, MADV_DONTNEED), EINVAL);
	CHECK_ERRNO(sys_madvise(p, PAGE_SIZE, 999), EINVAL);
	CHECK_EQ(sys_madvise(p, 0, MADV_DONTNEED), 0);
	CHECK(all_bytes(p, LEN, 'w'));              /* none of that zapped */

	/* A hole in the middle: the mapped parts are zapped, then ENOMEM. */
	CHECK_OK(sys_munmap(p + 4 * PAGE_SIZE, PAGE_SIZE));
	CHECK_ERRNO(sys_madvise(p, 8 * PAGE_SIZE, MADV_DONTNEED), ENOMEM);
	CHECK(all_bytes(p, 4 * PAGE_SIZE, 0));
	CHECK(all_bytes(p + 5 * PAGE_SIZE, 3 * PAGE_SIZE, 0));
	CHECK(all_bytes(p + 8 * PAGE_SIZE, LEN - 8 * PAGE_SIZE, 'w'));

	check_section("MADV_HUGEPAGE and MADV_NOHUGEPAGE are accepted");
	CHECK_OK(sys_madvise(p, 4 * PAGE_SIZE, MADV_HUGEPAGE));
	CHECK_OK(sys_madvise(p, 4 * PAGE_SIZE, MADV_NOHUGEPAGE));
}

int main(void)
{
	char *p = (char *)CHECK_OK(map_anon(LEN, PROT_READ | PROT_WRITE));

	CHECK_OK(sys_madvise(p, LEN, MADV_NOHUGEPAGE));
	check_whole_range(p);
	check_part(p);
	check_errors(p);
	CHECK_OK(sys_munmap(p, LEN));
	return check_pass();
}
