/*
 * oom - use more memory than the machine has, and be killed for it the
 * way Linux kills: SIGKILL from the OOM killer (exit status 137), with a
 * console line "Out of memory: Killed process N (oom) total-vm:...kB,
 * anon-rss:...kB, ...". Passing means dying with 137; init then checks
 * that every page came back (free pages and page tables at the baseline).
 *
 * First, the overcommit heuristic: a private writable mapping larger than
 * all of RAM is refused at once with ENOMEM, unless MAP_NORESERVE says the
 * program takes the risk. Then two threads touch such a NORESERVE mapping,
 * one and a half times RAM, while a third sleeps in a futex: the kill must
 * end all three, the sleeper included.
 *
 * On a host with more than 4 GiB (make user-host-test) the exhaustion is
 * left out -- it would take the host down -- and the program exits 0 after
 * the mmap checks (user/user.mk: USER_HOST_STATUS_oom).
 */
#include "check.h"

static char *area;
static unsigned long area_len;
static int never;                        /* the sleeper's futex word: never changes */

static int toucher(void *arg)
{
	unsigned long half = area_len / 2, start = (unsigned long)arg * half;

	for (unsigned long off = 0; off < half; off += PAGE_SIZE)
		area[start + off] = 1;
	return 0;
}

static int sleeper(void *unused __attribute__((unused)))
{
	for (;;)
		futex_wait(&never, 0, 0);
	return 0;
}

int main(void)
{
	long ram = meminfo_kb("MemTotal") * 1024;
	struct thread *t[3];

	CHECK(ram > 0);
	area_len = (unsigned long)(ram + ram / 2) & ~(PAGE_SIZE - 1);
	check_section("more than RAM: ENOMEM unless MAP_NORESERVE");
	CHECK_ERRNO(map_anon(area_len, PROT_READ | PROT_WRITE), ENOMEM);
	CHECK_ERRNO(sys_mmap(0, area_len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0), ENOMEM);
	area = (char *)CHECK_OK(sys_mmap(0, area_len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	if (ram > 4L << 30) {
		printf("# SKIP exhaustion: %ld MiB of RAM here; touching it all would take this "
		       "host down\n", ram >> 20);
		return check_pass();
	}
	printf("# touching %lu MiB on a machine with %ld MiB: expect SIGKILL\n",
	       area_len >> 20, ram >> 20);
	CHECK_OK(thread_create(&t[0], sleeper, 0));
	CHECK_OK(thread_create(&t[1], toucher, (void *)0));
	CHECK_OK(thread_create(&t[2], toucher, (void *)1));
	thread_join(t[1]);
	thread_join(t[2]);
	check_fail(__FILE__, __LINE__, "touched %lu MiB and was not killed", area_len >> 20);
}
