/* Wait queues (see wait.h). */
#include "kernel/wait.h"

void init_waitqueue_head(struct wait_queue_head *wq, const char *name)
{
	spin_lock_init(&wq->lock, name);
	INIT_LIST_HEAD(&wq->head);
}

static void __prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *w,
			      int state, int flags)
{
	unsigned long irqflags = spin_lock_irqsave(&wq->lock);

	w->flags = flags;
	if (list_empty(&w->entry))
		list_add_tail(&w->entry, &wq->head);
	set_current_state(state);
	spin_unlock_irqrestore(&wq->lock, irqflags);
}

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *w, int state)
{
	__prepare_to_wait(wq, w, state, 0);
}

void prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *w, int state)
{
	__prepare_to_wait(wq, w, state, WQ_FLAG_EXCLUSIVE);
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *w)
{
	__set_current_state(TASK_RUNNING);
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	list_del_init(&w->entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/*
 * Wake the ordinary waiters and up to nr_exclusive exclusive ones (all if
 * nr_exclusive is 0). An entry whose thread is already awake (its timeout
 * fired) stays queued, does not count, and its thread's finish_wait()
 * removes it. Once an entry is off the queue its owner may return and its
 * stack be reused, so nothing touches it after list_del_init; the owner's
 * finish_wait() cannot overtake us, as it needs the lock we hold.
 */
static void __wake_up(struct wait_queue_head *wq, int nr_exclusive)
{
	struct wait_queue_entry *w, *tmp;
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	list_for_each_entry_safe(w, tmp, &wq->head, entry) {
		bool exclusive = w->flags & WQ_FLAG_EXCLUSIVE;
		if (!wake_up_process(w->thread))
			continue;
		list_del_init(&w->entry);
		if (exclusive && !--nr_exclusive)
			break;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}

void wake_up(struct wait_queue_head *wq)
{
	__wake_up(wq, 1);
}

void wake_up_all(struct wait_queue_head *wq)
{
	__wake_up(wq, 0);
}

bool waitqueue_active(struct wait_queue_head *wq)
{
	return !list_empty(&wq->head);
}
