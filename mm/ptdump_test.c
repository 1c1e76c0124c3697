/*
 * Tests of the page-table dump (mm/ptdump.c) on an mm of its own: it shows
 * each table once, in order, with the entries it holds, and it always
 * ends with its end line, however small the buffer.
 * (user/tests/ptdump_race.c dumps while other CPUs fault and reclaim.)
 */
#include "kernel/fault_inject.h"
#include "kernel/ktest.h"
#include "kernel/thread.h"
#include "kernel/timer.h"
#include "mm/mm_ktest.h"
#include "mm/huge_memory.h"
#include "mm/ptdump.h"

#define DUMP_BASE 0x50000000000ul        /* 5 TiB: a PGD slot of its own */

static char dump_buf[8192];

/* The first occurrence of needle in s, or NULL. */
static const char *find(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s; s++)
		if (!strncmp(s, needle, n))
			return s;
	return NULL;
}

/* How many lines of buf start with word (after the indentation). */
static int count_lines(const char *buf, const char *word)
{
	int n = 0;
	size_t len = strlen(word);

	for (const char *l = buf; *l; l = strchr(l, '\n') + 1) {
		while (*l == ' ')
			l++;
		n += !strncmp(l, word, len);
		if (!strchr(l, '\n'))
			break;
	}
	return n;
}

/* Three PTE tables: 1, 2 and 3 pages written; the dump names each with its count. */
KTEST(ptdump_shows_every_table)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	char want[96];

	KT_ASSERT_EQ(tmap(mm, DUMP_BASE, 3 * PMD_SIZE, RW, ANON | MAP_FIXED), (long)DUMP_BASE);
	for (int table = 0; table < 3; table++)
		for (int pg = 0; pg <= table; pg++)
			KT_ASSERT_EQ(handle_mm_fault(mm, DUMP_BASE + table * PMD_SIZE + pg * PG,
						     FAULT_FLAG_WRITE), 0);
	size_t len = ptdump_show(mm, 42, "ktest", dump_buf, sizeof(dump_buf));
	KT_EXPECT(len == strlen(dump_buf));
	KT_EXPECT(!strncmp(dump_buf, "ptdump: begin pid=42 comm=ktest ", 32));
	KT_EXPECT_EQ(count_lines(dump_buf, "pgd "), 1);
	KT_EXPECT_EQ(count_lines(dump_buf, "pud "), 1);
	KT_EXPECT_EQ(count_lines(dump_buf, "pmd "), 1);
	KT_EXPECT_EQ(count_lines(dump_buf, "pte "), 3);
	for (int table = 0; table < 3; table++) {
		snprintf(want, sizeof(want), " va=%#lx used=%d\n", DUMP_BASE + table * PMD_SIZE,
			 table + 1);
		KT_EXPECT(find(dump_buf, want) != NULL);
	}
	KT_EXPECT(find(dump_buf, "\nptdump: end tables=6 huge=0 ") != NULL);
	test_mm_release(mm, prev);
}

/*
 * A huge PMD is a leaf line of its own, with no PTE table below it; the
 * 2 MiB beside it, without MADV_HUGEPAGE, keeps its PTE table.
 */
KTEST(ptdump_shows_huge_pmd)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	char want[96];

	KT_ASSERT_EQ(tmap(mm, DUMP_BASE, 2 * PMD_SIZE, RW, ANON | MAP_FIXED), (long)DUMP_BASE);
	KT_ASSERT_EQ(do_madvise(mm, DUMP_BASE, PMD_SIZE, MADV_HUGEPAGE), 0);
	KT_ASSERT_EQ(do_madvise(mm, DUMP_BASE + PMD_SIZE, PMD_SIZE, MADV_NOHUGEPAGE), 0);
	KT_ASSERT_EQ(handle_mm_fault(mm, DUMP_BASE, FAULT_FLAG_WRITE), 0);
	KT_ASSERT_EQ(handle_mm_fault(mm, DUMP_BASE + PMD_SIZE, FAULT_FLAG_WRITE), 0);
	pmd_t pmdval = pmdp_get(mm_find_pmd(mm, DUMP_BASE));
	if (!pmd_trans_huge(pmdval)) {
		test_mm_release(mm, prev);
		KT_SKIP("no huge page here (thp=never, or no 2 MiB block free)");
	}
	ptdump_show(mm, 7, "ktest", dump_buf, sizeof(dump_buf));
	snprintf(want, sizeof(want), "        huge phys=%#lx va=%#lx rw\n",
		 pmd_pfn(pmdval) << PAGE_SHIFT, DUMP_BASE);
	KT_EXPECT(find(dump_buf, want) != NULL);
	snprintf(want, sizeof(want), " va=%#lx used=1\n", DUMP_BASE + PMD_SIZE);
	KT_EXPECT(find(dump_buf, want) != NULL);
	KT_EXPECT_EQ(count_lines(dump_buf, "pte "), 1);
	KT_EXPECT(find(dump_buf, "\nptdump: end tables=4 huge=1 ") != NULL);
	test_mm_release(mm, prev);
}

/* A buffer too small for the tables still ends with the end line, which counts what is missing. */
KTEST(ptdump_truncates_cleanly)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);

	KT_ASSERT_EQ(tmap(mm, DUMP_BASE, 8 * PMD_SIZE, RW, ANON | MAP_FIXED), (long)DUMP_BASE);
	for (int table = 0; table < 8; table++)
		KT_ASSERT_EQ(handle_mm_fault(mm, DUMP_BASE + table * PMD_SIZE, 0), 0);
	size_t len = ptdump_show(mm, 1, "ktest", dump_buf, 400);
	KT_EXPECT(len < 400);
	const char *end = find(dump_buf, "ptdump: end tables=11 ");
	KT_EXPECT(end != NULL);
	KT_EXPECT(end && find(end, " truncated=0\n") == NULL);     /* some lines were left out */
	KT_EXPECT(len > 0 && dump_buf[len - 1] == '\n');
	test_mm_release(mm, prev);
}

/* --- The dump against a munmap that frees tables under the read lock ------ */

static struct {
	struct fault_inject *fi;
	unsigned long hits0;
	struct thread *dumper;
	bool inside;                    /* the dump got into the table before the zap */
	char buf[8192];
} up;

static int dump_thread(void *mm)
{
	ptdump_show(mm, 43, "ktest", up.buf, sizeof(up.buf));
	return 0;
}

/*
 * munmap_downgraded_hook: the munmap has detached its VMA and holds
 * mmap_lock for reading. Start the dump (a reader too) and let the munmap
 * go on only once the dump is held inside the PMD table about to be freed.
 */
static void dump_into_the_hole(struct mm_struct *mm)
{
	u64 since = 0;

	up.dumper = kthread_run("dump", dump_thread, mm, 1);
	while (!(up.inside = fault_inject_hits(up.fi) > up.hits0) && !ktest_hung(&since))
		schedule_timeout_uninterruptible(1000000);
}

#define UPPER_HOLD_MS 1000              /* a grace period takes a few ticks: 10 ms each */

/*
 * A munmap of a whole 1 GiB frees the PMD table that maps it with
 * mmap_lock only read-held (it downgrades), so a dump -- read-held too --
 * may be inside that table. The munmap's hook starts the dump after the
 * downgrade and waits until the point ptdump_upper holds it in the table;
 * then the munmap unhooks the table, flushes and queues it for freeing.
 * The dump's rcu_read_lock must keep it alive through all that and the
 * grace periods after: the hold runs out (events 0) having seen the table
 * unhooked. Without rcu_read_lock the table dies under the dump.
 */
KTEST(ptdump_pmd_table_outlives_munmap)
{
	up.fi = fault_inject_find("ptdump_upper");
	KT_ASSERT(up.fi != NULL);
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	KT_ASSERT_EQ(tmap(mm, DUMP_BASE, PUD_SIZE, RW, ANON | MAP_FIXED | MAP_NORESERVE),
		     (long)DUMP_BASE);
	KT_ASSERT_EQ(handle_mm_fault(mm, DUMP_BASE + 5 * PG, FAULT_FLAG_WRITE), 0);
	up.hits0 = fault_inject_hits(up.fi);
	unsigned long events0 = fault_inject_events(up.fi);
	unsigned long unhooked0 = __atomic_load_n(&ptdump_upper_unhooked, __ATOMIC_RELAXED);
	fault_inject_set(up.fi, UPPER_HOLD_MS);
	munmap_downgraded_hook = dump_into_the_hole;
	KT_EXPECT_EQ(do_munmap(mm, DUMP_BASE, PUD_SIZE), 0);
	munmap_downgraded_hook = NULL;
	kthread_join(up.dumper);
	fault_inject_set(up.fi, 0);
	KT_EXPECT(up.inside);
	KT_EXPECT_EQ(__atomic_load_n(&ptdump_upper_unhooked, __ATOMIC_RELAXED) - unhooked0, 1);
	KT_EXPECT_EQ(fault_inject_events(up.fi) - events0, 0);    /* never saw it die */
	KT_EXPECT(find(up.buf, "ptdump: end ") != NULL);
	mmput(mm);
}
