/*
 * tlb_batching - MADV_DONTNEED of 1 MiB that every CPU has cached sends one
 * shootdown IPI per other CPU running this mm, not one per page.
 *
 * One thread per CPU (at most 4, the main thread on the first) touches
 * every page of a 1 MiB mapping, so each CPU holds its translations, and
 * then the others spin in user mode: their CPUs keep the mm loaded. The
 * main thread zaps the mapping with MADV_DONTNEED and reads
 * nr_tlb_remote_flush (IPIs sent, one per target CPU) around the call. A
 * flush per page would send 256 per CPU; a batched one sends one per CPU,
 * or a few if the kernel must flush early to free pages. Afterwards every
 * thread, on its own CPU, must read zeros: a stale TLB entry would still
 * show the old bytes.
 *
 * Linux has these counters only with CONFIG_DEBUG_TLBFLUSH: without them
 * the counts are skipped, the zeros are still checked. Linux counts one
 * nr_tlb_remote_flush per flush however many CPUs it reaches, Quiesce one
 * per target CPU (it has rcu_gp_completed in /proc/vmstat, Linux has not):
 * so the floor is one IPI per other CPU on Quiesce, one flush on Linux.
 */
#include "check.h"

#define LEN (1024 * 1024)
#define NPAGES ((int)(LEN / PAGE_SIZE))
#define MAX_THREADS 4
/* IPIs that unrelated flushes (other processes, kernel) may add meanwhile. */
#define SLACK 4

struct worker {
	int cpu;
	int seen_cpu;         /* where it ran while spinning */
	bool zeros;           /* read only zeros after the zap */
};

static char *map;
static int ready;             /* workers that touched every page */
static int zapped;            /* set by main once madvise returned */

static bool all_zero(const volatile char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static int work(void *arg)
{
	struct worker *w = arg;
	long sum = 0;

	if (pin_to_cpu(w->cpu) < 0)
		return 1;
	for (size_t off = 0; off < LEN; off += PAGE_SIZE)
		sum += ((volatile char *)map)[off];   /* fills this CPU's TLB */
	w->seen_cpu = current_cpu();
	__atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
	/* Spin in user mode, no system calls: the mm stays loaded here. */
	while (!__atomic_load_n(&zapped, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	w->zeros = all_zero(map, LEN);
	return sum == (long)NPAGES * 'a' ? 0 : 2;
}

int main(void)
{
	static int cpus[CPU_MAX];
	static struct worker w[MAX_THREADS];
	static struct thread *t[MAX_THREADS];
	int n = cpu_allowed(cpus, CPU_MAX);

	CHECK(n >= 1);
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	int others = n - 1;
	CHECK_OK(pin_to_cpu(cpus[0]));
	map = (char *)CHECK_OK(map_anon(LEN, PROT_READ | PROT_WRITE));
	CHECK_OK(sys_madvise(map, LEN, MADV_NOHUGEPAGE));     /* 256 small pages */
	memset(map, 'a', LEN);

	check_section("%d threads on CPUs %d..: each touches %d pages", n, cpus[0], NPAGES);
	for (int i = 0; i < others; i++) {
		w[i].cpu = cpus[i + 1];
		CHECK(thread_create(&t[i], work, &w[i]) > 0);
	}
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < others)
		__asm__ volatile("pause");

	long ipi0 = vmstat("nr_tlb_remote_flush");
	long one0 = vmstat("nr_tlb_local_flush_one");
	long all0 = vmstat("nr_tlb_local_flush_all");
	CHECK_OK(sys_madvise(map, LEN, MADV_DONTNEED));
	long ipi1 = vmstat("nr_tlb_remote_flush");
	long one1 = vmstat("nr_tlb_local_flush_one");
	long all1 = vmstat("nr_tlb_local_flush_all");
	__atomic_store_n(&zapped, 1, __ATOMIC_RELEASE);

	CHECK(all_zero(map, LEN));
	for (int i = 0; i < others; i++) {
		CHECK_EQ(thread_join(t[i]), 0);
		CHECK_EQ(w[i].seen_cpu, w[i].cpu);
		CHECK(w[i].zeros);
	}
	check_section("after the zap, all %d threads read zeros on their CPUs", n);

	if (ipi0 < 0 || ipi1 < 0) {
		check_section("no nr_tlb_remote_flush in /proc/vmstat "
			      "(Linux without CONFIG_DEBUG_TLBFLUSH): counts skipped");
		return check_pass();
	}
	check_section("DONTNEED of %d pages with %d other CPUs: %ld shootdown IPIs, "
		      "local flushes: %ld INVLPG, %ld full",
		      NPAGES, others, ipi1 - ipi0, one1 - one0, all1 - all0);
	bool per_cpu = vmstat("rcu_gp_completed") >= 0;
	long at_least = per_cpu ? others : others > 0;
	CHECK(ipi1 - ipi0 >= at_least);        /* the others' TLBs were shot down */
	CHECK(ipi1 - ipi0 <= others + SLACK);  /* ...once each, not once per page */
	return check_pass();
}
