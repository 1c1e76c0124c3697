/*
 * Tests of an address space as a whole (mm/mm.c, arch/x86_64/tlb.c):
 * creation, switch_mm, destruction without leaks, and faults from several
 * CPUs at once -- in different PTE tables (no common lock) and in one
 * (serialized by its PTE lock, nothing lost).
 */
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "mm/mm_ktest.h"

KTEST(mm_create_shares_kernel_half)
{
	long tables0 = settled_pgtable_pages();
	struct mm_struct *mm = mm_create();

	KT_ASSERT(mm != NULL);
	KT_EXPECT_EQ(vm_state_read(NR_PAGE_TABLE_PAGES), tables0 + 1);
	KT_EXPECT(PageTable(virt_to_page(mm->pgd)) && virt_to_page(mm->pgd)->pt_mm == mm);
	for (int i = 0; i < PTRS_PER_PGD; i++)
		KT_EXPECT_EQ(pgd_val(mm->pgd[i]), i < KERNEL_PGD_FIRST ? 0 : pgd_val(swapper_pg_dir[i]));
	KT_EXPECT_EQ(mm->mm_users, 1);
	KT_EXPECT_EQ(mm->mm_count, 1);
	KT_EXPECT_EQ(get_mm_rss(mm) + mm_pgtables_bytes(mm) + mm->map_count, 0);
	mmput(mm);
	KT_EXPECT_EQ(vm_state_read(NR_PAGE_TABLE_PAGES), tables0);
}

/* switch_mm loads CR3 and keeps the CPU mask; the kernel keeps running on either. */
KTEST(switch_mm_cr3_and_mask)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);

	KT_EXPECT_EQ(read_cr3() & PTE_ADDR_MASK, virt_to_phys(mm->pgd));
	KT_EXPECT(current_loaded_mm() == mm);
	KT_EXPECT(cpumask_test_cpu(cpu_id(), mm_cpumask(mm)));
	KT_EXPECT_EQ(cpumask_weight(mm_cpumask(mm)), 1);
	test_unuse_mm(mm, prev);
	KT_EXPECT(!cpumask_test_cpu(cpu_id(), mm_cpumask(mm)));
	KT_EXPECT(current_loaded_mm() == prev);
	mmget(mm);
	mmput(mm);
	KT_EXPECT_EQ(mm->mm_users, 1);
	/* Loaded lazily (in CR3, not the thread's own mm): the last mmput makes us let go. */
	switch_mm(current_loaded_mm(), mm);
	mmput(mm);
	KT_EXPECT(current_loaded_mm() == NULL);
	if (prev)
		use_mm(prev);
}

/* Everything an mm allocated comes back when its last user goes. */
KTEST(mmput_frees_everything)
{
	unsigned long free0 = nr_free_pages_settled();
	long tables0 = settled_pgtable_pages();
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);

	long a = tmap(mm, 0, 40 * PG, RW, ANON | MAP_POPULATE);
	long b = tmap(mm, 0x7f0000000000ul, 3 * PMD_SIZE, RW, ANON | MAP_FIXED);
	long c = tmap(mm, 0x1000000, 16 * PG, PROT_READ, ANON);
	KT_ASSERT(a > 0 && b > 0 && c > 0);
	for (int i = 0; i < 3; i++)
		KT_EXPECT_EQ(poke(b + i * PMD_SIZE + 123, 9), 0);
	for (int i = 0; i < 16; i++)
		KT_EXPECT_EQ(peek(c + i * PG), 0);
	KT_EXPECT_EQ(do_mprotect(mm, a + 8 * PG, 8 * PG, PROT_NONE), 0);
	KT_EXPECT_EQ(do_munmap(mm, a + 30 * PG, 2 * PG), 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 38 + 3);
	KT_EXPECT(mm_pgtables_bytes(mm) > 0);
	test_unuse_mm(mm, prev);
	mmput(mm);
	KT_EXPECT_EQ(settled_pgtable_pages(), tables0);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

/*
 * mm_users and mm_count: after the last user, the mappings are gone but a
 * mm_count holder still has the struct and the PGD; the last mmdrop frees
 * those (issue 9, bug 1: the refcounting exit_mm builds on).
 */
KTEST(mm_count_outlives_users)
{
	unsigned long free0 = nr_free_pages_settled();
	long tables0 = settled_pgtable_pages();
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);

	KT_EXPECT(tmap(mm, 0, 8 * PG, RW, ANON | MAP_POPULATE) > 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 8);
	test_unuse_mm(mm, prev);
	mmgrab(mm);
	mmput(mm);                       /* the last user: the mappings go */
	KT_EXPECT_EQ(mm->mm_users, 0);
	KT_EXPECT_EQ(mm->mm_count, 1);
	KT_EXPECT_EQ(get_mm_rss(mm) + mm_pgtables_bytes(mm) + mm->map_count, 0);
	KT_EXPECT(PageTable(virt_to_page(mm->pgd)) && virt_to_page(mm->pgd)->pt_mm == mm);
	KT_EXPECT_EQ(settled_pgtable_pages(), tables0 + 1);    /* the PGD alone */
	mmdrop(mm);                      /* the struct and the PGD go */
	KT_EXPECT_EQ(settled_pgtable_pages(), tables0);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

#define PAGES_PER_CPU 32
#define RACE_PAGES 16

/* Shared by the CPUs of the concurrent-fault tests. */
static struct {
	struct mm_struct *mm;
	unsigned long base;
	int errors;
} cf;

/* Each CPU writes its own 2 MiB region: its own PTE table. */
static void fault_own_table(void *unused)
{
	struct mm_struct *prev = test_use_mm(cf.mm);
	unsigned long mine = cf.base + cpu_id() * PMD_SIZE;

	for (int i = 0; i < PAGES_PER_CPU; i++)
		if (poke(mine + i * PG + i, (char)(cpu_id() + 1)))
			__atomic_fetch_add(&cf.errors, 1, __ATOMIC_RELAXED);
	test_unuse_mm(cf.mm, prev);
}

KTEST(fault_concurrent_tables)
{
	unsigned long free0 = nr_free_pages_settled();
	int n = cpumask_weight(&cpu_online_mask);

	cf.mm = mm_create();
	KT_ASSERT(cf.mm != NULL);
	cf.base = 0x80000000;                 /* 1 GiB aligned: one PUD entry, one PMD table */
	cf.errors = 0;
	KT_ASSERT_EQ(tmap(cf.mm, cf.base, n * PMD_SIZE, RW, ANON | MAP_FIXED), (long)cf.base);
	run_on_cpus(&cpu_online_mask, fault_own_table, NULL);
	KT_EXPECT_EQ(cf.errors, 0);
	KT_EXPECT_EQ(get_mm_rss(cf.mm), n * PAGES_PER_CPU);
	KT_EXPECT_EQ(mm_pgtables_bytes(cf.mm), (n + 2) * PG);   /* n PTE tables, a PMD, a PUD */
	for (int cpu = 0; cpu < n; cpu++) {
		pmd_t *pmd = mm_find_pmd(cf.mm, cf.base + cpu * PMD_SIZE);
		KT_ASSERT(pmd && !pmd_none(*pmd));
		KT_EXPECT_EQ(pmd_pgtable(*pmd)->pt_count, PAGES_PER_CPU);
		pte_t pte = mm_get_pte(cf.mm, cf.base + cpu * PMD_SIZE + 5 * PG);
		KT_EXPECT_EQ(((char *)page_address(pfn_to_page(pte_pfn(pte))))[5], cpu + 1);
	}
	mmput(cf.mm);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

/*
 * Every CPU writes its own byte into the same pages of one PTE table,
 * starting at different pages; even CPUs read each page first (zero page,
 * then copy-on-write), odd ones write at once. Whoever loses a race must
 * see the winner's page: one page each, every CPU's byte in it.
 */
static void fault_shared_table(void *unused)
{
	struct mm_struct *prev = test_use_mm(cf.mm);
	int me = cpu_id();

	for (int k = 0; k < RACE_PAGES; k++) {
		unsigned long page = cf.base + ((k + me) % RACE_PAGES) * PG;
		if (me % 2 == 0 && peek(page + 2048) < 0)
			__atomic_fetch_add(&cf.errors, 1, __ATOMIC_RELAXED);
		if (poke(page + me, (char)(me + 1)))
			__atomic_fetch_add(&cf.errors, 1, __ATOMIC_RELAXED);
	}
	test_unuse_mm(cf.mm, prev);
}

KTEST(fault_same_table_serialized)
{
	unsigned long free0 = nr_free_pages_settled();
	int n = cpumask_weight(&cpu_online_mask);

	cf.mm = mm_create();
	KT_ASSERT(cf.mm != NULL);
	cf.base = 0xc0000000;
	cf.errors = 0;
	KT_ASSERT_EQ(tmap(cf.mm, cf.base, RACE_PAGES * PG, RW, ANON | MAP_FIXED), (long)cf.base);
	for (int round = 0; round < 4; round++) {
		run_on_cpus(&cpu_online_mask, fault_shared_table, NULL);
		KT_EXPECT_EQ(cf.errors, 0);
		KT_EXPECT_EQ(get_mm_rss(cf.mm), RACE_PAGES);       /* exact: no page installed twice */
		pmd_t *pmd = mm_find_pmd(cf.mm, cf.base);
		KT_ASSERT(pmd != NULL);
		KT_EXPECT_EQ(pmd_pgtable(*pmd)->pt_count, RACE_PAGES);
		for (int k = 0; k < RACE_PAGES; k++) {
			const char *data = page_address(pfn_to_page(pte_pfn(mm_get_pte(cf.mm, cf.base + k * PG))));
			for (int cpu = 0; cpu < n; cpu++)
				KT_EXPECT_EQ(data[cpu], cpu + 1);
		}
		/* Next round starts from nothing again, racing on the zap too. */
		KT_EXPECT_EQ(do_madvise(cf.mm, cf.base, RACE_PAGES * PG, MADV_DONTNEED), 0);
		KT_EXPECT_EQ(get_mm_rss(cf.mm), 0);
	}
	mmput(cf.mm);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

/* The split-PTL test: CPU 0 holds table A's PTE lock while CPU 1 faults. */
static struct {
	int step;                 /* 1: A is locked; 2: CPU 1 may fault in A */
	int b_done, a_done;       /* CPU 1 finished its faults in table B / table A */
	int b_done_while_a_held;  /* B's faults ended with nobody queued on A's lock */
	int a_queued_while_held;  /* A's fault was seen queued on A's lock, not done */
	bool hung;
} sp;

/*
 * Has someone begun to wait for l since *mark was taken? With ticket locks
 * (spinlock=ticket) the lock word says so exactly: tickets handed out,
 * less the one being served, less the holder's. A test-and-set lock keeps
 * no queue, so there the waiter's CPU tells: every spin_lock() that finds
 * its lock taken counts spinlock_contended on its CPU when the wait begins.
 * Either way this is state, not a guess from elapsed time.
 */
static unsigned long contended_on(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&vm_events, cpu)->event[SPINLOCK_CONTENDED]);
}

static bool spin_waiter_seen(spinlock_t *l, int waiter_cpu, unsigned long mark)
{
	if (spinlock_tas)
		return contended_on(waiter_cpu) != mark;
	u32 v = __atomic_load_n(&l->val, __ATOMIC_ACQUIRE);
	u16 owner = (u16)v, next = (u16)(v >> 16);
	return (u16)(next - owner) - 1 > 0;
}

/* Spin (a spinlock is held) until *flag is set or CPU 1 waits on l. */
static bool wait_flag_or_waiter(int *flag, spinlock_t *l, unsigned long mark, u64 *since)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) && !spin_waiter_seen(l, 1, mark))
		if (ktest_hung(since)) {
			sp.hung = true;
			break;
		}
	return spin_waiter_seen(l, 1, mark);
}

/* CPU 0: hold table A's PTE lock while B's faults run, then while A's fault waits. */
static void hold_ptl_role(void)
{
	unsigned long a = cf.base;
	u64 since = 0;
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(cf.mm, mm_find_pmd(cf.mm, a), a, &ptl);
	unsigned long mark = contended_on(1);

	__atomic_store_n(&sp.step, 1, __ATOMIC_RELEASE);
	/*
	 * B's faults finish while we hold A's lock: so they never needed
	 * it. (Had they, they would wait here until the hang bound.)
	 */
	bool waiter = wait_flag_or_waiter(&sp.b_done, ptl, mark, &since);
	sp.b_done_while_a_held = __atomic_load_n(&sp.b_done, __ATOMIC_ACQUIRE) &&
				 (spinlock_tas || !waiter);
	mark = contended_on(1);
	__atomic_store_n(&sp.step, 2, __ATOMIC_RELEASE);
	/* A's fault must wait for the lock we hold: see it waiting. */
	waiter = wait_flag_or_waiter(&sp.a_done, ptl, mark, &since);
	sp.a_queued_while_held = waiter && !__atomic_load_n(&sp.a_done, __ATOMIC_ACQUIRE);
	pte_unmap_unlock(pte, ptl);
	while (!__atomic_load_n(&sp.a_done, __ATOMIC_ACQUIRE) && !ktest_hung(&since))
		cpu_relax();
}

/* CPU 1: fault in table B (never waits), then in table A (waits for CPU 0). */
static void fault_role(void)
{
	unsigned long a = cf.base, b = cf.base + PMD_SIZE;
	struct mm_struct *prev = test_use_mm(cf.mm);

	while (__atomic_load_n(&sp.step, __ATOMIC_ACQUIRE) < 1)
		cpu_relax();
	for (int i = 1; i < 9; i++)
		poke(b + i * PG, 'b');
	__atomic_store_n(&sp.b_done, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&sp.step, __ATOMIC_ACQUIRE) < 2)
		cpu_relax();
	poke(a + 3 * PG, 'a');        /* spins on A's PTE lock until CPU 0 lets go */
	__atomic_store_n(&sp.a_done, 1, __ATOMIC_RELEASE);
	test_unuse_mm(cf.mm, prev);
}

/*
 * Faults in table B go on while table A's PTE lock is held (no lock is
 * shared between tables), and a fault in table A waits for it: seen
 * waiting (the lock's tickets, or its CPU's spinlock_contended) while CPU 0
 * holds it, not inferred from a fault that did not finish within some time.
 */
KTEST(fault_split_ptl)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	cf.mm = mm_create();
	KT_ASSERT(cf.mm != NULL);
	cf.base = 0x100000000ul;
	KT_ASSERT_EQ(tmap(cf.mm, cf.base, 2 * PMD_SIZE, RW, ANON | MAP_FIXED), (long)cf.base);
	/*
	 * Make both PTE tables (a fault needs no CR3 of the mm) with a read of
	 * their first page: the zero page, which counts in no RSS. (Emptying
	 * them with DONTNEED would reclaim them, R6.)
	 */
	KT_ASSERT_EQ(handle_mm_fault(cf.mm, cf.base, 0), 0);
	KT_ASSERT_EQ(handle_mm_fault(cf.mm, cf.base + PMD_SIZE, 0), 0);
	sp = (__typeof__(sp)){ 0 };
	run_on_two_cpus(0, hold_ptl_role, 1, fault_role);
	KT_EXPECT(!sp.hung);
	KT_EXPECT(sp.b_done_while_a_held);
	KT_EXPECT(sp.a_queued_while_held);
	KT_EXPECT_EQ(sp.a_done, 1);
	KT_EXPECT_EQ(get_mm_rss(cf.mm), 9);
	mmput(cf.mm);
}
