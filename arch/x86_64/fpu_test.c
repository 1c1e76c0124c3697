/*
 * Tests of per-thread FPU/SSE/AVX state (arch/x86_64/fpu.c): each thread
 * keeps its own register values across context switches, and a new thread
 * starts from the clean state, not from its predecessor's.
 */
#include "arch/x86_64/fpu.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"

void xmm_load_all(const u64 in[32]);
void xmm_store_all(u64 out[32]);
void ymm_load_high(const u64 in[32]);
void ymm_store_high(u64 out[32]);
u32 mxcsr_read(void);
void mxcsr_write(u32 v);

#define FPU_SWITCHES 50
#define MXCSR_DEFAULT 0x1f80

static bool have_avx(void)
{
	return fpu_xfeatures() & XFEATURE_AVX;
}

static void pattern(u64 out[32], u64 seed)
{
	for (int i = 0; i < 32; i++)
		out[i] = seed * 0x9e3779b97f4a7c15ull + i;
}

/* How many of the 32 words differ. */
static int mismatches(const u64 a[32], const u64 b[32])
{
	int n = 0;

	for (int i = 0; i < 32; i++)
		n += a[i] != b[i];
	return n;
}

struct fpu_owner {
	u64 seed;
	u32 mxcsr;                     /* a rounding mode of its own */
	int bad;                       /* register words found changed */
	int switches_seen;
	int *gate;                     /* all count in here, then start together */
	int gate_n;
};

/*
 * Load our values (XMM, the upper YMM halves if AVX, MXCSR), then yield
 * again and again to a thread doing the same with other values on this
 * CPU, checking ours after every switch back.
 */
static int keep_fpu_values(void *arg)
{
	struct fpu_owner *o = arg;
	u64 want[32], high[32], got[32];
	u64 before = current->nr_switches_in;

	pattern(want, o->seed);
	pattern(high, ~o->seed);
	xmm_load_all(want);
	if (have_avx())
		ymm_load_high(high);
	mxcsr_write(o->mxcsr);
	__atomic_fetch_add(o->gate, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(o->gate, __ATOMIC_ACQUIRE) < o->gate_n)
		yield();
	for (int i = 0; i < FPU_SWITCHES; i++) {
		yield();
		xmm_store_all(got);
		o->bad += mismatches(want, got);
		if (have_avx()) {
			ymm_store_high(got);
			o->bad += mismatches(high, got);
		}
		o->bad += mxcsr_read() != o->mxcsr;
	}
	o->switches_seen = current->nr_switches_in - before;
	return 0;
}

/*
 * Pairs of threads per CPU, each with its own register values: with a
 * context switch between every two checks, a missing save or restore
 * shows the other thread's values.
 */
KTEST(fpu_state_per_thread)
{
	static struct fpu_owner o[2 * MAX_CPUS];
	struct thread *th[2 * MAX_CPUS];
	int n = 2 * nr_cpus, gate = 0;

	for (int i = 0; i < n; i++) {
		o[i] = (struct fpu_owner){ .seed = i + 1, .mxcsr = MXCSR_DEFAULT | ((i % 4) << 13),
					   .gate = &gate, .gate_n = n };
		th[i] = kthread_create("fpu_owner", keep_fpu_values, &o[i], i / 2);
		KT_ASSERT(th[i] != NULL);
	}
	for (int i = 0; i < n; i++)             /* all made first: they start together */
		wake_up_new_thread(th[i]);
	for (int i = 0; i < n; i++) {
		kthread_join(th[i]);
		KT_EXPECT_EQ(o[i].bad, 0);
		KT_EXPECT(o[i].switches_seen >= FPU_SWITCHES / 2);
	}
}

struct fresh_view {
	int nonzero;                   /* register words not 0 */
	u32 mxcsr;
};

static int look_at_fresh_fpu(void *arg)
{
	struct fresh_view *v = arg;
	u64 got[32], zero[32] = { 0 };

	xmm_store_all(got);
	v->nonzero = mismatches(zero, got);
	if (have_avx()) {
		ymm_store_high(got);
		v->nonzero += mismatches(zero, got);
	}
	v->mxcsr = mxcsr_read();
	return 0;
}

static int dirty_fpu(void *arg)
{
	u64 junk[32];

	pattern(junk, 0xdead);
	xmm_load_all(junk);
	if (have_avx())
		ymm_load_high(junk);
	mxcsr_write(MXCSR_DEFAULT | (3 << 13));
	return 0;
}

/* A thread that runs right after one that dirtied every register sees the clean state. */
KTEST(fpu_new_thread_clean)
{
	struct fresh_view v = { -1, 0 };
	int cpu = nr_cpus - 1;

	kthread_join(kthread_run("fpu_dirty", dirty_fpu, NULL, cpu));
	kthread_join(kthread_run("fpu_fresh", look_at_fresh_fpu, &v, cpu));
	KT_EXPECT_EQ(v.nonzero, 0);
	KT_EXPECT_EQ(v.mxcsr, MXCSR_DEFAULT);
}
