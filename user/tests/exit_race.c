/*
 * exit_race - issue 9, bug 1: a thread on its way out must not keep the
 * address space loaded, or the exit of the last thread finds the mm still
 * in a CPU's CR3 and __mmdrop panicked ("still loaded on 1 CPUs").
 *
 * Two threads of one process, each pinned to a CPU of its own. The second
 * thread exits. The kernel zeroes its tid word and wakes the futex on it
 * (CLONE_CHILD_CLEARTID) before the thread has left the CPU; the main
 * thread, woken by that, calls exit_group at once. So the exiting thread
 * is still running in the kernel, between leaving its process and its
 * final schedule(), when the main thread drops the last reference to the
 * mm and asks every CPU that still has it loaded to let go.
 *
 * Under fault_inject=exit_delay (suite exit-race) the kernel holds every
 * exiting thread there until its CPU no longer has the mm loaded, so the
 * window is hit every time, not by luck. `exit_race check N`, run after N
 * races, reads the point's counters in /proc/vmstat: N holds, each ended
 * by the mm being dropped (none by the time limit) -- the proof that the
 * interleaving happened. Without the injection (the ordinary user suites,
 * Linux) the program is a plain exit race and simply passes.
 */
#include "check.h"

static int exiter_cpu = -1;

/* Pin to its own CPU and leave: sys_exit, the thread alone. */
static int exiter(void *arg)
{
	(void)arg;
	if (exiter_cpu >= 0)
		CHECK_OK(pin_to_cpu(exiter_cpu));
	return 0;
}

static int race(void)
{
	static int cpus[CPU_MAX];
	struct thread *t;
	int n = cpu_allowed(cpus, CPU_MAX);

	if (n >= 2) {
		CHECK_OK(pin_to_cpu(cpus[0]));
		exiter_cpu = cpus[1];
	}
	CHECK_OK(thread_create(&t, exiter, NULL));
	/* thread_join() would munmap the stack first: exit the moment the tid is cleared. */
	int tid;
	while ((tid = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE)) != 0)
		sys_futex(&t->tid, FUTEX_WAIT, tid, 0);
	sys_exit_group(0);
}

/* After `races` runs under fault_inject=exit_delay: each was held, each hold ended by the event. */
static int check(long races)
{
	long hits = vmstat("fault_inject_exit_delay_hits");
	long events = vmstat("fault_inject_exit_delay_events");

	check_section("exit_delay: %ld holds, %ld ended by the CPU dropping the mm", hits, events);
	CHECK(hits != -1);                /* the point is on (fault_inject=exit_delay) */
	CHECK_EQ(hits, races);
	CHECK_EQ(events, races);
	return check_pass();
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "check"))
		return check(atol(argv[2]));
	return race();
}
