/*
 * Tests of the lazy-TLB policy of arch/x86_64/tlb.c: no flush skips a lazy
 * CPU.
 *
 * A CPU runs a thread of the mm (it reads a page, so its TLB holds the
 * translation), then that thread sleeps and the CPU switches to a kernel
 * thread: no CR3 write, the mm stays loaded and the CPU stays in
 * mm_cpumask. It is lazy. Meanwhile another CPU takes the page away.
 *
 *  - munmap, which frees the page tables too (freed_tables): the lazy CPU
 *    must be flushed at once. Its paging-structure caches may point into
 *    the freed tables and the CPU may walk them speculatively at any time;
 *    here the kernel thread reads the address itself, which must fault
 *    rather than find the unmapped page through a stale entry.
 *  - MADV_DONTNEED, which frees only the page: the flush must reach the
 *    lazy CPU too, because when the mm's thread comes back no CR3 write
 *    happens (switch_mm(mm, mm)) and nothing else would drop the stale
 *    entry (Linux skips lazy CPUs here and catches up through TLB
 *    generation numbers at switch-back; Quiesce keeps none).
 *
 * Both fail if flush_tlb_mm_range() leaves lazy CPUs out of its targets.
 */
#include "arch/x86_64/context.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/thread.h"
#include "mm/mm_ktest.h"

#define LAZY_BASE 0x40000000000ul       /* 4 TiB: a PGD slot of its own */
#define LAZY_OLD  0x1a2b3c4d5e6f7a8bul   /* what the page holds before it goes */

static struct {
	int cpu;                      /* the CPU that goes lazy */
	struct mm_struct *mm;
	bool reread;                  /* the owner reads the page again when it comes back */
	int owner_ready, probe_ready, go, release;   /* atomic flags */
	int owner_err;
	u64 owner_value;              /* what the owner read when it came back */
	bool cr3_kept;                /* ...without a CR3 write in between */
	bool lazy;                    /* the probe ran with the mm loaded and no mm of its own */
	unsigned long flushes;        /* flushes the lazy CPU did while the probe waited */
	int probe_ret;                /* copy_from_user() in the probe: 0 = it read something */
	u64 probe_value;
} lz;

static void lz_wait(int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void lz_set(int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

static unsigned long local_flushes(void)
{
	return vm_event_this_cpu(NR_TLB_LOCAL_FLUSH_ONE) +
	       vm_event_this_cpu(NR_TLB_LOCAL_FLUSH_ALL);
}

/*
 * A thread of the mm on lz.cpu: write and read the page (now in this CPU's
 * TLB), then sleep, leaving the CPU to the probe with the mm loaded.
 */
static int lazy_owner(void *unused)
{
	u64 old = LAZY_OLD, v = 0;

	use_mm(lz.mm);
	lz.owner_err = copy_to_user((void *)LAZY_BASE, &old, sizeof(old)) ||
		       copy_from_user(&v, (const void *)LAZY_BASE, sizeof(v)) || v != old;
	u64 cr3 = read_cr3();
	lz_set(&lz.owner_ready);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (__atomic_load_n(&lz.release, __ATOMIC_ACQUIRE))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	/* Back on the CPU: switch_mm(mm, mm) wrote no CR3, so the TLB is what the flushes left. */
	lz.cr3_kept = read_cr3() == cr3;
	if (lz.reread && copy_from_user(&lz.owner_value, (const void *)LAZY_BASE, sizeof(u64)))
		lz.owner_err++;
	use_mm(NULL);
	return 0;
}

/*
 * A kernel thread on the same CPU: it borrows the mm lazily and waits
 * while the test takes the page away. With lz.reread false (the page
 * tables are gone) it then reads the address: that must fault.
 */
static int lazy_probe(void *unused)
{
	lz.lazy = current->mm == NULL && current_loaded_mm() == lz.mm;
	unsigned long before = local_flushes();
	lz_set(&lz.probe_ready);
	lz_wait(&lz.go);
	lz.flushes = local_flushes() - before;
	lz.lazy &= current_loaded_mm() == lz.mm;
	if (!lz.reread)
		lz.probe_ret = copy_from_user(&lz.probe_value, (const void *)LAZY_BASE, sizeof(u64));
	return 0;
}

/*
 * Make lz.cpu lazy on a new mm with one page mapped, run take_away(mm)
 * on this CPU, then let the probe and the owner look. 0, or -1 if the
 * set-up failed.
 */
static int lazy_run(bool reread, long (*take_away)(struct mm_struct *mm))
{
	lz = (__typeof__(lz)){ .cpu = cpu_id() == 1 ? 0 : 1, .reread = reread, .probe_ret = -1 };
	lz.mm = mm_create();
	if (!lz.mm)
		return -1;
	if (tmap(lz.mm, LAZY_BASE, PMD_SIZE, RW, ANON | MAP_FIXED) != (long)LAZY_BASE) {
		mmput(lz.mm);
		return -1;
	}
	/*
	 * Between the owner's sleep and the probe's start the CPU may halt;
	 * with idle_leave_mm it would leave the mm then, and be lazy no more.
	 */
	bool leave = READ_ONCE(idle_leave_mm_enabled);
	WRITE_ONCE(idle_leave_mm_enabled, false);
	struct thread *owner = kthread_run("lazy_owner", lazy_owner, NULL, lz.cpu);
	lz_wait(&lz.owner_ready);
	struct thread *probe = kthread_run("lazy_probe", lazy_probe, NULL, lz.cpu);
	lz_wait(&lz.probe_ready);
	long ret = take_away(lz.mm);
	lz_set(&lz.go);
	kthread_join(probe);
	WRITE_ONCE(idle_leave_mm_enabled, leave);
	lz_set(&lz.release);
	wake_up_process(owner);
	kthread_join(owner);
	WRITE_ONCE(idle_leave_mm_enabled, leave);
	mmput(lz.mm);
	return ret ? -1 : 0;
}

static long lazy_munmap(struct mm_struct *mm)
{
	return do_munmap(mm, LAZY_BASE, PMD_SIZE);
}

static long lazy_dontneed(struct mm_struct *mm)
{
	return do_madvise(mm, LAZY_BASE, PG, MADV_DONTNEED);
}

KTEST(lazy_tlb_flushed_when_tables_freed)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	long tables0 = settled_pgtable_pages();
	KT_ASSERT_EQ(lazy_run(false, lazy_munmap), 0);
	KT_EXPECT_EQ(lz.owner_err, 0);
	KT_EXPECT(lz.lazy);                  /* the set-up did make the CPU lazy */
	/* The munmap freed the PTE, PMD and PUD tables: the lazy CPU flushed... */
	KT_EXPECT(lz.flushes >= 1);
	/* ...so a read there faults instead of reaching the page through a stale entry. */
	if (!KT_EXPECT(lz.probe_ret != 0))
		printk("# the lazy CPU read %#lx from the unmapped page%s\n", lz.probe_value,
		       lz.probe_value == PAGE_POISON_FREE ? ": the poison of a free page" : "");
	KT_EXPECT_EQ(settled_pgtable_pages(), tables0);
}

KTEST(lazy_tlb_flushed_before_switch_back)
{
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	KT_ASSERT_EQ(lazy_run(true, lazy_dontneed), 0);
	KT_EXPECT_EQ(lz.owner_err, 0);
	KT_EXPECT(lz.lazy);
	KT_EXPECT(lz.flushes >= 1);          /* the DONTNEED's flush reached the lazy CPU */
	KT_EXPECT(lz.cr3_kept);              /* coming back wrote no CR3 ... */
	/* ... so only that flush keeps the owner from reading the freed page. */
	if (!KT_EXPECT_EQ(lz.owner_value, 0))
		printk("# the mm's thread read %#lx through a stale entry%s\n", lz.owner_value,
		       lz.owner_value == PAGE_POISON_FREE ? ": the poison of a free page" : "");
}

/*
 * switch_mm writes CR3 -- and counts it in nr_switch_mm_cr3 -- only when
 * the mm changes: to a thread's own mm from none, and back; never for the
 * mm already loaded (the lazy-TLB switch back to it costs nothing). With
 * preemption off, nothing else switches this CPU meanwhile.
 */
KTEST(switch_mm_counts_cr3_loads)
{
	struct mm_struct *mm = mm_create();

	KT_ASSERT(mm != NULL);
	preempt_disable();
	unsigned long c0 = vm_event_this_cpu(NR_SWITCH_MM_CR3);
	struct mm_struct *prev = test_use_mm(mm);
	unsigned long c1 = vm_event_this_cpu(NR_SWITCH_MM_CR3);
	use_mm(mm);                          /* the same mm again */
	unsigned long c2 = vm_event_this_cpu(NR_SWITCH_MM_CR3);
	test_unuse_mm(mm, prev);
	unsigned long c3 = vm_event_this_cpu(NR_SWITCH_MM_CR3);
	preempt_enable();
	KT_EXPECT_EQ(c1 - c0, 1);
	KT_EXPECT_EQ(c2 - c1, 0);
	KT_EXPECT_EQ(c3 - c2, prev == mm ? 0 : 1);
	mmput(mm);
}
