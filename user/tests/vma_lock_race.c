/*
 * vma_lock_race - page faults under per-VMA locks (mm/mmap_lock.h): a fault
 * locks only its own VMA, so it runs while another thread holds mmap_lock
 * for writing to change another VMA; and a fault that races a change of
 * its OWN VMA waits for it or falls back, never maps into a VMA that was
 * unmapped nor with protections that were taken away.
 *
 * Five parts, each a helper thread faulting while the main thread changes
 * the address space:
 *   meanwhile   the helper faults pages of region A in a loop while the
 *               main thread's madvise(MADV_NORMAL) on region B holds
 *               mmap_lock for writing (Quiesce: fault_inject=mmap_write_hold
 *               keeps it there until 8 faults were handled under per-VMA
 *               locks; its events counter proves they ran meanwhile).
 *   munmap      the helper writes one page of its own MADV_RANDOM region;
 *               (Quiesce: fault_inject=vma_lock_lookup holds that fault
 *               between its lockless lookup and the VMA's read lock) the
 *               main thread unmaps the region. The write must get SIGSEGV;
 *               the fault found its VMA detached (vma_lock_retry).
 *   mprotect    the same, but the region becomes read-only: SIGSEGV again.
 *   writer-waits the helper writes one page of a MADV_SEQUENTIAL region
 *               (fault_inject=vma_lock_held holds the fault WITH the VMA's
 *               read lock, until a writer waits for it); the main thread
 *               makes it read-only. mprotect must wait for the fault, so
 *               afterwards the page is read-only: the main thread's write
 *               must get SIGSEGV. (The helper's own write, retried after
 *               its fault, gets SIGSEGV too if mprotect came in between.)
 *   munmap-waits the same with munmap: the fault finishes first, and its
 *               page goes with the VMA.
 * Without the points (a plain run, or Linux) the same runs with whatever
 * interleaving comes, and only what holds for every interleaving is checked.
 */
#include "check.h"

#ifndef MADV_RANDOM
#define MADV_RANDOM     1
#define MADV_SEQUENTIAL 2
#endif

#define A_PAGES 512               /* region A: 2 MiB, faulted a page at a time */

/* --- A write that may fault: the SIGSEGV handler skips it and counts ---- */

extern char probe_store[], probe_resume[];
static volatile int probe_faults, probe_code;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	if (uc->uc_mcontext.rip != (unsigned long)probe_store) {
		set_handler(sig, SIG_DFL, 0, 0);   /* not ours: die of it as usual */
		return;
	}
	probe_code = si->si_code;
	__atomic_fetch_add(&probe_faults, 1, __ATOMIC_SEQ_CST);
	uc->uc_mcontext.rip = (unsigned long)probe_resume;
}

/* Write a byte at p; true if it went through, false if it got SIGSEGV. */
static __attribute__((noinline)) bool try_write(volatile char *p)
{
	int before = probe_faults;

	__asm__ volatile(".globl probe_store\nprobe_store:\n\t"
			 "movb $1, (%0)\n\t"
			 ".globl probe_resume\nprobe_resume:"
			 : : "r"(p) : "memory");
	return probe_faults == before;
}

/* --- The counters of a fault-injection point (absent: -1) --------------- */

static long point(const char *name, const char *what)
{
	char line[96];

	snprintf(line, sizeof(line), "fault_inject_%s_%s", name, what);
	return vmstat(line);
}

/* Quiesce with the point on: wait until a fault is held there. */
static void wait_held(const char *name, long hits0)
{
	if (hits0 >= 0)
		WAIT_FOR(point(name, "hits") > hits0);
}

/* --- meanwhile ------------------------------------------------------------ */

static char *region_a;
static int a_started, a_stop;     /* atomics */

static int fault_loop(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&a_stop, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < A_PAGES && !__atomic_load_n(&a_stop, __ATOMIC_ACQUIRE); i++) {
			region_a[(size_t)i * PAGE_SIZE] = 1;
			__atomic_store_n(&a_started, 1, __ATOMIC_RELEASE);
		}
		CHECK_OK(sys_madvise(region_a, A_PAGES * PAGE_SIZE, MADV_DONTNEED));
	}
	return 0;
}

static void check_fault_meanwhile(void)
{
	struct thread *t;
	long events0 = point("mmap_write_hold", "events"), ok0 = vmstat("vma_lock_success");

	check_section("faults in one VMA while mmap_lock is held for writing on another");
	region_a = (char *)CHECK_OK(map_anon(A_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE));
	CHECK_OK(sys_madvise(region_a, A_PAGES * PAGE_SIZE, MADV_NOHUGEPAGE));
	char *b = (char *)CHECK_OK(map_anon(PAGE_SIZE, PROT_READ | PROT_WRITE));
	CHECK(thread_create(&t, fault_loop, 0) > 0);
	WAIT_FOR(__atomic_load_n(&a_started, __ATOMIC_ACQUIRE));
	CHECK_OK(sys_madvise(b, PAGE_SIZE, MADV_NORMAL));   /* held, on Quiesce, while A faults */
	__atomic_store_n(&a_stop, 1, __ATOMIC_RELEASE);
	CHECK_EQ(thread_join(t), 0);
	if (events0 >= 0) {
		check_section("holds ended by per-VMA-lock faults %ld, such faults %ld",
			      point("mmap_write_hold", "events") - events0,
			      vmstat("vma_lock_success") - ok0);
		CHECK_EQ(point("mmap_write_hold", "events") - events0, 1);
	}
	CHECK_OK(sys_munmap(region_a, A_PAGES * PAGE_SIZE));
	CHECK_OK(sys_munmap(b, PAGE_SIZE));
}

/* --- munmap, mprotect, writer-waits: one write by a helper thread ----------- */

static char *target;
static int helper_wrote;          /* the helper's write went through */

static int write_target(void *arg)
{
	(void)arg;
	helper_wrote = try_write(target);
	return 0;
}

/* Map the helper's page with advice, start the helper; it faults on it. */
static struct thread *start_helper(int advice)
{
	struct thread *t;

	target = (char *)CHECK_OK(map_anon(PAGE_SIZE, PROT_READ | PROT_WRITE));
	CHECK_OK(sys_madvise(target, PAGE_SIZE, advice));
	CHECK(thread_create(&t, write_target, 0) > 0);
	return t;
}

static void check_fault_vs_munmap(void)
{
	long hits0 = point("vma_lock_lookup", "hits"), events0 = point("vma_lock_lookup", "events");
	long retry0 = vmstat("vma_lock_retry"), faults0 = probe_faults;

	check_section("a fault racing the munmap of its own VMA");
	struct thread *t = start_helper(MADV_RANDOM);
	wait_held("vma_lock_lookup", hits0);
	CHECK_OK(sys_munmap(target, PAGE_SIZE));
	CHECK_EQ(thread_join(t), 0);
	if (!helper_wrote)
		CHECK_EQ(probe_code, SEGV_MAPERR);
	if (hits0 >= 0) {
		check_section("held %ld, found the VMA detached %ld",
			      point("vma_lock_lookup", "events") - events0,
			      vmstat("vma_lock_retry") - retry0);
		CHECK_EQ(point("vma_lock_lookup", "events") - events0, 1);
		CHECK_EQ(probe_faults - faults0, 1);          /* SIGSEGV, not a page */
		CHECK(vmstat("vma_lock_retry") - retry0 >= 1);
	}
}

static void check_fault_vs_mprotect(void)
{
	long hits0 = point("vma_lock_lookup", "hits"), events0 = point("vma_lock_lookup", "events");
	long faults0 = probe_faults;

	check_section("a fault racing an mprotect(PROT_READ) of its own VMA");
	struct thread *t = start_helper(MADV_RANDOM);
	wait_held("vma_lock_lookup", hits0);
	CHECK_OK(sys_mprotect(target, PAGE_SIZE, PROT_READ));
	CHECK_EQ(thread_join(t), 0);
	if (hits0 >= 0) {
		CHECK_EQ(point("vma_lock_lookup", "events") - events0, 1);
		CHECK_EQ(probe_faults - faults0, 1);          /* SIGSEGV, not a writable page */
	} else {
		/* Whoever came first, it is read-only now. (Not with the point on:
		 * this write would be held in its MADV_RANDOM VMA too.) */
		CHECK(!try_write(target));
	}
	CHECK_OK(sys_munmap(target, PAGE_SIZE));
}

static void check_writer_waits(void)
{
	long hits0 = point("vma_lock_held", "hits"), events0 = point("vma_lock_held", "events");

	check_section("mprotect waits for a fault holding its VMA's lock");
	struct thread *t = start_helper(MADV_SEQUENTIAL);
	wait_held("vma_lock_held", hits0);
	CHECK_OK(sys_mprotect(target, PAGE_SIZE, PROT_READ));
	CHECK_EQ(thread_join(t), 0);
	CHECK(!try_write(target));            /* no writable entry left behind */
	if (hits0 >= 0) {
		check_section("holds ended by a waiting writer %ld",
			      point("vma_lock_held", "events") - events0);
		CHECK_EQ(point("vma_lock_held", "events") - events0, 1);
	}
	CHECK_OK(sys_munmap(target, PAGE_SIZE));
}

static void check_munmap_waits(void)
{
	long hits0 = point("vma_lock_held", "hits"), events0 = point("vma_lock_held", "events");
	long rss0 = proc_status_kb("VmRSS");

	check_section("munmap waits for a fault holding its VMA's lock");
	struct thread *t = start_helper(MADV_SEQUENTIAL);
	wait_held("vma_lock_held", hits0);
	CHECK_OK(sys_munmap(target, PAGE_SIZE));
	CHECK_EQ(thread_join(t), 0);
	/* The page the fault mapped went with the VMA: nothing left in the hole. */
	CHECK(proc_status_kb("VmRSS") <= rss0 + RSS_SLACK_PAGES * KB_PER_PAGE);
	if (hits0 >= 0) {
		check_section("holds ended by a waiting munmap %ld",
			      point("vma_lock_held", "events") - events0);
		CHECK_EQ(point("vma_lock_held", "events") - events0, 1);
	}
}

int main(void)
{
	CHECK_EQ(set_handler(SIGSEGV, on_segv, 0, 0), 0);
	check_fault_meanwhile();
	check_fault_vs_munmap();
	check_fault_vs_mprotect();
	check_writer_waits();
	check_munmap_waits();
	return check_pass();
}
