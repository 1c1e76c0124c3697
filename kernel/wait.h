/*
 * Wait queues: threads sleeping until a condition becomes true.
 *
 *     wait_event(wq, READ_ONCE(done));         the sleeper
 *     WRITE_ONCE(done, true); wake_up(&wq);    the waker
 *
 * The sleeper puts itself on the queue and sets its sleeping state under
 * the queue's lock *before* it tests the condition, and tests again after
 * every wake-up; the waker changes the condition *before* it takes the lock
 * to wake. So a wake-up cannot fall between the test and the sleep: either
 * the test sees the new condition, or the waker finds the sleeper on the
 * queue (kernel/sched.c explains what happens if it is still on its way
 * out of the CPU). Wake-ups may be spurious: always wait on a condition.
 *
 * wake_up() wakes every ordinary waiter and at most one exclusive one
 * (prepare_to_wait_exclusive: for "one of you may go" hand-offs);
 * wake_up_all() wakes everyone. A woken entry is taken off the queue.
 * Both may be called from interrupt handlers.
 */
#pragma once
#include "kernel/list.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/spinlock.h"
#include "kernel/timer.h"

struct wait_queue_head {
	spinlock_t lock;               /* taken with interrupts off (wake_up from handlers) */
	struct list_head head;         /* lock: the waiting entries, oldest first */
};

#define WQ_FLAG_EXCLUSIVE 0x1

struct wait_queue_entry {
	struct thread *thread;
	int flags;                     /* WQ_FLAG_* */
	struct list_head entry;        /* in a queue (its lock), or empty: not queued */
};

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) \
	{ .lock = SPINLOCK_INIT(#name), .head = LIST_HEAD_INIT((name).head) }
#define DECLARE_WAIT_QUEUE_HEAD(name) \
	struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)
/* An entry for the running thread, not yet queued. */
#define DEFINE_WAIT(name) \
	struct wait_queue_entry name = { .thread = current, .entry = LIST_HEAD_INIT((name).entry) }

void init_waitqueue_head(struct wait_queue_head *wq, const char *name);

/* Queue w (if it is not) and set the running thread's state to `state`. */
void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *w, int state);
void prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *w, int state);
/* Back to TASK_RUNNING and off the queue. */
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *w);

void wake_up(struct wait_queue_head *wq);
void wake_up_all(struct wait_queue_head *wq);
/* True if someone waits (racy: for statistics and tests). */
bool waitqueue_active(struct wait_queue_head *wq);

/* Sleep until condition is true. Process context, no spinlock held. */
#define wait_event(wq, condition)                                            \
	do {                                                                 \
		if (condition)                                               \
			break;                                               \
		DEFINE_WAIT(__w);                                            \
		for (;;) {                                                   \
			prepare_to_wait(&(wq), &__w, TASK_UNINTERRUPTIBLE);  \
			if (condition)                                       \
				break;                                       \
			schedule();                                          \
		}                                                            \
		finish_wait(&(wq), &__w);                                    \
	} while (0)

/*
 * Sleep until condition is true or timeout_ns have passed. Returns 0 if
 * the time ran out with condition still false, else the nanoseconds that
 * were left (at least 1).
 */
#define wait_event_timeout(wq, condition, timeout_ns) ({                    \
	u64 __left = (timeout_ns);                                           \
	DEFINE_WAIT(__w);                                                    \
	for (;;) {                                                           \
		prepare_to_wait(&(wq), &__w, TASK_UNINTERRUPTIBLE);          \
		if (condition) {                                             \
			__left = __left ? __left : 1;                        \
			break;                                               \
		}                                                            \
		if (!__left)                                                 \
			break;                                               \
		__left = schedule_timeout(__left);                           \
	}                                                                    \
	finish_wait(&(wq), &__w);                                            \
	__left;                                                              \
})

/*
 * Sleep until condition is true, or a signal comes or the thread is told
 * to die (signal_pending, kernel/signal.h). Returns 0, or -ERESTARTSYS
 * for the latter: the system call that slept is restarted after a handler
 * with SA_RESTART, else fails with EINTR (kernel/signal.c).
 */
#define wait_event_interruptible(wq, condition) ({                          \
	int __ret = 0;                                                       \
	DEFINE_WAIT(__w);                                                    \
	for (;;) {                                                           \
		prepare_to_wait(&(wq), &__w, TASK_INTERRUPTIBLE);            \
		if (condition)                                               \
			break;                                               \
		if (signal_pending()) {                                      \
			__ret = -ERESTARTSYS;                                \
			break;                                               \
		}                                                            \
		schedule();                                                  \
	}                                                                    \
	finish_wait(&(wq), &__w);                                            \
	__ret;                                                               \
})
