/*
 * RCU on quiescent-state counters: where a page-table page dies (R1, R5).
 *
 * Each CPU counts its quiescent states in rcu_data.qs_seq: the scheduler
 * bumps it at every context switch, return to user mode and idle-loop pass
 * (sched_note_quiescent), and at every cond_resched() that could have
 * slept. A CPU that sits idle is in an *extended* quiescent state, shown
 * by an odd rcu_idle_seq, so nobody waits for it and nobody wakes it to
 * ask. A CPU that holds a grace period back for rcu_resched_ms is made to
 * pass through schedule() by the tick (rcu_holdouts_to_resched).
 *
 * Grace periods are numbered. rcu_state.completed is the number of the
 * last one that ended; while one runs (gp_active) its number is
 * completed + 1. Starting one snapshots every online CPU's counter and
 * puts the CPU in qs_pending. A scan -- at the start, then from the timer
 * tick of any CPU -- takes a CPU out of qs_pending once its counter moved
 * since the snapshot or it is idle now. When qs_pending is empty the grace
 * period ends. A CPU that comes online later holds no old reference, so it
 * is not waited for.
 *
 * Memory ordering: the smp_mb() pairs.
 *   (A) A CPU's read-side accesses, then smp_mb, then its qs_seq bump (or
 *       its idle_seq going odd). Pairs with (D): a scan that sees the bump
 *       also sees every access of the sections before it completed, so
 *       nothing freed after the grace period can still be in use there.
 *   (B) The qs_seq bump (or idle_seq going even), then smp_mb, then the
 *       next section's loads. Pairs with (C): the classic store-buffering
 *       pattern. Either the updater's snapshot/scan saw the bump -- and
 *       then the next section's loads see the unpublished pointer gone --
 *       or it did not, and then it waits for the *next* bump, which comes
 *       after that section ended. Without (B) the bump could sit in the
 *       store buffer while the section loads the old pointer.
 *   (C) The updater unpublishes (WRITE_ONCE(p, new), clears a PMD), then
 *       smp_mb in call_rcu/synchronize_rcu, then the grace period that the
 *       callback waits for *starts* (later, under rcu_state.lock) and reads
 *       the counters.
 *   (D) A scan reads the counters, then smp_mb, then stores the new
 *       `completed`. Whoever reads that value (synchronize_rcu, the
 *       callback thread) does smp_mb (E) before freeing anything.
 * On x86 some of these are stronger than TSO needs (only (B) and (C) are
 * the store->load order x86 does not give for free), but each names an
 * ordering the argument needs, and they are off the read-side fast path.
 */
#include "kernel/rcu.h"
#include "arch/x86_64/cpu.h"
#include "kernel/bootopt.h"
#include "kernel/cpumask.h"
#include "kernel/mutex.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"
#include "kernel/wait.h"

unsigned long rcu_stall_timeout = 10;
BOOT_OPTION_ULONG("rcu_stall_timeout", rcu_stall_timeout,
		  "seconds a CPU may block an RCU grace period before a warning (0: never)");

unsigned long rcu_resched_ms = 100;
BOOT_OPTION_ULONG("rcu_resched_ms", rcu_resched_ms,
		  "ms a CPU may hold an RCU grace period back before the tick makes it "
		  "reschedule (100; 0: never)");

DEFINE_PER_CPU(int, rcu_read_depth);
DEFINE_PER_CPU(unsigned long, rcu_idle_seq);

/* A FIFO of callbacks that wait for grace period `gp` (or are ready). */
struct rcu_cblist {
	struct rcu_head *head;
	struct rcu_head *last;
	unsigned long gp;
};

struct rcu_data {
	/* Written only by this CPU (see rcu_note_quiescent); read by scans. */
	unsigned long qs_seq;
	/* rcu_state.lock: qs_seq at the start of the current grace period. */
	unsigned long qs_snap;

	/*
	 * cb_lock (interrupts off) protects the callback lists. Callbacks
	 * move wait[0] -> done once grace period wait[0].gp has ended; wait[1]
	 * waits for a later one. Two are enough: a new callback waits for
	 * completed+1 or completed+2 (see rcu_gp_request), never more.
	 */
	spinlock_t cb_lock;
	struct rcu_cblist done;
	struct rcu_cblist wait[2];
	unsigned long nr_pending;      /* queued and not yet invoked */

	struct wait_queue_head cb_wq;  /* the callback thread sleeps here */
	struct thread *cb_thread;      /* rcu_cb/N, bound to this CPU; NULL before rcu_init */
	struct rcu_head barrier_head;  /* rcu_barrier()'s callback for this CPU */
};
static DEFINE_PER_CPU(struct rcu_data, rcu_data) = { .cb_lock = SPINLOCK_INIT("rcu_cb") };

/*
 * Lock order: a CPU's cb_lock, then rcu_state.lock (rcu_enqueue). The
 * grace-period code holds rcu_state.lock alone and wakes nobody under it.
 */
static struct rcu_state {
	spinlock_t lock;               /* interrupts off; protects all of this */
	unsigned long completed;       /* last grace period that ended (also read locklessly) */
	bool gp_active;                /* grace period completed+1 is running */
	unsigned long gp_requested;    /* highest grace period someone waits for */
	cpumask_t qs_pending;          /* online CPUs it still waits for */
	u64 gp_start_ns;
	u64 stall_next_ns;             /* when to warn (again) about a stall */
	u64 resched_next_ns;           /* when to make the CPUs it waits for reschedule (again) */
	unsigned long stall_warnings;
} rcu_state = { .lock = SPINLOCK_INIT("rcu_state") };

static DECLARE_WAIT_QUEUE_HEAD(rcu_gp_wq);      /* synchronize_rcu() waiters */

void rcu_read_lock_on_idle_cpu(void)
{
	panic("rcu_read_lock in an interrupt on idle cpu %d (extended quiescent state)", cpu_id());
}

void rcu_read_unlock_unbalanced(void)
{
	panic("rcu_read_unlock without rcu_read_lock on cpu %d", cpu_id());
}

/* ---- Quiescent states: the per-CPU side ---- */

void rcu_note_quiescent(void)
{
	struct rcu_data *rdp = this_cpu_ptr(&rcu_data);

	if (this_cpu_read(rcu_read_depth))
		panic("quiescent state inside rcu_read_lock (depth %d) on cpu %d",
		      this_cpu_read(rcu_read_depth), cpu_id());
	smp_mb();                                       /* (A) */
	WRITE_ONCE(rdp->qs_seq, rdp->qs_seq + 1);       /* only this CPU writes it */
	smp_mb();                                       /* (B) */
}

/*
 * Around the halt of the idle loop, interrupts off on entry. The odd value
 * tells scans this CPU holds no reader and will not start one before
 * rcu_idle_exit(); interrupt handlers that run meanwhile may not read
 * under RCU (rcu_read_lock checks).
 */
void rcu_idle_enter(void)
{
	unsigned long *seq = this_cpu_ptr(&rcu_idle_seq);

	smp_mb();                                       /* (A) */
	WRITE_ONCE(*seq, *seq + 1);                     /* odd: idle */
}

void rcu_idle_exit(void)
{
	unsigned long flags = irq_save();    /* no handler between the load and the store */
	unsigned long *seq = this_cpu_ptr(&rcu_idle_seq);

	WRITE_ONCE(*seq, *seq + 1);                     /* even: running */
	smp_mb();                                       /* (B) */
	irq_restore(flags);
}

/* ---- Grace periods: the global side, rcu_state.lock held ---- */

/*
 * The grace period a callback queued now must wait for: the first one
 * that starts after now. A running one started before the caller's
 * unpublish may already have passed some CPU's reader, so it is not
 * enough. Records the need; rcu_advance() or the tick starts it.
 */
static unsigned long rcu_gp_request(void)
{
	unsigned long gp = rcu_state.completed + (rcu_state.gp_active ? 2 : 1);

	if (gp > rcu_state.gp_requested)
		WRITE_ONCE(rcu_state.gp_requested, gp);
	return gp;
}

static void rcu_gp_start(void)
{
	int cpu;

	smp_mb();                                       /* (C) */
	cpumask_copy(&rcu_state.qs_pending, &cpu_online_mask);
	for_each_cpu(cpu, &rcu_state.qs_pending)
		per_cpu_ptr(&rcu_data, cpu)->qs_snap = READ_ONCE(per_cpu_ptr(&rcu_data, cpu)->qs_seq);
	rcu_state.gp_start_ns = ktime_ns();
	rcu_state.stall_next_ns = rcu_state.gp_start_ns + rcu_stall_timeout * 1000000000ull;
	rcu_state.resched_next_ns = rcu_state.gp_start_ns + rcu_resched_ms * 1000000ull;
	WRITE_ONCE(rcu_state.gp_active, true);
}

/* Name the CPUs that hold the grace period back too long. */
static void rcu_check_stall(void)
{
	u64 now = ktime_ns();
	int cpu;

	if (!rcu_stall_timeout || now < rcu_state.stall_next_ns)
		return;
	for_each_cpu(cpu, &rcu_state.qs_pending)
		printk("rcu: INFO: cpu %d stalls grace period %lu: no quiescent state for %llu ms\n",
		       cpu, rcu_state.completed + 1,
		       (unsigned long long)(now - rcu_state.gp_start_ns) / 1000000);
	rcu_state.stall_warnings++;
	rcu_state.stall_next_ns = now + rcu_stall_timeout * 1000000000ull;
}

/*
 * Take out of qs_pending every CPU that passed a quiescent state since the
 * start, or is idle now. Returns true if that ended the grace period.
 */
static bool rcu_gp_scan(void)
{
	int cpu;

	/*
	 * R5: only this proves a CPU's walker left its rcu_read_lock section;
	 * an acknowledged IPI would not, the walker runs with interrupts on.
	 */
	for_each_cpu(cpu, &rcu_state.qs_pending) {
		/* LAB rcu: begin */
		struct rcu_data *rdp = per_cpu_ptr(&rcu_data, cpu);
		if (READ_ONCE(rdp->qs_seq) != rdp->qs_snap ||
		    (READ_ONCE(per_cpu(rcu_idle_seq, cpu)) & 1))
			cpumask_clear_cpu(cpu, &rcu_state.qs_pending);
		/* LAB rcu: end */
	}
	if (cpumask_weight(&rcu_state.qs_pending)) {
		rcu_check_stall();
		return false;
	}
	smp_mb();                                       /* (D) */
	WRITE_ONCE(rcu_state.completed, rcu_state.completed + 1);
	WRITE_ONCE(rcu_state.gp_active, false);
	count_vm_event(RCU_GP_COMPLETED);
	return true;
}

/* Move grace periods along as far as they go now. Returns true if one ended. */
static bool rcu_advance(void)
{
	bool ended = false;

	for (;;) {
		if (rcu_state.gp_active) {
			if (!rcu_gp_scan())
				return ended;
			ended = true;
		}
		if (rcu_state.gp_requested <= rcu_state.completed)
			return ended;
		rcu_gp_start();
	}
}

/* After a grace period ended, no lock held: wake whoever waits for it. */
static void rcu_gp_ended_wake(void)
{
	int cpu;

	wake_up(&rcu_gp_wq);
	for_each_online_cpu(cpu) {
		struct rcu_data *rdp = per_cpu_ptr(&rcu_data, cpu);
		if (READ_ONCE(rdp->cb_thread) && READ_ONCE(rdp->nr_pending))
			wake_up(&rdp->cb_wq);
	}
}

/*
 * The CPUs that have held the running grace period back for rcu_resched_ms
 * (and again every rcu_resched_ms after that): the caller makes each one
 * pass through schedule(), a quiescent state. A kernel loop that polls
 * need_resched() then switches; cond_resched() reports one anyway, and a
 * thread in user mode at its next return there. The time is measured from
 * the start of the grace period, not per CPU: a CPU that is still pending
 * then has had that long. rcu_state.lock held.
 */
static void rcu_holdouts_to_resched(cpumask_t *out)
{
	u64 now = ktime_ns();

	cpumask_clear(out);
	if (!rcu_state.gp_active || !rcu_resched_ms || now < rcu_state.resched_next_ns)
		return;
	cpumask_copy(out, &rcu_state.qs_pending);
	rcu_state.resched_next_ns = now + rcu_resched_ms * 1000000ull;
}

/*
 * Every CPU's tick. Idle CPUs tick too (the LAPIC timer is periodic), so a
 * grace period ends within a tick of its last quiescent state even when
 * every CPU sleeps; nobody is woken for it. A CPU that finds another one
 * scanning leaves it the work. A CPU that holds a grace period back too
 * long is made to reschedule (issue 9, bug 2; Linux's resched_cpu() from
 * rcu_implicit_dynticks_qs()), outside the lock: it sends an IPI.
 */
void rcu_tick(void)
{
	cpumask_t resched;
	int cpu;

	if (!READ_ONCE(rcu_state.gp_active) &&
	    READ_ONCE(rcu_state.gp_requested) <= READ_ONCE(rcu_state.completed))
		return;
	if (!spin_trylock(&rcu_state.lock))
		return;
	bool ended = rcu_advance();
	rcu_holdouts_to_resched(&resched);
	spin_unlock(&rcu_state.lock);
	if (ended)
		rcu_gp_ended_wake();
	for_each_cpu(cpu, &resched) {
		resched_cpu(cpu);
		count_vm_event(RCU_RESCHED_FORCED);
	}
}

unsigned long rcu_gp_completed(void)
{
	return READ_ONCE(rcu_state.completed);
}

unsigned long get_state_synchronize_rcu(void)
{
	smp_mb();                                       /* (C): after the caller's unpublish */
	unsigned long flags = spin_lock_irqsave(&rcu_state.lock);
	unsigned long gp = rcu_state.completed + (rcu_state.gp_active ? 2 : 1);
	spin_unlock_irqrestore(&rcu_state.lock, flags);
	return gp;
}

bool poll_state_synchronize_rcu(unsigned long cookie)
{
	return READ_ONCE(rcu_state.completed) >= cookie;
}

unsigned long rcu_stall_warnings(void)
{
	return READ_ONCE(rcu_state.stall_warnings);
}

void synchronize_rcu(void)
{
	if (rcu_read_lock_held())
		panic("synchronize_rcu inside rcu_read_lock");
	smp_mb();                                       /* (C) */
	unsigned long flags = spin_lock_irqsave(&rcu_state.lock);
	unsigned long gp = rcu_gp_request();
	bool ended = rcu_advance();     /* start it now, not at the next tick */
	spin_unlock_irqrestore(&rcu_state.lock, flags);
	if (ended)
		rcu_gp_ended_wake();
	wait_event(rcu_gp_wq, READ_ONCE(rcu_state.completed) >= gp);
	smp_mb();                                       /* (E) */
}

/* ---- Callbacks ---- */

static void cblist_append(struct rcu_cblist *l, struct rcu_head *head)
{
	if (l->head)
		l->last->next = head;
	else
		l->head = head;
	l->last = head;
}

static void cblist_splice(struct rcu_cblist *dst, struct rcu_cblist *src)
{
	if (!src->head)
		return;
	if (dst->head)
		dst->last->next = src->head;
	else
		dst->head = src->head;
	dst->last = src->last;
	src->head = src->last = NULL;
}

/* cb_lock held: move the lists whose grace period ended to `done`. */
static void rcu_cbs_advance(struct rcu_data *rdp, unsigned long completed)
{
	while (rdp->wait[0].head && rdp->wait[0].gp <= completed) {
		cblist_splice(&rdp->done, &rdp->wait[0]);
		rdp->wait[0] = rdp->wait[1];
		rdp->wait[1] = (struct rcu_cblist){ 0 };
	}
}

/*
 * Queue head on rdp's lists (any CPU's: rcu_barrier uses others'),
 * behind everything queued there before, tagged with the grace period
 * it needs. A callback joins the last list if that one waits at least as
 * long: waiting longer than needed is safe, FIFO order is kept.
 */
static void rcu_enqueue(struct rcu_data *rdp, struct rcu_head *head)
{
	unsigned long flags = spin_lock_irqsave(&rdp->cb_lock);

	head->next = NULL;
	spin_lock(&rcu_state.lock);
	unsigned long gp = rcu_gp_request();
	rcu_cbs_advance(rdp, rcu_state.completed);
	spin_unlock(&rcu_state.lock);
	struct rcu_cblist *last = rdp->wait[1].head ? &rdp->wait[1] : &rdp->wait[0];
	if (last->head && gp > last->gp) {
		if (last == &rdp->wait[1])
			panic("rcu_enqueue: callbacks wait for a third grace period %lu", gp);
		last = &rdp->wait[1];
	}
	if (!last->head)
		last->gp = gp;
	cblist_append(last, head);
	WRITE_ONCE(rdp->nr_pending, rdp->nr_pending + 1);
	spin_unlock_irqrestore(&rdp->cb_lock, flags);
	count_vm_event(RCU_CALLBACKS_QUEUED);
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	smp_mb();                                       /* (C) */
	unsigned long flags = irq_save();               /* stay on this CPU's lists */
	rcu_enqueue(this_cpu_ptr(&rcu_data), head);
	irq_restore(flags);
}

/* Wait condition of the callback thread: ready callbacks to run. */
static bool rcu_cbs_ready(struct rcu_data *rdp)
{
	unsigned long flags = spin_lock_irqsave(&rdp->cb_lock);

	rcu_cbs_advance(rdp, READ_ONCE(rcu_state.completed));
	bool ready = rdp->done.head != NULL;
	spin_unlock_irqrestore(&rdp->cb_lock, flags);
	return ready;
}

/* rcu_cb/N: run this CPU's callbacks once their grace period ended, in order. */
static int rcu_cb_thread(void *arg)
{
	struct rcu_data *rdp = arg;

	for (;;) {
		wait_event(rdp->cb_wq, rcu_cbs_ready(rdp));
		unsigned long flags = spin_lock_irqsave(&rdp->cb_lock);
		struct rcu_head *head = rdp->done.head;
		rdp->done.head = rdp->done.last = NULL;
		spin_unlock_irqrestore(&rdp->cb_lock, flags);
		smp_mb();                               /* (E) */
		unsigned long n = 0;
		while (head) {
			struct rcu_head *next = head->next;
			head->func(head);
			count_vm_event(RCU_CALLBACKS_INVOKED);
			if (++n % 32 == 0)
				cond_resched();
			head = next;
		}
		flags = spin_lock_irqsave(&rdp->cb_lock);
		WRITE_ONCE(rdp->nr_pending, rdp->nr_pending - n);
		spin_unlock_irqrestore(&rdp->cb_lock, flags);
	}
	return 0;
}

/* ---- rcu_barrier ---- */

static DEFINE_MUTEX(rcu_barrier_mutex);
static int rcu_barrier_count;                   /* atomic; callbacks still to run */
static DECLARE_WAIT_QUEUE_HEAD(rcu_barrier_wq);

static void rcu_barrier_callback(struct rcu_head *head)
{
	if (__atomic_sub_fetch(&rcu_barrier_count, 1, __ATOMIC_SEQ_CST) == 0)
		wake_up(&rcu_barrier_wq);
}

/*
 * Queue one callback behind everything on every online CPU's lists and
 * wait for all of them: each CPU's callbacks run in order, so when ours
 * has run there, all queued before it have too. The count starts at 1 so
 * it cannot reach 0 before every callback is queued.
 */
void rcu_barrier(void)
{
	int cpu;

	mutex_lock(&rcu_barrier_mutex);
	__atomic_store_n(&rcu_barrier_count, 1, __ATOMIC_SEQ_CST);
	for_each_online_cpu(cpu) {
		struct rcu_data *rdp = per_cpu_ptr(&rcu_data, cpu);
		__atomic_add_fetch(&rcu_barrier_count, 1, __ATOMIC_SEQ_CST);
		rdp->barrier_head.func = rcu_barrier_callback;
		rcu_enqueue(rdp, &rdp->barrier_head);
	}
	rcu_barrier_callback(NULL);                     /* drop the initial 1 */
	wait_event(rcu_barrier_wq, __atomic_load_n(&rcu_barrier_count, __ATOMIC_SEQ_CST) == 0);
	mutex_unlock(&rcu_barrier_mutex);
}

void rcu_init(void)
{
	int cpu;
	char name[THREAD_NAME_LEN];

	for_each_online_cpu(cpu) {
		struct rcu_data *rdp = per_cpu_ptr(&rcu_data, cpu);
		init_waitqueue_head(&rdp->cb_wq, "rcu_cb");
		snprintf(name, sizeof(name), "rcu_cb/%d", cpu);
		/* The wait queue is ready before the thread is visible to wakers. */
		WRITE_ONCE(rdp->cb_thread, kthread_run(name, rcu_cb_thread, rdp, cpu));
	}
	printk("rcu: %d callback threads, stall warning after %lu s\n",
	       cpumask_weight(&cpu_online_mask), rcu_stall_timeout);
}
