/* Tests of the checked user copies (arch/x86_64/uaccess.c) on a real address space. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "kernel/ktest.h"
#include "mm/mm_ktest.h"

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
