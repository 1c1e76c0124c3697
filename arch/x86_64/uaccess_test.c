/* Tests of the checked user copies (arch/x86_64/uaccess.c) on a real address space. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "kernel/ktest.h"
#include "mm/mm_ktest.h"
#include "mm/mmap_lock.h"

KTEST(uaccess_access_ok)
{
	KT_EXPECT(access_ok((void *)0, 0));
	KT_EXPECT(access_ok((void *)(USER_TOP - 8), 8));
	KT_EXPECT(!access_ok((void *)(USER_TOP - 8), 9));
	KT_EXPECT(!access_ok((void *)USER_TOP, 1));
	KT_EXPECT(!access_ok((void *)0x1000, ~0ul));                 /* wraps */
	KT_EXPECT(!access_ok((void *)0xffff888000000000ul, 1));      /* kernel half */
	KT_EXPECT(!access_ok((void *)0x0000800000000000ul, 1));      /* non-canonical */
}

KTEST(uaccess_strings_and_values)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 2 * PG, RW, ANON);
	char buf[16];
	u64 v = 0;

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(copy_to_user((void *)p, "hello", 6), 0);
	KT_EXPECT_EQ(strncpy_from_user(buf, (char *)p, sizeof(buf)), 5);
	KT_EXPECT_EQ(strcmp(buf, "hello"), 0);
	KT_EXPECT_EQ(strncpy_from_user(buf, (char *)p, 3), 3);      /* no NUL within 3 */
	KT_EXPECT_EQ(strncpy_from_user(buf, (char *)(p - PG), 4), -EFAULT);
	KT_EXPECT_EQ(strncpy_from_user(buf, (char *)USER_TOP, 4), -EFAULT);
	/* A string running into unmapped memory. */
	KT_EXPECT_EQ(copy_to_user((void *)(p + 2 * PG - 3), "abc", 3), 0);
	KT_EXPECT_EQ(strncpy_from_user(buf, (char *)(p + 2 * PG - 3), 8), -EFAULT);
	KT_EXPECT_EQ(put_user(0x1122334455667788ul, (u64 *)(p + 64)), 0);
	KT_EXPECT_EQ(get_user(v, (u64 *)(p + 64)), 0);
	KT_EXPECT_EQ(v, 0x1122334455667788ul);
	KT_EXPECT_EQ(get_user(v, (u64 *)(p - 8)), -EFAULT);
	KT_EXPECT_EQ(v, 0);
	KT_EXPECT_EQ(clear_user((void *)(p + 64), 8), 0);
	KT_EXPECT_EQ(get_user(v, (u64 *)(p + 64)), 0);
	KT_EXPECT_EQ(v, 0);
	KT_EXPECT_EQ(clear_user((void *)(p + 2 * PG - 4), 8), -EFAULT);
	test_mm_release(mm, prev);
}

/*
 * With SMAP, a kernel access to a mapped user page outside the copy
 * routines (no STAC) faults, and the fault is not taken for demand paging
 * (it would repeat forever): a probe with a fixup gets -EFAULT.
 */
KTEST(uaccess_smap)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, PG, RW, ANON);
	u64 v;

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(put_user(42ul, (u64 *)p), 0);
	if (cpu_has.smap) {
		KT_EXPECT(read_cr4() & CR4_SMAP);
		KT_EXPECT_EQ(probe_read_u64((void *)p, &v), -EFAULT);
	} else {
		printk("# uaccess_smap: the CPU has no SMAP; only the copy checked\n");
	}
	KT_EXPECT_EQ(get_user(v, (u64 *)p), 0);
	KT_EXPECT_EQ(v, 42);
	test_mm_release(mm, prev);
}

/*
 * ---- issue 9, bug 3: which mm a kernel fault pages into, and when not ----
 *
 * A kernel thread has no mm of its own, but its CPU may still have a user
 * mm loaded lazily (the last user thread that ran there). A user access
 * from it must fail with -EFAULT, not fault pages into that borrowed mm:
 * the fault handler pages in current->mm, never the CPU's loaded one.
 */
struct lazy_probe {
	struct mm_struct *mm;
	unsigned long addr;
	bool borrowed;             /* ran with mm loaded here and no mm of its own */
	int read_err, write_err;
};

static int kthread_user_copies(void *arg)
{
	struct lazy_probe *lp = arg;
	char c = 1;

	lp->borrowed = current->mm == NULL && current_loaded_mm() == lp->mm;
	lp->read_err = copy_from_user(&c, (const void *)lp->addr, 1);
	lp->write_err = copy_to_user((void *)(lp->addr + PG), &c, 1);
	return 0;
}

KTEST(uaccess_kthread_without_mm_gets_efault)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 2 * PG, RW, ANON);
	unsigned long faults = vm_event_sum(PGFAULT);
	struct lazy_probe lp = { .mm = mm, .addr = p };

	KT_ASSERT(p > 0);
	/* On this CPU: it switches to the kernel thread while we sleep in the
	 * join, and the kernel thread finds our mm loaded (lazy TLB). */
	KT_EXPECT_EQ(kthread_join(kthread_run("uaccess_no_mm", kthread_user_copies, &lp,
					      cpu_id())), 0);
	KT_EXPECT(lp.borrowed);
	KT_EXPECT_EQ(lp.read_err, -EFAULT);
	KT_EXPECT_EQ(lp.write_err, -EFAULT);
	/* Nothing was faulted into the borrowed mm. */
	KT_EXPECT_EQ(vm_event_sum(PGFAULT), faults);
	KT_EXPECT_EQ(get_mm_rss(mm), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), 0);
	KT_EXPECT(pte_none(mm_get_pte(mm, p)));
	test_mm_release(mm, prev);
}

/*
 * Where the fault handler must not run -- it sleeps on mmap_lock and may
 * allocate -- a user access fails with -EFAULT and pages nothing in:
 * inside rcu_read_lock(), with preemption off, under pagefault_disable().
 * Outside, the same access pages in as usual.
 */
KTEST(uaccess_atomic_context_gets_efault)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, 3 * PG, RW, ANON);
	unsigned long faults = vm_event_sum(PGFAULT);
	int in_rcu, preempt_off, pf_off;
	char c = 7;

	KT_ASSERT(p > 0);
	rcu_read_lock();
	in_rcu = copy_from_user(&c, (const void *)p, 1);
	rcu_read_unlock();
	preempt_disable();
	preempt_off = copy_to_user((void *)(p + PG), &c, 1);
	preempt_enable();
	pagefault_disable();
	pf_off = copy_to_user((void *)(p + 2 * PG), &c, 1);
	pagefault_enable();
	KT_EXPECT_EQ(in_rcu, -EFAULT);
	KT_EXPECT_EQ(preempt_off, -EFAULT);
	KT_EXPECT_EQ(pf_off, -EFAULT);
	KT_EXPECT_EQ(vm_event_sum(PGFAULT), faults);
	KT_EXPECT_EQ(get_mm_rss(mm), 0);
	/* Allowed again: a write fault maps a page. */
	KT_EXPECT_EQ(copy_to_user((void *)(p + 2 * PG), &c, 1), 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 1);
	test_mm_release(mm, prev);
}

/*
 * The same inside rcu_read_lock() with mmap_lock held for writing (as an
 * mmap path would): a fault handler that ran anyway would sleep on
 * mmap_lock inside the read-side section -- "scheduling while atomic", a
 * panic. It must not get that far. And the pattern pagefault_disable()
 * exists for: a copy with mmap_lock held, which a fault handler would
 * wait for forever.
 */
KTEST(uaccess_with_mmap_lock_held_gets_efault)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long p = tmap(mm, 0, PG, RW, ANON);
	int err;
	char c;

	KT_ASSERT(p > 0);
	down_write(&mm->mmap_lock);
	rcu_read_lock();
	err = copy_from_user(&c, (const void *)p, 1);
	rcu_read_unlock();
	pagefault_disable();
	int pf_off = copy_from_user(&c, (const void *)p, 1);
	pagefault_enable();
	mmap_write_unlock(mm);
	KT_EXPECT_EQ(err, -EFAULT);
	KT_EXPECT_EQ(pf_off, -EFAULT);
	KT_EXPECT_EQ(current->pagefault_disabled, 0);
	test_mm_release(mm, prev);
}
