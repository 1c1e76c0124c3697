/* Tests of kernel/fault_inject.c: a point holds only when on, and counts what happened. */
#include "kernel/fault_inject.h"
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "kernel/time.h"

/* A point of the tests' own, so switching it cannot disturb real code. */
DEFINE_FAULT_INJECT(fi_selftest, "selftest", "used by kernel/fault_inject_test.c only");

static bool always(void *arg)
{
	return true;
}

static bool never(void *arg)
{
	return false;
}

KTEST(fault_inject_off_holds_nothing)
{
	unsigned long hits = fault_inject_hits(&fi_selftest);

	KT_EXPECT(fault_inject_find("selftest") == &fi_selftest);
	KT_EXPECT(fault_inject_find("no_such_point") == NULL);
	KT_EXPECT(!fault_inject_delay(&fi_selftest));
	KT_EXPECT(!fault_inject_hold_until(&fi_selftest, always, NULL));
	KT_EXPECT_EQ(fault_inject_hits(&fi_selftest), hits);
}

KTEST(fault_inject_holds_and_counts)
{
	static char buf[4096];
	char want[96];
	unsigned long hits = fault_inject_hits(&fi_selftest);
	unsigned long events = fault_inject_events(&fi_selftest);

	fault_inject_set(&fi_selftest, 20);
	u64 t0 = ktime_ns();
	KT_EXPECT(fault_inject_delay(&fi_selftest));
	KT_EXPECT(ktime_ns() - t0 >= 20000000ull);              /* held the whole time */
	KT_EXPECT(fault_inject_hold_until(&fi_selftest, always, NULL));
	KT_EXPECT(!fault_inject_hold_until(&fi_selftest, never, NULL));   /* time ran out */
	size_t len = fault_inject_vmstat_show(buf, sizeof(buf));
	fault_inject_set(&fi_selftest, 0);

	KT_EXPECT_EQ(fault_inject_hits(&fi_selftest), hits + 3);
	KT_EXPECT_EQ(fault_inject_events(&fi_selftest), events + 1);
	KT_EXPECT(len > 0 && len < sizeof(buf));
	/* Only this point is on (no fault_inject= in a ktest boot): its two lines alone. */
	snprintf(want, sizeof(want), "fault_inject_selftest_hits %lu\nfault_inject_selftest_events %lu\n",
		 hits + 3, events + 1);
	KT_EXPECT(!strcmp(buf, want));
	KT_EXPECT_EQ(fault_inject_vmstat_show(buf, sizeof(buf)), 0);   /* off: no lines */
}

/* A failure point fails only calls made for a user process: a kernel thread is spared. */
KTEST(fault_inject_fail_spares_kernel_threads)
{
	unsigned long hits = fault_inject_hits(&fi_selftest);

	KT_EXPECT(!should_fail(&fi_selftest));                 /* off */
	fault_inject_set_fail(&fi_selftest, 1, 0, 0);           /* every call, for a process */
	KT_EXPECT(!should_fail(&fi_selftest));                 /* this is a kernel thread */
	fault_inject_set_fail(&fi_selftest, 0, 0, 0);
	KT_EXPECT_EQ(fault_inject_hits(&fi_selftest), hits);    /* not even looked at */
}
