/*
 * Futex wait and wake (see futex.h).
 *
 * Waiters hang on a hash bucket's queue. The bucket lock is a mutex, not a
 * spinlock, because the waiter reads the user word under it and that read
 * may fault and sleep (mmap_lock, page allocation). Holding the lock across
 * "read the word, queue myself, mark myself sleeping" is what makes a wake
 * that changes the word and then calls FUTEX_WAKE unable to slip in between:
 * the waker needs the same lock to find the queue.
 */
#include "kernel/futex.h"
#include "kernel/signal.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/fault_inject.h"
#include "kernel/mutex.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/sched.h"

#define FUTEX_BUCKETS 64

struct futex_q {
	struct list_head node;       /* in its bucket (bucket lock) */
	struct thread *thread;
	struct mm_struct *mm;
	unsigned long uaddr;
	u32 bitset;
	bool woken;                  /* set by the waker, under the bucket lock */
};

/*
 * Fault injection for the lost-wake-up test (kernel/futex_test.c, which
 * switches it on itself): hold FUTEX_WAIT between reading the word and
 * queueing the waiter, the window a waker must not slip into.
 */
DEFINE_FAULT_INJECT(fi_futex_wait, "futex_wait",
		    "hold FUTEX_WAIT between reading the word and queueing the waiter");

static struct futex_bucket {
	struct mutex lock;
	struct list_head queue;
} buckets[FUTEX_BUCKETS];

static struct futex_bucket *bucket_of(struct mm_struct *mm, unsigned long uaddr)
{
	u64 h = ((u64)mm >> 6) ^ (uaddr >> 2);
	h *= 0x9e3779b97f4a7c15ull;
	return &buckets[h >> 58];          /* top 6 bits: 64 buckets */
}

void futex_init(void)
{
	for (int i = 0; i < FUTEX_BUCKETS; i++) {
		mutex_init(&buckets[i].lock, "futex_bucket");
		INIT_LIST_HEAD(&buckets[i].queue);
	}
}

/*
 * Sleep until woken, the deadline passes, or a signal comes (or a kill). The state
 * is set before each test of q->woken, so a wake between test and sleep
 * just makes schedule() return at once (kernel/sched.c).
 */
static long futex_sleep(struct futex_q *q, u64 deadline)
{
	for (;;) {
		if (READ_ONCE(q->woken))
			return 0;
		if (signal_pending())
			return -EINTR;               /* killed, or a signal to handle first */
		if (deadline) {
			u64 now = ktime_ns();
			if (now >= deadline)
				return -ETIMEDOUT;
			schedule_timeout(deadline - now);
		} else {
			schedule();
		}
		set_current_state(TASK_INTERRUPTIBLE);
	}
}

long futex_wait(struct mm_struct *mm, unsigned long uaddr, u32 val, u64 timeout_ns,
		u64 deadline_ns, u32 bitset)
{
	struct futex_bucket *b = bucket_of(mm, uaddr);
	struct futex_q q = { .thread = current, .mm = mm, .uaddr = uaddr, .bitset = bitset };
	u32 cur;

	if (uaddr % 4 || !bitset)
		return -EINVAL;
	if (timeout_ns)
		deadline_ns = ktime_ns() + timeout_ns;
	mutex_lock(&b->lock);
	if (copy_from_user(&cur, (const void *)uaddr, sizeof(cur))) {
		mutex_unlock(&b->lock);
		return -EFAULT;
	}
	if (cur != val) {
		mutex_unlock(&b->lock);
		return -EAGAIN;
	}
	fault_inject_delay(&fi_futex_wait);   /* fault injection: word read, not yet queued */
	list_add_tail(&q.node, &b->queue);
	set_current_state(TASK_INTERRUPTIBLE);   /* before the unlock: see above */
	mutex_unlock(&b->lock);

	long ret = futex_sleep(&q, deadline_ns);
	__set_current_state(TASK_RUNNING);
	mutex_lock(&b->lock);
	if (q.woken)
		ret = 0;                       /* a wake that raced the timeout still counts */
	else
		list_del_init(&q.node);
	mutex_unlock(&b->lock);
	return ret;
}

long futex_wake_bitset(struct mm_struct *mm, unsigned long uaddr, int n, u32 bitset)
{
	struct futex_bucket *b = bucket_of(mm, uaddr);
	struct futex_q *q, *tmp;
	long woken = 0;

	if (uaddr % 4 || !bitset)
		return -EINVAL;
	if (!access_ok((void *)uaddr, sizeof(u32)))
		return -EFAULT;                /* as Linux's get_futex_key, even with nobody waiting */
	mutex_lock(&b->lock);
	list_for_each_entry_safe(q, tmp, &b->queue, node) {
		if (woken >= n)
			break;
		if (q->mm != mm || q->uaddr != uaddr || !(q->bitset & bitset))
			continue;
		/* q lives on the waiter's stack; it cannot return before we
		 * drop the bucket lock, so q and its thread stay valid here. */
		list_del_init(&q->node);
		WRITE_ONCE(q->woken, true);
		wake_up_process(q->thread);
		woken++;
	}
	mutex_unlock(&b->lock);
	return woken;
}

long futex_wake(struct mm_struct *mm, unsigned long uaddr, int n)
{
	return futex_wake_bitset(mm, uaddr, n, FUTEX_BITSET_MATCH_ANY);
}
