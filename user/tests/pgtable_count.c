/*
 * pgtable_count - page-table pages are counted, and freed with the range.
 *
 * Touching one byte in each of 64 separate 2 MiB-aligned regions makes the
 * kernel allocate 64 PTE tables (one table maps 2 MiB), so VmPTE, this
 * process's page-table memory, must grow by at least 64 x 4 kB. Unmapping
 * the whole range must give them back: VmPTE returns to where it was, but
 * for at most two upper-level tables (PMD, PUD) that the range got and that
 * a kernel may keep, as Linux does, while their span is not all free. A
 * kernel that forgot to free or to uncount a table fails here; one that
 * frees a table still in use fails the other tests, or crashes.
 */
#include "check.h"

#define NTABLES 64
#define PMD_SIZE (2UL << 20)
#define LEN (NTABLES * PMD_SIZE)

int main(void)
{
	/* One extra 2 MiB so the start can be rounded up to a table boundary. */
	char *map = (char *)CHECK_OK(sys_mmap(0, LEN + PMD_SIZE,
		PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		-1, 0));
	char *p = (char *)(((unsigned long)map + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	CHECK_OK(sys_madvise(map, LEN + PMD_SIZE, MADV_NOHUGEPAGE));

	long pte0 = proc_status_kb("VmPTE");
	for (int i = 0; i < NTABLES; i++)
		p[i * PMD_SIZE] = 1;
	long pte1 = proc_status_kb("VmPTE");
	check_section("one page in each of %d tables: VmPTE %ld -> %ld kB",
		      NTABLES, pte0, pte1);
	CHECK(pte1 - pte0 >= NTABLES * 4);

	CHECK_OK(sys_munmap(map, LEN + PMD_SIZE));
	long pte2 = proc_status_kb("VmPTE");
	check_section("munmap of the range: VmPTE %ld kB", pte2);
	CHECK(pte1 - pte2 >= NTABLES * 4);
	CHECK(pte2 <= pte0 + 2 * 4);
	return check_pass();
}
