/* Tests of kernel/rcu.c: grace periods wait for readers, and only for them. */
#include "arch/x86_64/cpu.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"
#include "kernel/wait.h"
#include "mm/slab.h"

#define MS 1000000ull

/* ---- rcu_torture ---- */

#define TORTURE_NS        (200 * MS)
#define TORTURE_ALIVE     0xa11fea11a11fea11ul
#define TORTURE_POISON    0xdeaddeaddeaddeadul
#define TORTURE_MAX_QUEUED 2000        /* the writer waits beyond this many unfreed */

/*
 * `magic` is not the first word: kfree() may put its free-list link there,
 * and we want the poison to stay visible until the slab hands it out again.
 * `seq` is unique per object and never changes while it is published.
 */
struct torture_obj {
	unsigned long seq;
	unsigned long magic;
	struct rcu_head rcu;
};

static struct torture_obj *torture_ptr;
static bool torture_stop;
static unsigned long torture_freed;             /* atomic */
static unsigned long torture_bad;               /* atomic: reads that saw a dead object */
static unsigned long torture_reads[MAX_CPUS];

static void torture_free(struct rcu_head *head)
{
	struct torture_obj *p = container_of(head, struct torture_obj, rcu);

	WRITE_ONCE(p->magic, TORTURE_POISON);
	WRITE_ONCE(p->seq, ~0ul);
	kfree(p);
	__atomic_add_fetch(&torture_freed, 1, __ATOMIC_RELAXED);
}

/* Replace the object as fast as the grace periods let its frees keep up. */
static int torture_writer(void *arg)
{
	unsigned long seq = 1, *replaced = arg;

	while (!READ_ONCE(torture_stop)) {
		struct torture_obj *p = kmalloc(sizeof(*p));
		if (!p)
			panic("rcu_torture: out of memory");
		p->seq = ++seq;
		p->magic = TORTURE_ALIVE;
		/* Publish: the object's fields are stored before the pointer (x86 TSO + barrier). */
		smp_wmb();
		struct torture_obj *old = __atomic_exchange_n(&torture_ptr, p, __ATOMIC_SEQ_CST);
		call_rcu(&old->rcu, torture_free);
		(*replaced)++;
		if (*replaced - READ_ONCE(torture_freed) > TORTURE_MAX_QUEUED)
			sleep_ns(MS);
		else
			yield();
	}
	return 0;
}

#define TORTURE_MIN_READS 100     /* each CPU */
#define TORTURE_MIN_FREED 20      /* objects freed while the readers read */

struct torture_run {
	u64 end;                  /* go on at least until then... */
	unsigned long gp0;        /* ...and until two grace periods ended... */
	bool hung;                /* ...unless they never do */
};

/* A reader stops when time is up AND the interleaving it exists for happened. */
static bool torture_done(struct torture_run *r, unsigned long n, u64 *since)
{
	if (ktest_hung(since)) {
		r->hung = true;
		return true;
	}
	return ktime_ns() >= r->end && n >= TORTURE_MIN_READS &&
	       rcu_gp_completed() - r->gp0 >= 2 &&
	       __atomic_load_n(&torture_freed, __ATOMIC_RELAXED) >= TORTURE_MIN_FREED;
}

/*
 * Each CPU: read the object inside a section, hold it a few microseconds
 * (so a free that came too early lands inside), read it again. Between
 * sections, yield(): a quiescent state, so grace periods can end. Readers
 * go on until grace periods ended and objects were freed under them --
 * counted, so a stalled CPU cannot make the test pass having tested less.
 */
static void torture_reader(void *arg)
{
	struct torture_run *r = arg;
	unsigned long n = 0;
	u64 since = 0;

	while (!torture_done(r, n, &since)) {
		rcu_read_lock();
		struct torture_obj *p = READ_ONCE(torture_ptr);
		unsigned long seq = READ_ONCE(p->seq);
		bool ok = READ_ONCE(p->magic) == TORTURE_ALIVE;
		udelay(20);
		ok = ok && READ_ONCE(p->magic) == TORTURE_ALIVE && READ_ONCE(p->seq) == seq;
		rcu_read_unlock();
		if (!ok)
			__atomic_add_fetch(&torture_bad, 1, __ATOMIC_RELAXED);
		if (++n % 8 == 0)
			yield();
	}
	torture_reads[cpu_id()] = n;
}

KTEST(rcu_torture)
{
	unsigned long replaced = 0, gp0 = rcu_gp_completed();
	struct torture_obj *first = kmalloc(sizeof(*first));
	struct torture_run run = { 0, gp0, false };

	KT_ASSERT(first != NULL);
	first->seq = 1;
	first->magic = TORTURE_ALIVE;
	torture_ptr = first;
	torture_stop = false;
	torture_freed = torture_bad = 0;
	memset(torture_reads, 0, sizeof(torture_reads));

	struct thread *w = kthread_run("rcu_writer", torture_writer, &replaced, -1);
	run.end = ktime_ns() + TORTURE_NS;
	run_on_cpus(&cpu_online_mask, torture_reader, &run);
	unsigned long freed_while_reading = __atomic_load_n(&torture_freed, __ATOMIC_RELAXED);
	WRITE_ONCE(torture_stop, true);
	KT_EXPECT_EQ(kthread_join(w), 0);
	rcu_barrier();

	unsigned long reads = 0, gps = rcu_gp_completed() - gp0;
	KT_EXPECT(!run.hung);
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		KT_EXPECT(torture_reads[cpu] >= TORTURE_MIN_READS);
		reads += torture_reads[cpu];
	}
	printk("# rcu_torture: %lu reads on %d cpus, %lu objects replaced and freed, %lu grace periods\n",
	       reads, nr_cpus, replaced, gps);
	KT_EXPECT_EQ(torture_bad, 0);
	KT_EXPECT_EQ(torture_freed, replaced);   /* rcu_barrier: every free has run */
	KT_EXPECT(gps >= 2);
	KT_EXPECT(freed_while_reading >= TORTURE_MIN_FREED);   /* frees happened under readers */
	kfree(torture_ptr);
}

/* ---- synchronize_rcu with the other CPUs idle ---- */

/* The CPUs other than this one seen idle (odd rcu_idle_seq) so far, added to *seen. */
static int note_idle_cpus(cpumask_t *seen)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		if (cpu != cpu_id() && (READ_ONCE(per_cpu(rcu_idle_seq, cpu)) & 1))
			cpumask_set_cpu(cpu, seen);
	return cpumask_weight(seen);
}

KTEST(rcu_synchronize_idle_cpus)
{
	cpumask_t seen_idle;
	u64 worst = 0;

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs: no other CPU to be idle");
	/*
	 * The other CPUs run nothing, so they sit in the halt with an odd
	 * idle_seq -- except for the instants of an idle-loop pass after
	 * each tick: look until each was seen idle once.
	 */
	cpumask_clear(&seen_idle);
	KT_WAIT_FOR(note_idle_cpus(&seen_idle) == nr_cpus - 1);
	for (int i = 0; i < 5; i++) {
		u64 start = ktime_ns();
		synchronize_rcu();
		u64 ns = ktime_ns() - start;
		worst = ns > worst ? ns : worst;
	}
	printk("# rcu_synchronize_idle_cpus: %d of %d other cpus seen idle; slowest of 5 "
	       "synchronize_rcu %llu us\n", cpumask_weight(&seen_idle), nr_cpus - 1,
	       (unsigned long long)worst / 1000);
}

/* ---- rcu_barrier ---- */

#define BARRIER_CBS 64
static struct rcu_head barrier_heads[BARRIER_CBS];
static int barrier_ran;                          /* atomic */

static void barrier_cb(struct rcu_head *head)
{
	__atomic_add_fetch(&barrier_ran, 1, __ATOMIC_RELAXED);
}

/* From each CPU (in its IPI handler): queue this CPU's share of callbacks. */
static void queue_barrier_cbs(void *arg)
{
	for (int i = cpu_id(); i < BARRIER_CBS; i += nr_cpus)
		call_rcu(&barrier_heads[i], barrier_cb);
}

KTEST(rcu_barrier_waits)
{
	barrier_ran = 0;
	on_each_cpu(queue_barrier_cbs, NULL, true);
	rcu_barrier();
	KT_EXPECT_EQ(__atomic_load_n(&barrier_ran, __ATOMIC_RELAXED), BARRIER_CBS);
}

/* ---- a grace period waits for a reader on another CPU ---- */

#define READER_HOLD_NS (50 * MS)

static bool reader_in, reader_out, sync_calling;

/*
 * Inside a read-side section: wait until the other CPU is calling
 * synchronize_rcu(), so this reader surely began before the call -- the
 * grace period must wait for it. Then hold on a while longer: only to
 * give a synchronize_rcu() that does not wait time to return early and
 * be caught. A slow CPU cannot make this fail, only hold longer.
 */
static int slow_reader(void *arg)
{
	u64 since = 0;

	rcu_read_lock();
	WRITE_ONCE(reader_in, true);
	while (!__atomic_load_n(&sync_calling, __ATOMIC_ACQUIRE) && !ktest_hung(&since))
		cpu_relax();
	udelay(READER_HOLD_NS / 1000);          /* interrupts on, preemption off */
	WRITE_ONCE(reader_out, true);
	rcu_read_unlock();
	return 0;
}

static int gp_cb_ran;
static void gp_cb(struct rcu_head *head)
{
	WRITE_ONCE(gp_cb_ran, 1);
}

KTEST(rcu_gp_waits_for_reader)
{
	if (nr_cpus < 2) {
		/* One CPU: a callback queued inside a section cannot run before it ends. */
		static struct rcu_head h;
		gp_cb_ran = 0;
		rcu_read_lock();
		call_rcu(&h, gp_cb);
		udelay(READER_HOLD_NS / 1000);
		KT_EXPECT_EQ(READ_ONCE(gp_cb_ran), 0);
		rcu_read_unlock();
		rcu_barrier();
		KT_EXPECT_EQ(READ_ONCE(gp_cb_ran), 1);
		return;
	}
	reader_in = reader_out = sync_calling = false;
	struct thread *r = kthread_run("rcu_slow_reader", slow_reader, NULL, 1);
	KT_WAIT_FOR(READ_ONCE(reader_in));
	u64 start = ktime_ns();
	__atomic_store_n(&sync_calling, true, __ATOMIC_RELEASE);
	synchronize_rcu();
	u64 ns = ktime_ns() - start;
	bool out = READ_ONCE(reader_out);
	KT_EXPECT_EQ(kthread_join(r), 0);
	printk("# rcu_gp_waits_for_reader: synchronize_rcu took %llu ms behind a %llu ms reader\n",
	       (unsigned long long)ns / MS, READER_HOLD_NS / MS);
	KT_EXPECT(out);                 /* the grace period ended only after the reader */
}

/* ---- counters ---- */

#define COUNT_CBS 10
static struct rcu_head count_heads[COUNT_CBS];
static void count_cb(struct rcu_head *head) { }

/* True if some line of text starts with key. */
static bool has_key(const char *text, const char *key)
{
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, key, strlen(key)))
			return true;
	return false;
}

KTEST(rcu_counters_move)
{
	static char buf[1024];
	unsigned long gp = vm_event_sum(RCU_GP_COMPLETED);
	unsigned long queued = vm_event_sum(RCU_CALLBACKS_QUEUED);
	unsigned long invoked = vm_event_sum(RCU_CALLBACKS_INVOKED);
	unsigned long completed = rcu_gp_completed();

	for (int i = 0; i < COUNT_CBS; i++)
		call_rcu(&count_heads[i], count_cb);
	synchronize_rcu();
	rcu_barrier();
	KT_EXPECT(vm_event_sum(RCU_GP_COMPLETED) - gp >= 1);
	KT_EXPECT(vm_event_sum(RCU_CALLBACKS_QUEUED) - queued >= COUNT_CBS);
	KT_EXPECT(vm_event_sum(RCU_CALLBACKS_INVOKED) - invoked >= COUNT_CBS);
	KT_EXPECT(rcu_gp_completed() - completed >= 1);
	/*
	 * The event counter and the grace-period number tell the same story.
	 * A grace period that ends on another CPU bumps one just before the
	 * other: wait for a moment when they agree, rather than read them once.
	 */
	KT_WAIT_FOR(vm_event_sum(RCU_GP_COMPLETED) == rcu_gp_completed());
	vmstat_show(buf, sizeof(buf));
	KT_EXPECT(has_key(buf, "rcu_gp_completed "));
	KT_EXPECT(has_key(buf, "rcu_callbacks_queued "));
	KT_EXPECT(has_key(buf, "rcu_callbacks_invoked "));
}

/* ---- nesting and the stall warning ---- */

KTEST(rcu_read_lock_nests)
{
	int depth = this_cpu_read(rcu_read_depth);

	rcu_read_lock();
	rcu_read_lock();
	KT_EXPECT_EQ(this_cpu_read(rcu_read_depth), depth + 2);
	/* Sleeping here would panic, and the report names RCU. */
	KT_EXPECT(sched_atomic_context() && !strcmp(sched_atomic_context(), "inside rcu_read_lock()"));
	rcu_read_unlock();
	KT_EXPECT(rcu_read_lock_held());
	rcu_read_unlock();
	KT_EXPECT_EQ(this_cpu_read(rcu_read_depth), depth);
	KT_EXPECT(!rcu_read_lock_held());
}

/*
 * A reader that holds a grace period longer than rcu_stall_timeout gets
 * its CPU named (look for "rcu: INFO" above this test's result). The
 * reader holds on until the warning has come, however long that takes.
 */
KTEST(rcu_stall_warning)
{
	static struct rcu_head h;
	unsigned long saved = rcu_stall_timeout, warnings = rcu_stall_warnings();

	WRITE_ONCE(rcu_stall_timeout, 1);
	synchronize_rcu();              /* the next grace period starts with the 1 s timeout */
	u64 since = 0;
	rcu_read_lock();
	call_rcu(&h, count_cb);         /* needs a grace period: this CPU now blocks it */
	/* Hold the section until the warning came: the event, not 1.5 s. */
	while (rcu_stall_warnings() == warnings && !ktest_hung(&since))
		cpu_relax();
	rcu_read_unlock();
	WRITE_ONCE(rcu_stall_timeout, saved);
	rcu_barrier();
	KT_EXPECT(rcu_stall_warnings() > warnings);
}

/*
 * ---- issue 9, bug 2: a kernel loop on an otherwise idle CPU ----
 *
 * A kernel thread that loops calling cond_resched() on a CPU where nothing
 * else is runnable never switches: cond_resched() finds no need_resched.
 * Unless cond_resched() itself reports a quiescent state, that CPU holds
 * every grace period back and synchronize_rcu() never returns. The wait
 * for it is bounded (generously: emulated CPUs stall), and a failure says
 * what held it; then the spinner stops, which lets the grace period end.
 */
#define HOLDOUT_CAP_NS (30000 * MS)

struct holdout {
	bool running, stop;
	unsigned long spins;
};

static int holdout_cond_resched(void *arg)
{
	struct holdout *h = arg;

	WRITE_ONCE(h->running, true);
	while (!READ_ONCE(h->stop)) {
		cond_resched();
		h->spins++;
	}
	return 0;
}

static bool holdout_sync_done;
static DECLARE_WAIT_QUEUE_HEAD(holdout_sync_wq);

static int holdout_sync(void *arg)
{
	synchronize_rcu();
	WRITE_ONCE(holdout_sync_done, true);
	wake_up(&holdout_sync_wq);
	return 0;
}

/*
 * Run spinner(h) alone on the last CPU and synchronize_rcu() on CPU 0;
 * true if it returned within HOLDOUT_CAP_NS (*ns: how long it took).
 */
static bool sync_beside(int (*spinner)(void *), struct holdout *h, u64 *ns)
{
	rcu_barrier();          /* no callback left to wake rcu_cb/N on the spinner's CPU */
	struct thread *spin = kthread_run("rcu_holdout", spinner, h, nr_cpus - 1);
	while (!READ_ONCE(h->running))
		sleep_ns(MS);
	holdout_sync_done = false;
	u64 start = ktime_ns();
	struct thread *sync = kthread_run("rcu_sync", holdout_sync, NULL, 0);
	bool done = wait_event_timeout(holdout_sync_wq, READ_ONCE(holdout_sync_done),
				       HOLDOUT_CAP_NS) != 0;
	*ns = ktime_ns() - start;
	WRITE_ONCE(h->stop, true);      /* its exit is a quiescent state: the wait ends */
	kthread_join(spin);
	kthread_join(sync);
	return done;
}

KTEST(rcu_cond_resched_is_quiescent)
{
	struct holdout h = { 0 };
	unsigned long saved = rcu_resched_ms;
	u64 ns;

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs: one to spin, one to wait");
	/* The tick's forced reschedule (next test) would rescue the loop: off, so
	 * only cond_resched()'s own quiescent state can end the grace period. */
	WRITE_ONCE(rcu_resched_ms, 0);
	bool done = sync_beside(holdout_cond_resched, &h, &ns);
	WRITE_ONCE(rcu_resched_ms, saved);
	if (!done)
		printk("# rcu_cond_resched_is_quiescent: synchronize_rcu did not return in %llu s: "
		       "cpu %d, looping in cond_resched() (%lu calls), reported no quiescent state\n",
		       HOLDOUT_CAP_NS / 1000 / MS, nr_cpus - 1, h.spins);
	else
		printk("# rcu_cond_resched_is_quiescent: synchronize_rcu took %llu ms beside "
		       "%lu cond_resched() calls on cpu %d\n", (unsigned long long)ns / MS, h.spins,
		       nr_cpus - 1);
	KT_EXPECT(done);
}

/*
 * A loop that polls need_resched() and calls schedule() only when it is
 * set -- cond_resched() without its own quiescent state, as a busy-polling
 * loop would be written. Alone on its CPU, need_resched never comes by
 * itself: the RCU tick must see the CPU hold the grace period back for
 * rcu_resched_ms and make it reschedule (rcu_resched_forced counts it).
 */
static int holdout_poll_need_resched(void *arg)
{
	struct holdout *h = arg;

	WRITE_ONCE(h->running, true);
	while (!READ_ONCE(h->stop)) {
		if (need_resched())
			schedule();
		h->spins++;
		cpu_relax();
	}
	return 0;
}

KTEST(rcu_tick_forces_resched_of_holdout)
{
	struct holdout h = { 0 };
	unsigned long forced = vm_event_sum(RCU_RESCHED_FORCED);
	u64 ns;

	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs: one to spin, one to wait");
	if (!rcu_resched_ms)
		printk("# rcu_tick_forces_resched_of_holdout: rcu_resched_ms=0: nothing will force it\n");
	bool done = sync_beside(holdout_poll_need_resched, &h, &ns);
	unsigned long n = vm_event_sum(RCU_RESCHED_FORCED) - forced;
	printk("# rcu_tick_forces_resched_of_holdout: synchronize_rcu %s after %llu ms, "
	       "%lu forced reschedules (rcu_resched_ms=%lu)\n", done ? "returned" : "still waiting",
	       (unsigned long long)ns / MS, n, rcu_resched_ms);
	KT_EXPECT(done);
	KT_EXPECT(n >= 1);
}
