/*
 * In-kernel tests, printed as KTAP version 1.
 *
 *     KTEST(buddy_every_order)
 *     {
 *             struct page *p = alloc_pages(3);
 *             KT_ASSERT(p != NULL);
 *             KT_EXPECT_EQ(page_order(p), 3);
 *     }
 *
 * A test is a function registered with KTEST(name); the linker gathers them
 * (section .ktests) and the boot option `ktest` or `ktest=GLOB` runs them on
 * the boot CPU after every CPU is online. KT_ASSERT* end the test at the
 * first failure; KT_EXPECT* record it and go on. Each failure prints a `#`
 * diagnostic line with file, line and the values.
 *
 * A test that cannot run here (one CPU, say) says so and returns:
 *
 *             if (nr_cpus < 2)
 *                     KT_SKIP("needs 2 CPUs");
 *
 * and is reported as `ok N name # SKIP needs 2 CPUs`, which the host's
 * runner counts as a skip, never as a pass. A test that failed before it
 * skipped stays `not ok`.
 */
#pragma once
#include "kernel/types.h"

struct ktest_ctx {
	const char *name;
	int failures;
	char skip[96];          /* non-empty: the test skipped itself, and why */
	bool hung;              /* a KT_WAIT_FOR gave up: later ones do not wait */
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *t);
};

#define KTEST(nm)                                                             \
	static void ktest_fn_##nm(struct ktest_ctx *t);                       \
	static const struct ktest ktest_##nm __used __section(".ktests")      \
		__aligned(8) = { #nm, ktest_fn_##nm };                        \
	static void ktest_fn_##nm(struct ktest_ctx *t)

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
	__printf(4, 5);

#define KT_EXPECT(cond) ({                                                    \
	bool __ok = !!(cond);                                                 \
	if (!__ok)                                                            \
		ktest_fail(t, __FILE__, __LINE__, "expected %s", #cond);      \
	__ok; })

#define KT_EXPECT_EQ(a, b) ({                                                 \
	long long __a = (long long)(a), __b = (long long)(b);                 \
	if (__a != __b)                                                       \
		ktest_fail(t, __FILE__, __LINE__, "expected %s == %s, got %lld and %lld", \
			   #a, #b, __a, __b);                                 \
	__a == __b; })

void ktest_skip(struct ktest_ctx *t, const char *fmt, ...) __printf(2, 3);

#define KT_SKIP(...)        do { ktest_skip(t, __VA_ARGS__); return; } while (0)

#define KT_ASSERT(cond)     do { if (!KT_EXPECT(cond)) return; } while (0)
#define KT_ASSERT_EQ(a, b)  do { if (!KT_EXPECT_EQ(a, b)) return; } while (0)

/*
 * Waiting for an event. A test never sleeps a fixed time and hopes that
 * what it needs happened meanwhile: an emulated CPU can stall for seconds.
 * It waits until the thing is true:
 *
 *             KT_WAIT_FOR(waitqueue_active(&wq));
 *
 * KT_HANG_NS only turns a wait that would never end (the bug the test is
 * for) into a failure that names what it waited for, instead of a boot
 * that times out. It is far longer than any stall: not a guess at how
 * long the event takes.
 */
#define KT_HANG_NS (30 * 1000000000ull)

/*
 * True once KT_HANG_NS have passed since the first call with *since == 0
 * (which sets *since). For loops that cannot sleep: in a called function,
 * under a spinlock, inside rcu_read_lock().
 */
bool ktest_hung(u64 *since);
/*
 * One step of KT_WAIT_FOR: sleep 1 ms and return true, or fail and return
 * false (at once if an earlier wait of this test hung: one hang is enough).
 */
bool ktest_wait_step(struct ktest_ctx *t, u64 *since, const char *file, int line,
		     const char *what);

/*
 * Sleep until cond is true. Its value is cond's last one; a wait that hung
 * has already been reported as a failure. Process context.
 */
#define KT_WAIT_FOR(cond) ({                                                  \
	u64 __since = 0;                                                      \
	bool __ok;                                                            \
	while (!(__ok = !!(cond)) &&                                          \
	       ktest_wait_step(t, &__since, __FILE__, __LINE__, #cond))       \
		;                                                             \
	__ok; })

/* Run the tests whose name matches glob; returns the number that failed. */
int ktest_run(const char *glob);
