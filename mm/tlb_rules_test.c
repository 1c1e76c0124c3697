/*
 * Tests of rules R2, R4 and R7 (docs/design.md):
 *
 *  - R2: a page a zap took away is freed only after the flush. A reader on
 *    another CPU goes on reading it through its stale TLB entry while the
 *    flush is pending (the window widened by the fault-injection point
 *    tlb_flush, switched on here if the boot did not); it
 *    must see the old data, or once flushed the new zeroes, never the
 *    poison of a free page (page_poison) or another owner's data.
 *  - R4: while a gather owes the flush of the PMD entry it cleared,
 *    installing a new PTE table there flushes the range first; a gather
 *    that cleared no PMD entry, or cleared another 2 MiB's, or has flushed,
 *    owes it nothing.
 *  - R7: a gather that finishes while another one on the same mm is still
 *    running flushes the whole mm, even if it cleared nothing itself; alone,
 *    an empty gather flushes nothing.
 */
#include "kernel/fault_inject.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "mm/internal.h"
#include "mm/mm_ktest.h"
#include "mm/pt_reclaim.h"
#include "mm/tlb.h"

#define RULES_BASE 0x20000000000ul      /* 2 TiB: a PGD slot of its own */

/*
 * The flushes counted below are this CPU's (vm_event_this_cpu), the only
 * one with the test's mm loaded; the test thread stays on its CPU (it is
 * bound there).
 */

static unsigned long tlb_flushes(void)
{
	return vm_event_this_cpu(NR_TLB_LOCAL_FLUSH_ONE) +
	       vm_event_this_cpu(NR_TLB_LOCAL_FLUSH_ALL);
}

/*
 * R4 is precise. A gather open on the mm that cleared no PMD entry owes a
 * populate nothing: no flush (the old per-mm rule flushed here; the
 * skipped counter says so). One that cleared the PMD of a 2 MiB makes the
 * populate of that 2 MiB flush, once; a populate of another 2 MiB does not
 * flush for it; and after the gather has flushed, nobody does.
 */
KTEST(r4_flush_before_pmd_install)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	struct zap_details reclaim = { .reclaim_pt = true };
	struct mmu_gather tlb;

	KT_ASSERT_EQ(tmap(mm, RULES_BASE, 3 * PMD_SIZE, RW, ANON | MAP_FIXED), (long)RULES_BASE);
	unsigned long before = tlb_flushes(), r4 = vm_event_this_cpu(TLB_FLUSH_BEFORE_SET_PMD);
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(tlb_flushes() - before, 0);        /* no gather, no flush owed */

	tlb_gather_mmu(&tlb, mm);                       /* as a DONTNEED elsewhere */
	unsigned long skipped = vm_event_this_cpu(TLB_FLUSH_BEFORE_SET_PMD_SKIPPED);
	before = tlb_flushes();
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE + PMD_SIZE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(tlb_flushes() - before, 0);        /* open, but it cleared no PMD */
	KT_EXPECT_EQ(vm_event_this_cpu(TLB_FLUSH_BEFORE_SET_PMD_SKIPPED) - skipped, 1);

	/* The gather reclaims the first 2 MiB's table: that PMD now owes a flush. */
	unmap_page_range(&tlb, RULES_BASE, RULES_BASE + PG, &reclaim);
	KT_ASSERT(pmd_none(*mm_find_pmd(mm, RULES_BASE)));
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE + 2 * PMD_SIZE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(vm_event_this_cpu(TLB_FLUSH_BEFORE_SET_PMD) - r4, 0);   /* another 2 MiB */
	before = tlb_flushes();
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT(tlb_flushes() - before > 0);          /* R4: flushed before set_pmd */
	KT_EXPECT_EQ(vm_event_this_cpu(TLB_FLUSH_BEFORE_SET_PMD) - r4, 1);
	tlb_finish_mmu(&tlb);

	tlb_gather_mmu(&tlb, mm);                       /* flushed its clear: owes nothing */
	unmap_page_range(&tlb, RULES_BASE, RULES_BASE + PG, &reclaim);
	tlb_flush_mmu(&tlb);
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE, FAULT_FLAG_WRITE), 0);
	KT_EXPECT_EQ(vm_event_this_cpu(TLB_FLUSH_BEFORE_SET_PMD) - r4, 1);
	tlb_finish_mmu(&tlb);
	test_mm_release(mm, prev);
}

KTEST(r7_nested_gather_flushes_whole_mm)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	struct mmu_gather outer, inner;

	KT_ASSERT_EQ(tmap(mm, RULES_BASE, PMD_SIZE, RW, ANON | MAP_FIXED), (long)RULES_BASE);
	KT_EXPECT_EQ(handle_mm_fault(mm, RULES_BASE, FAULT_FLAG_WRITE), 0);

	tlb_gather_mmu(&outer, mm);
	unsigned long full = vm_event_this_cpu(NR_TLB_LOCAL_FLUSH_ALL);
	tlb_gather_mmu(&inner, mm);
	tlb_finish_mmu(&inner);                         /* cleared nothing, but nested */
	KT_EXPECT(vm_event_this_cpu(NR_TLB_LOCAL_FLUSH_ALL) - full >= 1);
	tlb_finish_mmu(&outer);

	unsigned long before = tlb_flushes();
	tlb_gather_mmu(&outer, mm);
	tlb_finish_mmu(&outer);                         /* alone and empty: nothing to flush */
	KT_EXPECT_EQ(tlb_flushes() - before, 0);
	test_mm_release(mm, prev);
}

/* --- R2: data pages are freed after the flush ----------------------------- */

#define R2_HOLD_MS      1        /* the window, when the boot set none */
#define R2_STALE_ROUNDS 8        /* rounds whose page was read through a stale entry */
#define R2_MAX_ROUNDS   400

static struct {
	int reader_cpu;
	struct mm_struct *mm;
	int filled;                   /* atomic: the writer filled the page of this round */
	int primed;                   /* atomic: the reader's TLB maps it */
	int zapped;                   /* atomic: this round's DONTNEED returned */
	int seen;                     /* atomic: the reader saw that */
	int stop;                     /* atomic */
	int rounds;
	long reads, stale_rounds, bad, errors;
	u64 bad_value;                /* the first bad read */
	unsigned long bad_offset;
} r2;

/* Every byte of round r's page; never 0, never a byte of the poison. */
static u64 r2_pattern(int round)
{
	return 0x0101010101010101ul * (u64)(0x20 + round % 0xc0);
}

static u64 r2_read(unsigned long off)
{
	u64 v = 0;

	if (copy_from_user(&v, (const void *)(RULES_BASE + off), sizeof(v)))
		r2.errors++;
	r2.reads++;
	return v;
}

/*
 * Old data or new zeroes, byte by byte: one copy_from_user() may straddle
 * the flush, its first bytes read from the old page and the rest, after
 * the fault, from the zero page.
 */
static bool r2_old_or_new(u64 v, u64 old)
{
	for (int i = 0; i < 8; i++, v >>= 8, old >>= 8)
		if ((v & 0xff) && (v & 0xff) != (old & 0xff))
			return false;
	return true;
}

/*
 * One read during round r: the old data or, once flushed and faulted
 * again, zeroes. Returns true if it read the old data although the PTE
 * was already cleared: through this CPU's stale TLB entry.
 */
static bool r2_check(int round, unsigned long off)
{
	bool cleared = pte_none(mm_get_pte(r2.mm, RULES_BASE));
	u64 v = r2_read(off);

	if (!r2_old_or_new(v, r2_pattern(round)) && !r2.bad++) {
		r2.bad_value = v;
		r2.bad_offset = off;
	}
	return cleared && v == r2_pattern(round);
}

static void r2_reader(void)
{
	struct mm_struct *prev = test_use_mm(r2.mm);
	unsigned long off = 0;

	for (int round = 1;; round++) {
		while (__atomic_load_n(&r2.filled, __ATOMIC_ACQUIRE) < round)
			if (__atomic_load_n(&r2.stop, __ATOMIC_ACQUIRE))
				goto out;
		while (r2_read(0) != r2_pattern(round))   /* now in this CPU's TLB */
			cpu_relax();
		__atomic_store_n(&r2.primed, round, __ATOMIC_RELEASE);
		bool stale = false, last;
		do {
			last = __atomic_load_n(&r2.zapped, __ATOMIC_ACQUIRE) == round;
			/* The poison is in word 0; with page_poison in every word. */
			off = page_poison ? (off + 8 * 67) % PG : 0;
			stale |= r2_check(round, 0);
			stale |= r2_check(round, off);
		} while (!last);
		r2.stale_rounds += stale;
		__atomic_store_n(&r2.seen, round, __ATOMIC_RELEASE);
	}
out:
	test_unuse_mm(r2.mm, prev);
}

static void r2_wait(int *flag, int round)
{
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < round)
		cpu_relax();
}

/* Each round: a new page full of the round's pattern, read by the reader, DONTNEEDed. */
static void r2_writer(void)
{
	static u64 buf[PG / sizeof(u64)];
	struct mm_struct *prev = test_use_mm(r2.mm);

	for (int round = 1; round <= R2_MAX_ROUNDS && r2.stale_rounds < R2_STALE_ROUNDS && !r2.bad;
	     round++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(buf); i++)
			buf[i] = r2_pattern(round);
		if (copy_to_user((void *)RULES_BASE, buf, PG))
			r2.errors++;
		__atomic_store_n(&r2.filled, round, __ATOMIC_RELEASE);
		r2_wait(&r2.primed, round);
		/* R2: the zap clears the PTE; the page must outlive the pending flush. */
		if (do_madvise(r2.mm, RULES_BASE, PG, MADV_DONTNEED))
			r2.errors++;
		__atomic_store_n(&r2.zapped, round, __ATOMIC_RELEASE);
		r2_wait(&r2.seen, round);
		r2.rounds = round;
	}
	__atomic_store_n(&r2.stop, 1, __ATOMIC_RELEASE);
	test_unuse_mm(r2.mm, prev);
}

KTEST(r2_page_freed_after_flush)
{
	struct fault_inject *fi = fault_inject_find("tlb_flush");
	unsigned long hold = fi->ms;
	int me = cpu_id();

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	r2 = (__typeof__(r2)){ .reader_cpu = me == 1 ? 0 : 1 };
	r2.mm = mm_create();
	KT_ASSERT(r2.mm != NULL);
	KT_ASSERT_EQ(tmap(r2.mm, RULES_BASE, PG, RW, ANON | MAP_FIXED), (long)RULES_BASE);
	if (!hold)
		fault_inject_set(fi, R2_HOLD_MS);
	run_on_two_cpus(r2.reader_cpu, r2_reader, me, r2_writer);
	fault_inject_set(fi, hold);

	printk("# r2_page_freed_after_flush: %d rounds, %ld reads; in %ld rounds the reader "
	       "read the zapped page through its stale TLB entry (poison: %s)\n", r2.rounds,
	       r2.reads, r2.stale_rounds, page_poison ? "every word" : "word 0");
	if (r2.bad)
		printk("# r2_page_freed_after_flush: %ld bad reads, the first %#lx at offset %#lx%s\n",
		       r2.bad, r2.bad_value, r2.bad_offset,
		       r2.bad_value == PAGE_POISON_FREE ? ": the poison of a free page" : "");
	KT_EXPECT_EQ(r2.errors, 0);
	/* R2: only the old data or the new zeroes, ever... */
	KT_EXPECT_EQ(r2.bad, 0);
	/* ...and the reader did read through a stale entry while the flush was pending. */
	KT_EXPECT(r2.stale_rounds >= R2_STALE_ROUNDS);
	mmput(r2.mm);
}
