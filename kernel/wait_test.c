/* Tests of wait queues (kernel/wait.c). */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/wait.h"

#define PING_PONG_ROUNDS 100     /* a cross-CPU wake-up is ~1 ms under emulation */

struct ping_pong {
	struct wait_queue_head wq[2];  /* wq[i]: where player i waits for its turn */
	int turn;                      /* whose turn: 0 or 1 */
	int rounds[2];
	int out_of_turn;               /* a player ran when it was not its turn */
	int cpu[2];
};

struct player {
	struct ping_pong *pp;
	int me;
};

/* Wait for our turn, take it, hand the turn over, wake the other. */
static int play(void *arg)
{
	struct player *p = arg;
	struct ping_pong *pp = p->pp;
	int me = p->me;

	pp->cpu[me] = cpu_id();
	for (int i = 0; i < PING_PONG_ROUNDS; i++) {
		wait_event(pp->wq[me], READ_ONCE(pp->turn) == me);
		if (cpu_id() != pp->cpu[me] || READ_ONCE(pp->turn) != me)
			pp->out_of_turn++;
		pp->rounds[me]++;
		WRITE_ONCE(pp->turn, !me);
		wake_up(&pp->wq[!me]);
	}
	return 0;
}

/*
 * Two threads on two CPUs hand a turn back and forth, each sleeping on its
 * own wait queue until the other wakes it: every round happens, strictly
 * alternating. A lost wake-up would hang a player (and the test).
 */
KTEST(wait_ping_pong_two_cpus)
{
	static struct ping_pong pp;
	struct player p[2] = { { &pp, 0 }, { &pp, 1 } };
	struct thread *th[2];
	u64 start = ktime_ns();

	pp = (struct ping_pong){ .turn = 0 };
	init_waitqueue_head(&pp.wq[0], "ping");
	init_waitqueue_head(&pp.wq[1], "pong");
	for (int i = 0; i < 2; i++)
		th[i] = kthread_run(i ? "pong" : "ping", play, &p[i], nr_cpus > 1 ? i + (nr_cpus > 2) : 0);
	for (int i = 0; i < 2; i++)
		KT_EXPECT_EQ(kthread_join(th[i]), 0);
	KT_EXPECT_EQ(pp.rounds[0], PING_PONG_ROUNDS);
	KT_EXPECT_EQ(pp.rounds[1], PING_PONG_ROUNDS);
	KT_EXPECT_EQ(pp.out_of_turn, 0);
	KT_EXPECT(nr_cpus == 1 || pp.cpu[0] != pp.cpu[1]);
	KT_EXPECT(!waitqueue_active(&pp.wq[0]) && !waitqueue_active(&pp.wq[1]));
	printk("# wait_ping_pong_two_cpus: %d round trips between cpus %d and %d in %llu us\n",
	       PING_PONG_ROUNDS, pp.cpu[0], pp.cpu[1],
	       (unsigned long long)(ktime_ns() - start) / 1000);
}

/* Entries queued on wq now, counted under its lock. */
static int queued_on(struct wait_queue_head *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	struct wait_queue_entry *w;
	int n = 0;

	list_for_each_entry(w, &wq->head, entry)
		n++;
	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}

static DECLARE_WAIT_QUEUE_HEAD(timeout_wq);
static bool timeout_cond;

/*
 * Make the condition true once the waiter is asleep on timeout_wq: so the
 * wake-up surely comes while it waits, whatever the CPUs' speed.
 */
static int set_cond_once_asleep(void *arg)
{
	u64 since = 0;

	while (!waitqueue_active(&timeout_wq) && !ktest_hung(&since))
		sleep_ns(1000000);
	WRITE_ONCE(timeout_cond, true);
	wake_up(&timeout_wq);
	return 0;
}

/*
 * wait_event_timeout: 0 after at least the timeout when nobody makes the
 * condition true; the time left (> 0) when a wake-up comes first. The
 * second wait's timeout is the hang bound, so "time left" can only be 0
 * if the wake-up was lost.
 */
KTEST(wait_event_timeout_both_ways)
{
	u64 t0 = ktime_ns();
	u64 left = wait_event_timeout(timeout_wq, READ_ONCE(timeout_cond), 30000000ull);
	u64 waited = ktime_ns() - t0;

	KT_EXPECT_EQ(left, 0);
	KT_EXPECT(waited >= 30000000ull);
	struct thread *th = kthread_run("setter", set_cond_once_asleep, NULL, -1);
	t0 = ktime_ns();
	left = wait_event_timeout(timeout_wq, READ_ONCE(timeout_cond), KT_HANG_NS);
	u64 woken = ktime_ns() - t0;
	kthread_join(th);
	KT_EXPECT(left > 0);
	KT_EXPECT(READ_ONCE(timeout_cond));
	KT_EXPECT(!waitqueue_active(&timeout_wq));
	WRITE_ONCE(timeout_cond, false);
	printk("# wait_event_timeout_both_ways: timed out after %llu us, woken after %llu us\n",
	       (unsigned long long)waited / 1000, (unsigned long long)woken / 1000);
}

static DECLARE_WAIT_QUEUE_HEAD(excl_wq);
static int excl_tokens, excl_woken;

static int take_token(void *arg)
{
	DEFINE_WAIT(w);

	for (;;) {
		prepare_to_wait_exclusive(&excl_wq, &w, TASK_UNINTERRUPTIBLE);
		if (__atomic_load_n(&excl_tokens, __ATOMIC_ACQUIRE))
			break;
		schedule();
	}
	finish_wait(&excl_wq, &w);
	__atomic_fetch_sub(&excl_tokens, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&excl_woken, 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * wake_up() wakes one exclusive waiter per call; wake_up_all() every one.
 * The three waiters share this thread's CPU, and the kernel does not
 * preempt: between the wake_up() and the count that follows it none of
 * them can run, so the queue shows exactly whom wake_up() took off.
 */
KTEST(wait_exclusive_wakes_one)
{
	struct thread *th[3];

	excl_tokens = excl_woken = 0;
	for (int i = 0; i < 3; i++)
		th[i] = kthread_run("exclusive", take_token, NULL, cpu_id());
	KT_WAIT_FOR(queued_on(&excl_wq) == 3);   /* all three asleep */
	__atomic_store_n(&excl_tokens, 1, __ATOMIC_RELEASE);
	wake_up(&excl_wq);
	KT_EXPECT_EQ(queued_on(&excl_wq), 2);
	KT_WAIT_FOR(__atomic_load_n(&excl_woken, __ATOMIC_ACQUIRE) == 1);
	KT_EXPECT_EQ(queued_on(&excl_wq), 2);           /* the other two still asleep */
	__atomic_store_n(&excl_tokens, 2, __ATOMIC_RELEASE);
	wake_up_all(&excl_wq);
	KT_EXPECT_EQ(queued_on(&excl_wq), 0);
	for (int i = 0; i < 3; i++)
		kthread_join(th[i]);
	KT_EXPECT_EQ(excl_woken, 3);
	KT_EXPECT_EQ(excl_tokens, 0);
}
