/*
 * threads_all_cpus - threads run on every CPU we may use, each where it was
 * pinned, and are joined when they finish.
 *
 * One thread per CPU in our affinity mask pins itself there with
 * sched_setaffinity, yields so the scheduler may move it, and records what
 * getcpu says. All threads wait at a barrier first, so all are alive at
 * once: then /proc/self/status shows Threads = n + 1, every thread has its
 * own tid in the one process (getpid is shared), and its own FS base
 * (thread_self() is its own struct thread).
 */
#include "check.h"

struct worker {
	int cpu;              /* where it was asked to run */
	int seen;             /* where getcpu() said it ran */
	long tid;
	long pid;
	bool own_fs;          /* %fs:0 pointed at this thread's own block */
};

static struct barrier all_started;
static struct barrier all_counted;

static int work(void *arg)
{
	struct worker *w = arg;

	if (pin_to_cpu(w->cpu) < 0)
		return 1;
	for (int i = 0; i < 100; i++)
		sys_sched_yield();
	w->seen = current_cpu();
	w->tid = sys_gettid();
	w->pid = sys_getpid();
	w->own_fs = thread_self()->tid == w->tid;
	barrier_wait(&all_started);
	barrier_wait(&all_counted);       /* stay alive until main counted us */
	return 0;
}

int main(void)
{
	static int cpus[CPU_MAX];
	static struct worker w[CPU_MAX];
	static struct thread *t[CPU_MAX];
	int n = cpu_allowed(cpus, CPU_MAX);

	check_section("%d CPUs allowed; one pinned thread on each", n);
	CHECK(n >= 1);
	all_started.count = all_counted.count = n + 1;
	for (int i = 0; i < n; i++) {
		w[i].cpu = cpus[i];
		CHECK(thread_create(&t[i], work, &w[i]) > 0);
	}
	barrier_wait(&all_started);
	CHECK_EQ(proc_status_kb("Threads"), n + 1);
	barrier_wait(&all_counted);

	for (int i = 0; i < n; i++) {
		CHECK_EQ(thread_join(t[i]), 0);
		printf("# thread %ld ran on CPU %d (pinned to %d)\n",
		       w[i].tid, w[i].seen, w[i].cpu);
		CHECK_EQ(w[i].seen, w[i].cpu);
		CHECK_EQ(w[i].pid, sys_getpid());
		CHECK(w[i].tid != sys_getpid());
		CHECK(w[i].own_fs);
		for (int j = 0; j < i; j++)
			CHECK(w[j].tid != w[i].tid);
	}
	/* The kernel clears a thread's tid (ending the join) a moment before
	 * the thread leaves the process's thread list: wait for that, however
	 * long a stalled CPU takes (a thread that never leaves is a hang). */
	WAIT_FOR(proc_status_kb("Threads") == 1);
	return check_pass();
}
