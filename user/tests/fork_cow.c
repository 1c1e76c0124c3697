/*
 * fork_cow - fork gives the child a copy-on-write copy of the parent's
 * memory: data, bss, heap, stack and mmap'd pages start equal and then
 * change on one side only. The copies are made by write faults (counted in
 * /proc/vmstat on Quiesce: cow_fault when the page is still shared,
 * cow_reuse when the other side has let go of it), and a parent with
 * threads writing on other CPUs while it forks must not leak those writes
 * into the child: fork flushes the parent's TLBs after write-protecting
 * its PTEs (mm/fork.c). A huge page (THP) is isolated as well; Quiesce
 * splits its PMD in the parent first (fork_split_pmd). Passes on Linux too
 * (the counters are Quiesce's).
 */
#include "check.h"

#define PAGES 64

static int data_var = 11;
static int bss_var;

static void put_byte(int fd, char c)
{
	CHECK_EQ(sys_write(fd, &c, 1), 1);
}

static char get_byte(int fd)
{
	char c = 0;
	CHECK_EQ(sys_read(fd, &c, 1), 1);
	return c;
}

/* The child of check_isolation: sees the parent's values, then writes its own. */
static int isolation_child(char *heap, int *local, int to_parent, int from_parent)
{
	if (data_var != 11 || bss_var != 22 || *local != 33 || heap[0] != 'P' ||
	    heap[PAGES * PAGE_SIZE - 1] != 'P')
		return 1;
	data_var = 111, bss_var = 222, *local = 333;
	memset(heap, 'C', PAGES * PAGE_SIZE);
	put_byte(to_parent, 'w');            /* written: the parent looks now */
	if (get_byte(from_parent) != 'k')    /* the parent wrote its own meanwhile */
		return 2;
	if (data_var != 111 || bss_var != 222 || *local != 333 || heap[PAGE_SIZE] != 'C')
		return 3;
	return 0;
}

static void check_isolation(void)
{
	int up[2], down[2], local = 33;
	char *heap = (char *)CHECK_OK(map_anon(PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE));

	check_section("data, bss, stack and mmap'd pages: equal at fork, private after");
	bss_var = 22;
	memset(heap, 'P', PAGES * PAGE_SIZE);
	CHECK_EQ(sys_pipe2(up, 0), 0);
	CHECK_EQ(sys_pipe2(down, 0), 0);
	long pid = CHECK_OK(sys_fork());
	if (pid == 0)
		sys_exit_group(isolation_child(heap, &local, up[1], down[0]));
	CHECK_EQ(get_byte(up[0]), 'w');
	CHECK(data_var == 11 && bss_var == 22 && local == 33);   /* the child's writes: not here */
	for (size_t i = 0; i < PAGES * PAGE_SIZE; i += PAGE_SIZE / 2)
		CHECK_EQ(heap[i], 'P');
	data_var = 1111, local = 3333;
	memset(heap, 'Q', PAGES * PAGE_SIZE);
	put_byte(down[1], 'k');
	int status = wait_child((int)pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK(heap[5] == 'Q' && data_var == 1111);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(sys_close(up[i]), 0);
		CHECK_EQ(sys_close(down[i]), 0);
	}
	CHECK_EQ(sys_munmap(heap, PAGES * PAGE_SIZE), 0);
}

/*
 * Every write fault of the child on pages the parent still maps is a
 * copy (cow_fault); once the child is gone, each write of the parent
 * finds its page alone and keeps it (cow_reuse). The first vmstat() of
 * each side touches the stack pages vmstat itself uses, so that their own
 * copies are made before the counting starts.
 */
static int counting_child(char *mem)
{
	vmstat("cow_fault");
	long before = vmstat("cow_fault");
	for (int i = 0; i < PAGES; i++)
		mem[i * PAGE_SIZE] = 'c';
	return vmstat("cow_fault") - before == PAGES ? 0 : 10;
}

static void check_counters(void)
{
	char *mem = (char *)CHECK_OK(map_anon(PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE));

	check_section("cow_fault while shared, cow_reuse once alone, fork_wrprotect");
	memset(mem, 'p', PAGES * PAGE_SIZE);
	if (vmstat("cow_fault") < 0) {
		printf("# no cow_fault in /proc/vmstat (not Quiesce): counters not checked\n");
		CHECK_EQ(sys_munmap(mem, PAGES * PAGE_SIZE), 0);
		return;
	}
	long wrprotect = vmstat("fork_wrprotect");
	long rss = proc_status_kb("VmRSS");
	long pid = CHECK_OK(sys_fork());
	if (pid == 0)
		sys_exit_group(proc_status_kb("VmRSS") >= rss ? counting_child(mem) : 11);
	CHECK(vmstat("fork_wrprotect") - wrprotect >= PAGES);
	int status = wait_child((int)pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	vmstat("cow_reuse");
	long reuse = vmstat("cow_reuse");
	for (int i = 0; i < PAGES; i++)
		mem[i * PAGE_SIZE] = 'q';
	CHECK_EQ(vmstat("cow_reuse") - reuse, PAGES);
	CHECK_EQ(sys_munmap(mem, PAGES * PAGE_SIZE), 0);
}

/* ---- the storm: threads write on other CPUs while main forks ---- */

#define WRITERS 3
#define FORKS 16

static int stop;
static volatile unsigned long *counters[WRITERS];   /* each on a page of its own */

static int writer(void *arg)
{
	volatile unsigned long *c = counters[(long)arg];

	pin_to_cpu((int)((long)arg + 1) % 4);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		(*c)++;
	return 0;
}

/*
 * In the child, nothing writes the counters any more: its copies must
 * stand still. A parent CPU that kept a writable TLB entry for a counter
 * page after fork would go on writing into the page the child now shares.
 */
static int storm_child(void)
{
	unsigned long seen[WRITERS];

	for (int i = 0; i < WRITERS; i++)
		seen[i] = *counters[i];
	for (int round = 0; round < 2000; round++) {
		for (int i = 0; i < WRITERS; i++)
			if (*counters[i] != seen[i])
				return 20 + i;
		if (round % 500 == 0)
			sys_sched_yield();
	}
	return 0;
}

static void check_storm(void)
{
	struct thread *t[WRITERS];
	char *pages = (char *)CHECK_OK(map_anon(WRITERS * PAGE_SIZE, PROT_READ | PROT_WRITE));

	check_section("COW storm: %d threads write while main forks %d times", WRITERS, FORKS);
	for (int i = 0; i < WRITERS; i++) {
		counters[i] = (unsigned long *)(pages + i * PAGE_SIZE);
		CHECK_OK(thread_create(&t[i], writer, (void *)(long)i));
	}
	unsigned long start = *counters[0];
	while (*counters[0] == start)
		sys_sched_yield();                /* the writers are running */
	for (int n = 0; n < FORKS; n++) {
		long pid = CHECK_OK(sys_fork());
		if (pid == 0)
			sys_exit_group(storm_child());
		int status = wait_child((int)pid);
		CHECK(WIFEXITED(status));
		CHECK_EQ(WEXITSTATUS(status), 0);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < WRITERS; i++)
		CHECK_EQ(thread_join(t[i]), 0);
	CHECK(*counters[0] > start);
	CHECK_EQ(sys_munmap(pages, WRITERS * PAGE_SIZE), 0);
}

/* ---- a huge page at fork ---- */

#define HUGE (2UL << 20)

static int huge_child(char *huge)
{
	for (unsigned long i = 0; i < HUGE; i += PAGE_SIZE)
		if (huge[i] != 'h')
			return 30;
	memset(huge, 'c', HUGE);
	return huge[HUGE - 1] == 'c' ? 0 : 31;
}

static void check_huge(void)
{
	char enabled[64];

	check_section("a huge PMD at fork: isolated like 4 KiB pages");
	if (proc_read("/sys/kernel/mm/transparent_hugepage/enabled", enabled,
		      sizeof(enabled)) <= 0 || strstr(enabled, "[never]")) {
		printf("# no transparent huge pages here: skipped\n");
		return;
	}
	char *raw = (char *)CHECK_OK(map_anon(2 * HUGE, PROT_READ | PROT_WRITE));
	char *huge = (char *)(((unsigned long)raw + HUGE - 1) & ~(HUGE - 1));
	CHECK_EQ(sys_madvise(huge, HUGE, MADV_HUGEPAGE), 0);
	long huge0 = smaps_rollup_kb("AnonHugePages");
	memset(huge, 'h', HUGE);
	bool got_huge = smaps_rollup_kb("AnonHugePages") - huge0 >= 2048;
	if (!got_huge)
		printf("# no huge page this time (memory fragmented?): 4 KiB pages checked\n");
	long split = vmstat("fork_split_pmd");
	long pid = CHECK_OK(sys_fork());
	if (pid == 0)
		sys_exit_group(huge_child(huge));
	int status = wait_child((int)pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	for (unsigned long i = 0; i < HUGE; i += PAGE_SIZE)
		CHECK_EQ(huge[i], 'h');
	if (split >= 0 && got_huge)
		CHECK_EQ(vmstat("fork_split_pmd") - split, 1);
	CHECK_EQ(sys_munmap(raw, 2 * HUGE), 0);
}

int main(void)
{
	check_isolation();
	check_counters();
	check_huge();
	check_storm();
	return check_pass();
}
