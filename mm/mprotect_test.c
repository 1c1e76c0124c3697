/* Tests of mprotect (mm/mprotect.c): PTE bits, data kept, TLBs flushed. */
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "mm/mm_ktest.h"

/* The PTE bits follow the protection; the pages and their data stay. */
KTEST(mprotect_pte_bits)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 4 * PG, RW, ANON);

	KT_ASSERT(p > 0);
	for (int i = 0; i < 3; i++)
		KT_EXPECT_EQ(poke(p + i * PG, 'a' + i), 0);
	KT_EXPECT_EQ(peek(p + 3 * PG), 0);                 /* page 3: the zero page */
	unsigned long pfn1 = pte_pfn(mm_get_pte(mm, p + PG));

	KT_EXPECT_EQ(do_mprotect(mm, p + PG, PG, PROT_READ), 0);
	KT_EXPECT(pte_write(mm_get_pte(mm, p)));
	KT_EXPECT(!pte_write(mm_get_pte(mm, p + PG)));
	KT_EXPECT(pte_write(mm_get_pte(mm, p + 2 * PG)));
	KT_EXPECT_EQ(poke(p + PG, 'x'), -EFAULT);          /* the flush made it stick here */

	KT_EXPECT_EQ(do_mprotect(mm, p + PG, PG, PROT_NONE), 0);
	pte_t none = mm_get_pte(mm, p + PG);
	KT_EXPECT(!pte_present(none) && pte_protnone(none));
	KT_EXPECT_EQ(pte_pfn(none), pfn1);                 /* the page is kept */
	KT_EXPECT_EQ(peek(p + PG), -EFAULT);

	KT_EXPECT_EQ(do_mprotect(mm, p, 4 * PG, RW), 0);
	pte_t back = mm_get_pte(mm, p + PG);
	KT_EXPECT(pte_present(back) && pte_write(back) && !pte_protnone(back));
	KT_EXPECT_EQ(pte_pfn(back), pfn1);
	KT_EXPECT_EQ(peek(p + PG), 'b');
	KT_EXPECT(!pte_write(mm_get_pte(mm, p + 3 * PG)));  /* the zero page never becomes writable */
	KT_EXPECT_EQ(poke(p + 3 * PG, 'd'), 0);            /* ...so a write still copies it */
	KT_EXPECT(pte_pfn(mm_get_pte(mm, p + 3 * PG)) != zero_pfn());

	KT_EXPECT(!pte_exec(mm_get_pte(mm, p)));
	KT_EXPECT_EQ(do_mprotect(mm, p, PG, PROT_READ | PROT_EXEC), 0);
	KT_EXPECT(pte_exec(mm_get_pte(mm, p)) && !pte_write(mm_get_pte(mm, p)));
	KT_EXPECT_EQ(get_mm_rss(mm), 4);
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/* Shared by the CPUs of mprotect_remote_flush. */
static struct {
	struct mm_struct *mm;
	unsigned long addr;
	int step;                 /* 1: CPU 1 cached the page; 2: mprotect done */
	int result;               /* CPU 1's second write */
} rf;

/* CPU 0: once CPU 1 has the page writable in its TLB, make it read-only. */
static void mprotect_role(void)
{
	while (__atomic_load_n(&rf.step, __ATOMIC_ACQUIRE) < 1)
		cpu_relax();
	do_mprotect(rf.mm, rf.addr, PG, PROT_READ);
	__atomic_store_n(&rf.step, 2, __ATOMIC_RELEASE);
}

/* CPU 1: write the page, then write it again after the mprotect. */
static void writer_role(void)
{
	struct mm_struct *prev = test_use_mm(rf.mm);
	poke(rf.addr, 1);                     /* faults in; the TLB now holds it writable */
	__atomic_store_n(&rf.step, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&rf.step, __ATOMIC_ACQUIRE) < 2)
		cpu_relax();
	rf.result = poke(rf.addr, 2);         /* a stale TLB entry would let this through */
	test_unuse_mm(rf.mm, prev);
}

/*
 * CPU 1 has the mm loaded and a writable translation cached; CPU 0 makes
 * the page read-only. After mprotect returns, CPU 1's write must fault:
 * the flush reached it.
 */
KTEST(mprotect_remote_flush)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	rf.mm = mm_create();
	KT_ASSERT(rf.mm != NULL);
	rf.addr = tmap(rf.mm, 0, PG, RW, ANON);
	rf.step = 0;
	rf.result = 1;
	run_on_two_cpus(0, mprotect_role, 1, writer_role);
	KT_EXPECT_EQ(rf.result, -EFAULT);
	KT_EXPECT_EQ(cpumask_weight(mm_cpumask(rf.mm)), 0);
	mmput(rf.mm);
}
