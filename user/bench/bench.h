/*
 * bench.h - what the benchmarks in user/bench share: arguments, threads
 * pinned one per CPU, a timed run, and the result line.
 *
 * A benchmark is a static Linux program like the tests in user/tests: it
 * runs unchanged on Quiesce and on Linux, so its figures compare directly
 * (tools/bench boots both in the same QEMU machine and runs it there).
 * Unlike a test it never passes or fails on a figure; it exits non-zero
 * only when a system call it needs fails.
 *
 * Arguments are words `key=value` (a GRUB module line splits on spaces,
 * so no word may hold one): `threads=1,2,4 ms=1000 mib=16`.
 *
 * Each result is one line, the same on every kernel:
 *     BENCH <name> <value> <unit>
 * e.g. `BENCH page_fault1.t4 61234 faults/s`. Units ending in /s are rates
 * (more is better), ns are latencies (less is better), kB are sizes.
 */
#ifndef USER_BENCH_H
#define USER_BENCH_H

#include "user.h"

#define BENCH_MAX_THREADS 16

/* The value of key=value among argv[1..], or def. */
static inline long bench_arg(int argc, char **argv, const char *key, long def)
{
	size_t n = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return atol(argv[i] + n + 1);
	return def;
}

/* key=a,b,c as numbers into out[] (at most max); def when absent. Returns the count. */
static inline int bench_arg_list(int argc, char **argv, const char *key, const char *def,
				 int *out, int max)
{
	size_t n = strlen(key);
	const char *s = def;
	int count = 0;

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			s = argv[i] + n + 1;
	while (*s && count < max) {
		out[count++] = (int)atol(s);
		while (*s && *s != ',')
			s++;
		if (*s == ',')
			s++;
	}
	return count;
}

static inline void bench_result(const char *name, long value, const char *unit)
{
	printf("BENCH %s %ld %s\n", name, value, unit);
}

/* A call that must work; a benchmark without it measures nothing. */
static inline long bench_ok(long ret, const char *what)
{
	if (ret < 0 && ret > -4096) {
		printf("bench: %s failed: %ld\n", what, ret);
		sys_exit_group(2);
	}
	return ret;
}

/* count events in ns nanoseconds, as events per second. */
static inline long per_second(long count, long ns)
{
	return ns > 0 ? (long)((unsigned long)count * 1000000000UL / (unsigned long)ns) : 0;
}

/* The CPU the i-th worker is pinned to: one per CPU, round robin. */
static inline int bench_cpu(int i)
{
	static int cpus[CPU_MAX], n;

	if (!n)
		n = cpu_allowed(cpus, CPU_MAX);
	return n ? cpus[i % n] : 0;
}

/*
 * Anonymous memory in 4 KiB pages, never a transparent huge page: the
 * benchmarks measure faults, zaps and flushes of PTE tables on every kernel.
 */
static inline char *bench_map(size_t len)
{
	char *p = (char *)bench_ok(map_anon(len, PROT_READ | PROT_WRITE), "mmap");

	bench_ok(sys_madvise(p, len, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)");
	return p;
}

/*
 * A will-it-scale style timed run: nthreads workers, each pinned to its
 * CPU, loop on fn until told to stop and bump their own counter (each on
 * its own cache line) per unit of work. The main thread waits until all
 * have started, reads the counters, sleeps ms, reads them again: the rate
 * is over that window only, so thread start and stop are not in it.
 */
struct bench_worker {
	int index;
	volatile long count;          /* units done; only this worker writes it */
	const volatile int *stop;
	void *arg;
	char pad[64];
};

typedef int (*bench_fn)(struct bench_worker *w);

struct bench_run {
	struct barrier started;
	volatile int stop;
	bench_fn fn;
	struct bench_worker w[BENCH_MAX_THREADS];
};

/* One timed run at a time per program. */
static struct bench_run bench_run_state;

/* Worker i runs on bench_cpu(bench_cpu_base + i) (a process-mode child sets it). */
static int bench_cpu_base;

static inline int bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;

	bench_ok(pin_to_cpu(bench_cpu(bench_cpu_base + w->index)), "sched_setaffinity");
	barrier_wait(&bench_run_state.started);
	return bench_run_state.fn(w);
}

static inline long bench_sum(const struct bench_run *run, int nthreads)
{
	long sum = 0;

	for (int i = 0; i < nthreads; i++)
		sum += run->w[i].count;
	return sum;
}

/* Units of work per second over ms milliseconds with nthreads workers. */
static inline long bench_timed(bench_fn fn, void *arg, int nthreads, long ms)
{
	struct bench_run *run = &bench_run_state;
	struct thread *t[BENCH_MAX_THREADS];

	if (nthreads > BENCH_MAX_THREADS)
		nthreads = BENCH_MAX_THREADS;
	memset(run, 0, sizeof(*run));
	run->started.count = nthreads + 1;
	run->fn = fn;
	for (int i = 0; i < nthreads; i++) {
		run->w[i] = (struct bench_worker){ .index = i, .stop = &run->stop, .arg = arg };
		bench_ok(thread_create(&t[i], bench_worker_main, &run->w[i]), "clone");
	}
	barrier_wait(&run->started);
	long c0 = bench_sum(run, nthreads), t0 = now_ns();
	sleep_ms(ms);
	long c1 = bench_sum(run, nthreads), t1 = now_ns();
	run->stop = 1;
	for (int i = 0; i < nthreads; i++)
		if (thread_join(t[i]))
			bench_ok(-1, "worker");
	return per_second(c1 - c0, t1 - t0);
}

/*
 * will-it-scale's other mode: nprocs processes, each its own mm with one
 * worker (a bench_timed run of one thread, its worker on the child's own
 * CPU). Nothing is shared but the kernel: no mmap_lock, no TLB shootdown
 * (each mm runs on one CPU), so the gap between NAME.pN and NAME.tN is
 * what sharing the address space costs, and the gap between pN and N
 * times p1 is what the CPUs -- and, under emulation, the host -- cost.
 * The children start together on a pipe and send back their rates; each
 * times its own window, so the windows agree to within a child's start-up
 * (a thread creation: well under 1% of a 1000 ms window).
 */
static inline long bench_timed_procs(bench_fn fn, int nprocs, long ms)
{
	int go[2], back[2];
	long sum = 0;

	bench_ok(sys_pipe2(go, 0), "pipe2");
	bench_ok(sys_pipe2(back, 0), "pipe2");
	for (int i = 0; i < nprocs; i++) {
		if (bench_ok(sys_fork(), "fork"))
			continue;
		char c;
		long rate;

		sys_close(go[1]);
		sys_close(back[0]);
		bench_cpu_base = i;
		if (sys_read(go[0], &c, 1) != 1)
			sys_exit_group(2);
		rate = bench_timed(fn, 0, 1, ms);
		sys_exit_group(sys_write(back[1], &rate, sizeof(rate)) == sizeof(rate) ? 0 : 2);
	}
	/* Only the children hold the ends they use: a child that dies shows as end of file. */
	sys_close(go[0]);
	sys_close(back[1]);
	for (int i = 0; i < nprocs; i++)
		bench_ok(sys_write(go[1], "g", 1), "write");
	for (int i = 0; i < nprocs; i++) {
		long rate;

		if (sys_read(back[0], &rate, sizeof(rate)) != sizeof(rate))
			bench_ok(-1, "child");
		sum += rate;
	}
	for (int i = 0; i < nprocs; i++) {
		int status;

		bench_ok(sys_wait4(-1, &status, 0, 0), "wait4");
		if (status)
			bench_ok(-1, "child");
	}
	sys_close(go[1]);
	sys_close(back[0]);
	return sum;
}

/*
 * The will-it-scale shape: for each thread count of the argument
 * threads=1,2,4 (the default), fn's rate over ms=1000 milliseconds,
 * printed as the figure NAME.tN in UNIT; for each count of procs=1,2,4
 * (none by default), the rate of that many processes as NAME.pN.
 */
static inline void bench_scaling(int argc, char **argv, bench_fn fn, const char *name,
				 const char *unit)
{
	int threads[8], procs[8];
	int n = bench_arg_list(argc, argv, "threads", "1,2,4", threads, 8);
	int np = bench_arg_list(argc, argv, "procs", "", procs, 8);
	long ms = bench_arg(argc, argv, "ms", 1000);
	char figure[64];

	for (int i = 0; i < n; i++) {
		long rate = bench_timed(fn, 0, threads[i], ms);
		snprintf(figure, sizeof(figure), "%s.t%d", name, threads[i]);
		bench_result(figure, rate, unit);
	}
	for (int i = 0; i < np; i++) {
		long rate = bench_timed_procs(fn, procs[i], ms);
		snprintf(figure, sizeof(figure), "%s.p%d", name, procs[i]);
		bench_result(figure, rate, unit);
	}
}

/* Sort a few numbers (insertion sort) and return the middle one. */
static inline long bench_median(long *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			long x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return n ? v[n / 2] : 0;
}

/*
 * TLB shootdown IPIs received so far, all CPUs together, read the way each
 * kernel shows them: Linux's /proc/interrupts row "TLB:" (one column per
 * CPU), Quiesce's /proc/vmstat nr_tlb_remote_flush_received. -1 if
 * neither is there. The difference over a loop tells how many IPIs one
 * call cost -- the figure that explains a shootdown's latency.
 */
static inline long tlb_ipis_received(void)
{
	static char buf[32768];
	long n = vmstat("nr_tlb_remote_flush_received");

	if (n >= 0 || proc_read("/proc/interrupts", buf, sizeof(buf)) < 0)
		return n;
	for (char *line = buf; line; line = strchr(line, '\n')) {
		while (*line == '\n' || *line == ' ')
			line++;
		if (strncmp(line, "TLB:", 4))
			continue;
		long sum = 0;
		char *s = line + 4;
		for (;;) {
			while (*s == ' ')
				s++;
			if (*s < '0' || *s > '9')
				return sum;
			sum += atol(s);
			while (*s >= '0' && *s <= '9')
				s++;
		}
	}
	return -1;
}

#endif
