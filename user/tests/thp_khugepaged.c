/*
 * thp_khugepaged - under thp=always, khugepaged collapses small pages into
 * huge ones behind the program's back, and every byte stays.
 *
 * Four 2 MiB blocks are written (a huge page each, thp=always) and then
 * split back into small pages by a DONTNEED of each block's upper half.
 * With nothing more from the program, khugepaged must collapse them again:
 * AnonHugePages (smaps_rollup) grows back by 8 MiB and
 * /sys/kernel/mm/transparent_hugepage/khugepaged/pages_collapsed by at
 * least 2048, the lower halves keep their bytes and the upper halves read
 * zero.
 *
 * The wait is for the event, up to a minute, and only where it can come
 * soon: thp=always and a khugepaged that sleeps at most a second between
 * scans (scan_sleep_millisecs; the suite khugepaged boots Quiesce with
 * 100). Elsewhere (Linux's default is 10 s, or THP is off) the program
 * says so and checks only the data.
 */
#include "check.h"

#define PMD_SIZE (2UL << 20)
#define BLOCKS 4
#define KB(x) ((long)(x) >> 10)
#define KHUGEPAGED "/sys/kernel/mm/transparent_hugepage/khugepaged/"

static unsigned long word_at(unsigned long addr)
{
	return addr * 0x9e3779b97f4a7c15UL ^ 0x3c3c3c3c3c3c3c3cUL;
}

/* Every word of the block: its pattern in the lower half, zero in the upper. */
static void verify(const char *b)
{
	for (const unsigned long *w = (const unsigned long *)b; (const char *)w < b + PMD_SIZE; w++) {
		unsigned long want = (const char *)w < b + PMD_SIZE / 2 ? word_at((unsigned long)w) : 0;
		if (*w != want)
			check_fail(__FILE__, __LINE__, "word at %p is 0x%lx, expected 0x%lx",
				   (void *)w, *w, want);
	}
	check_counted();
}

static long khugepaged_value(const char *file)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), KHUGEPAGED "%s", file);
	return proc_read(path, buf, sizeof(buf)) < 0 ? -1 : atol(buf);
}

int main(void)
{
	const char *mode = thp_enabled();
	long scan_ms = khugepaged_value("scan_sleep_millisecs");
	bool expect = mode && !strcmp(mode, "always") && scan_ms >= 0 && scan_ms <= 1000;
	char *map = (char *)CHECK_OK(sys_mmap(0, (BLOCKS + 1) * PMD_SIZE, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	char *base = (char *)(((unsigned long)map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));

	check_section("THP %s, khugepaged sleeps %ld ms: %s", mode ? mode : "not in this kernel",
		      scan_ms, expect ? "waiting for it" : "too slow or off here, data only");
	for (int i = 0; i < BLOCKS; i++) {
		char *b = base + i * PMD_SIZE;
		for (unsigned long *w = (unsigned long *)b; (char *)w < b + PMD_SIZE / 2; w++)
			*w = word_at((unsigned long)w);
		CHECK_OK(sys_madvise(b + PMD_SIZE / 2, PMD_SIZE / 2, MADV_DONTNEED));
	}
	long huge0 = smaps_rollup_kb("AnonHugePages");
	long collapsed0 = khugepaged_value("pages_collapsed");
	long start = now_ns(), huge = huge0;

	while (expect && huge - huge0 < BLOCKS * KB(PMD_SIZE) && now_ns() - start < 60000000000L) {
		sleep_ms(50);
		huge = smaps_rollup_kb("AnonHugePages");
	}
	long collapsed = khugepaged_value("pages_collapsed");
	check_section("after %ld ms: AnonHugePages %ld kB more, pages_collapsed %ld more",
		      (now_ns() - start) / 1000000, huge - huge0, collapsed - collapsed0);
	if (expect) {
		CHECK(huge - huge0 >= BLOCKS * KB(PMD_SIZE));
		CHECK(collapsed - collapsed0 >= BLOCKS * 512);
	}
	for (int i = 0; i < BLOCKS; i++)
		verify(base + i * PMD_SIZE);
	CHECK_OK(sys_munmap(map, (BLOCKS + 1) * PMD_SIZE));
	return check_pass();
}
