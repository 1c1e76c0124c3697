/*
 * Tests of the end of a page-table page's life (rule R1, mm/mmu_gather.c,
 * mm/pgtable.c): unhooked, flushed, then freed from an RCU callback.
 *
 *  - A munmap storm gives every table back once the grace periods passed:
 *    free pages and NR_PAGE_TABLE_PAGES at their baseline, and every table
 *    queued (PGTABLE_FREE_DEFERRED) was freed (PGTABLE_FREE_DONE).
 *  - A reader that found a PTE table inside rcu_read_lock() keeps it while
 *    another CPU unmaps it: the table is not freed, not poisoned, its lock
 *    alive, until the reader leaves (R1 step 3, R5).
 */
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "mm/mm_ktest.h"

#define STORM_BASE   0x10000000000ul     /* 1 TiB: a PGD slot of its own */
#define STORM_PMDS   4                   /* PTE tables per round */
#define STORM_ROUNDS 64
/* Per round: STORM_PMDS PTE tables, one PMD and one PUD table leave. */
#define STORM_TABLES (STORM_PMDS + 2)

static long pgtable_events(enum vm_event_item item)
{
	return (long)vm_event_sum(item);
}

/*
 * Many rounds of map, touch (one page in each 2 MiB: a PTE table each) and
 * munmap of everything, so that PTE, PMD and PUD tables all go every round,
 * plus a partial munmap that frees only some PTE tables. After
 * rcu_barrier() everything is back.
 */
KTEST(pgtable_munmap_storm_frees_after_grace_period)
{
	unsigned long free0 = nr_free_pages_settled();
	long tables0 = settled_pgtable_pages();
	long deferred0 = pgtable_events(PGTABLE_FREE_DEFERRED);
	long done0 = pgtable_events(PGTABLE_FREE_DONE);
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);

	for (int round = 0; round < STORM_ROUNDS; round++) {
		unsigned long len = STORM_PMDS * PMD_SIZE;
		KT_ASSERT_EQ(tmap(mm, STORM_BASE, len, RW, ANON | MAP_FIXED), (long)STORM_BASE);
		/* A fault needs no CR3 of the mm: the tables are made all the same. */
		for (int i = 0; i < STORM_PMDS; i++)
			KT_ASSERT_EQ(handle_mm_fault(mm, STORM_BASE + i * PMD_SIZE + round * PG,
						     FAULT_FLAG_WRITE), 0);
		KT_EXPECT_EQ(mm_pgtables_bytes(mm), STORM_TABLES * PG);
		if (round & 1) {
			/* First the upper half: two PTE tables go, the rest stays. */
			KT_EXPECT_EQ(do_munmap(mm, STORM_BASE + len / 2, len / 2), 0);
			KT_EXPECT_EQ(mm_pgtables_bytes(mm), (STORM_TABLES - STORM_PMDS / 2) * PG);
			KT_EXPECT_EQ(do_munmap(mm, STORM_BASE, len / 2), 0);
		} else {
			KT_EXPECT_EQ(do_munmap(mm, STORM_BASE, len), 0);
		}
		/* Gone from the mm at once (R1 step 1)... */
		KT_EXPECT_EQ(mm_pgtables_bytes(mm), 0);
		KT_EXPECT(mm_find_pmd(mm, STORM_BASE) == NULL);
	}
	mmput(mm);
	/* ...and from memory once the grace periods passed (R1 step 3). */
	rcu_barrier();
	long deferred = pgtable_events(PGTABLE_FREE_DEFERRED) - deferred0;
	long done = pgtable_events(PGTABLE_FREE_DONE) - done0;
	KT_EXPECT(deferred >= STORM_ROUNDS * STORM_TABLES);
	KT_EXPECT_EQ(done, deferred);
	KT_EXPECT_EQ(vm_state_read(NR_PAGE_TABLE_PAGES), tables0);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

/* --- a reader inside rcu_read_lock keeps the table ------------------------ */

#define READS_AFTER_UNMAP 1000          /* whole-table reads once munmap returned */

static struct {
	int reader_cpu;
	struct mm_struct *mm;
	pmd_t *pmd;                   /* the pmd of the PTE table the reader maps */
	unsigned long addr;
	struct page *table;           /* the reader's PTE table */
	int reader_in;                /* the reader holds the table (atomic flag) */
	int unmapped;                 /* the writer's munmap returned (atomic flag) */
	long munmap_ret;
	long done_before, deferred_before, deferred_after;
	long done_inside;             /* PGTABLE_FREE_DONE just before the reader left */
	unsigned long reads, reads_after_unmap;
	bool saw_dead;                /* the reader saw its table freed or poisoned */
	bool hung;                    /* the munmap never came */
} rr;

/*
 * An R3 walker: pte_offset_map() enters rcu_read_lock(), reads the pmd once
 * and maps the table through the direct map. It keeps reading the whole
 * table, interrupts on, while the other CPU unmaps it: until the munmap
 * has returned, and then READS_AFTER_UNMAP times more. Counted, not timed:
 * however slow either CPU, the reads after the unmap happen.
 */
static void rcu_reader(void)
{
	pte_t *pte = pte_offset_map(rr.pmd, rr.addr, NULL);

	if (!pte) {
		rr.saw_dead = true;
		__atomic_store_n(&rr.reader_in, 1, __ATOMIC_RELEASE);
		return;
	}
	rr.table = virt_to_page(pte);
	__atomic_store_n(&rr.reader_in, 1, __ATOMIC_RELEASE);
	u64 since = 0;
	while (rr.reads_after_unmap < READS_AFTER_UNMAP) {
		bool unmapped = __atomic_load_n(&rr.unmapped, __ATOMIC_ACQUIRE);
		if (pgtable_dead(rr.table))
			rr.saw_dead = true;
		rr.reads++;
		rr.reads_after_unmap += unmapped;
		if (!unmapped && ktest_hung(&since)) {
			rr.hung = true;
			break;
		}
		cpu_relax();
	}
	rr.done_inside = pgtable_events(PGTABLE_FREE_DONE);
	pte_unmap(pte);                       /* rcu_read_unlock(): now it may go */
}

/* Once the reader holds the table: unmap the range, which unhooks the table. */
static void unmapper(void)
{
	while (!__atomic_load_n(&rr.reader_in, __ATOMIC_ACQUIRE))
		cpu_relax();
	rr.done_before = pgtable_events(PGTABLE_FREE_DONE);
	rr.deferred_before = pgtable_events(PGTABLE_FREE_DEFERRED);
	rr.munmap_ret = do_munmap(rr.mm, rr.addr, PMD_SIZE);
	rr.deferred_after = pgtable_events(PGTABLE_FREE_DEFERRED);
	__atomic_store_n(&rr.unmapped, 1, __ATOMIC_RELEASE);
}

KTEST(pgtable_not_freed_under_rcu_reader)
{
	int me = cpu_id();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	rr = (__typeof__(rr)){ 0 };
	rr.reader_cpu = me == 1 ? 0 : 1;
	rr.addr = 0x200000000ul;
	rr.mm = mm_create();
	KT_ASSERT(rr.mm != NULL);
	KT_ASSERT_EQ(tmap(rr.mm, rr.addr, PMD_SIZE, RW, ANON | MAP_FIXED), (long)rr.addr);
	KT_ASSERT_EQ(handle_mm_fault(rr.mm, rr.addr + 3 * PG, FAULT_FLAG_WRITE), 0);
	rr.pmd = mm_find_pmd(rr.mm, rr.addr);
	KT_ASSERT(rr.pmd != NULL && pmd_present(*rr.pmd));
	/* No callback of an earlier test may finish while we watch the counter. */
	rcu_barrier();

	run_on_two_cpus(rr.reader_cpu, rcu_reader, me, unmapper);

	KT_ASSERT(rr.table != NULL);
	KT_EXPECT_EQ(rr.munmap_ret, 0);
	/* The PTE, PMD and PUD tables were queued, not freed, by the munmap... */
	KT_EXPECT_EQ(rr.deferred_after - rr.deferred_before, 3);
	/* ...while the reader was still reading, and it saw nothing of it. */
	KT_EXPECT(!rr.hung);
	KT_EXPECT_EQ(rr.reads_after_unmap, READS_AFTER_UNMAP);
	KT_EXPECT(!rr.saw_dead);
	/* No grace period ends while a reader is inside: no table at all was freed. */
	KT_EXPECT_EQ(rr.done_inside, rr.done_before);
	/* The reader left: the grace period ends, the callbacks free the tables. */
	rcu_barrier();
	KT_EXPECT_EQ(pgtable_events(PGTABLE_FREE_DONE) - rr.done_before, 3);
	KT_EXPECT(!PageTable(rr.table));
	mmput(rr.mm);
	printk("# pgtable_not_freed_under_rcu_reader: %lu reads, %lu after the munmap\n",
	       rr.reads, rr.reads_after_unmap);
}
