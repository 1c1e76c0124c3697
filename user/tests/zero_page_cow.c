/*
 * zero_page_cow - demand paging of anonymous memory: reading untouched
 * memory maps the shared zero page (all zeros, no new memory: VmRSS hardly
 * moves), and the first write to each page copies it into a page of its own
 * (VmRSS grows by one page per page written, one more fault per page).
 *
 * Counted on /proc/self/status VmRSS and /proc/vmstat pgfault. pgfault is
 * system-wide, so only its lower bound is asserted. MADV_NOHUGEPAGE keeps
 * this about 4 KiB pages whatever the THP setting.
 *
 * Some hosts boot Linux with the zero page turned off (the PVM hypervisor's
 * pvm_no_zero_page=1): there a read fault allocates a page, so the checks
 * on memory use are made only where the zero page exists. Quiesce has no
 * /proc/cmdline, so on Quiesce every check is made.
 */
#include "check.h"

#define NPAGES 1024
#define SLACK (RSS_SLACK_PAGES * KB_PER_PAGE)

static bool has_zero_page(void)
{
	char cmdline[4096];

	if (proc_read("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return true;
	return !strstr(cmdline, "pvm_no_zero_page=1");
}

static long read_every_page(const volatile char *p)
{
	long sum = 0;

	for (int i = 0; i < NPAGES; i++)
		sum += p[i * PAGE_SIZE + i % PAGE_SIZE];
	return sum;
}

static void write_pages(volatile char *p, int step)
{
	for (int i = 0; i < NPAGES; i += step)
		p[i * PAGE_SIZE] = (char)(i | 1);
}

static void check_contents(const char *p)
{
	for (int i = 0; i < NPAGES; i++) {
		CHECK_EQ(p[i * PAGE_SIZE], i % 2 ? 0 : (char)(i | 1));
		CHECK_EQ(p[i * PAGE_SIZE + 1], 0);
	}
}

int main(void)
{
	bool zero_page = has_zero_page();
	char *p = (char *)CHECK_OK(map_anon(NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE));
	CHECK_OK(sys_madvise(p, NPAGES * PAGE_SIZE, MADV_NOHUGEPAGE));
	if (!zero_page)
		check_section("this kernel has no zero page: memory checks skipped");

	long rss0 = proc_status_kb("VmRSS"), faults0 = vmstat("pgfault");
	CHECK(rss0 > 0 && faults0 >= 0);
	long sum = read_every_page(p);
	long rss1 = proc_status_kb("VmRSS"), faults1 = vmstat("pgfault");
	check_section("read %d untouched pages: sum %ld, VmRSS +%ld kB, pgfault +%ld",
		      NPAGES, sum, rss1 - rss0, faults1 - faults0);
	CHECK_EQ(sum, 0);
	CHECK(faults1 - faults0 >= NPAGES);
	CHECK(!zero_page || rss1 - rss0 < SLACK);

	write_pages(p, 2);
	long rss2 = proc_status_kb("VmRSS"), faults2 = vmstat("pgfault");
	check_section("write every other page: VmRSS +%ld kB, pgfault +%ld",
		      rss2 - rss1, faults2 - faults1);
	CHECK(!zero_page || rss2 - rss1 >= NPAGES / 2 * KB_PER_PAGE - SLACK);
	CHECK(!zero_page || rss2 - rss1 <= NPAGES / 2 * KB_PER_PAGE + SLACK);
	CHECK(!zero_page || faults2 - faults1 >= NPAGES / 2);

	check_section("written pages hold their byte, the others still read 0");
	check_contents(p);

	write_pages(p, 1);
	long rss3 = proc_status_kb("VmRSS");
	check_section("write all pages: VmRSS +%ld kB more", rss3 - rss2);
	CHECK(!zero_page || rss3 - rss2 >= NPAGES / 2 * KB_PER_PAGE - SLACK);
	CHECK(rss3 - rss0 >= NPAGES * KB_PER_PAGE - SLACK);

	CHECK_OK(sys_munmap(p, NPAGES * PAGE_SIZE));
	long rss4 = proc_status_kb("VmRSS");
	check_section("munmap: VmRSS back to %ld kB", rss4);
	CHECK(rss4 < rss0 + SLACK);
	return check_pass();
}
