/* The in-kernel test runner: KTAP version 1 on the console (see ktest.h). */
#include "kernel/ktest.h"
#include "arch/x86_64/cpu.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/time.h"

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

int ktest_run(const char *glob)
{
	int planned = 0, number = 0, failed = 0;

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
		printk("%s %d %s\n", t.failures ? "not ok" : "ok", ++number, k->name);
		failed += t.failures != 0;
	}
	printk("# ktest: %d passed, %d failed\n", number - failed, failed);
	return failed;
}
