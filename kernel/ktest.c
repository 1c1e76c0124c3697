/* The in-kernel test runner: KTAP version 1 on the console (see ktest.h). */
#include "kernel/ktest.h"
#include "arch/x86_64/cpu.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/timer.h"

extern const struct ktest __ktests_start[], __ktests_end[];

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("# %s: %s:%d: %s\n", t->name, file, line, msg);
	t->failures++;
}

void ktest_skip(struct ktest_ctx *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->skip, sizeof(t->skip), fmt, ap);
	va_end(ap);
	if (!t->skip[0])
		strlcpy(t->skip, "skipped", sizeof(t->skip));
}

bool ktest_hung(u64 *since)
{
	u64 now = ktime_ns();

	if (!*since)
		*since = now;
	return now - *since > KT_HANG_NS;
}

bool ktest_wait_step(struct ktest_ctx *t, u64 *since, const char *file, int line,
		     const char *what)
{
	if (t->hung)
		return false;
	if (ktest_hung(since)) {
		ktest_fail(t, file, line, "waited %llu s for %s: a hang, not a slow CPU",
			   KT_HANG_NS / 1000000000ull, what);
		t->hung = true;
		return false;
	}
	sleep_ns(1000000);
	return true;
}

/* One KTAP result line: "ok 3 name", "not ok 3 name", "ok 3 name # SKIP why". */
static void ktest_report(const struct ktest_ctx *t, int number)
{
	if (t->failures)
		printk("not ok %d %s\n", number, t->name);
	else if (t->skip[0])
		printk("ok %d %s # SKIP %s\n", number, t->name, t->skip);
	else
		printk("ok %d %s\n", number, t->name);
}

int ktest_run(const char *glob)
{
	int planned = 0, number = 0, failed = 0, skipped = 0;

	for (const struct ktest *k = __ktests_start; k < __ktests_end; k++)
		planned += glob_match(glob, k->name);
	printk("KTAP version 1\n");
	printk("1..%d\n", planned);
	for (const struct ktest *k = __ktests_start; k < __ktests_end; k++) {
		if (!glob_match(glob, k->name))
			continue;
		struct ktest_ctx t = { .name = k->name };
		u64 start = ktime_ns();
		k->fn(&t);
		if (!irqs_enabled()) {         /* a test must leave the CPU as it found it */
			ktest_fail(&t, __FILE__, __LINE__, "returned with interrupts off");
			irq_enable();
		}
		printk("# %s: %llu ms\n", k->name, (unsigned long long)(ktime_ns() - start) / 1000000);
		ktest_report(&t, ++number);
		failed += t.failures != 0;
		skipped += !t.failures && t.skip[0];
	}
	printk("# ktest: %d passed, %d failed, %d skipped\n",
	       number - failed - skipped, failed, skipped);
	return failed;
}
