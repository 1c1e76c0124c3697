/* Sleeping mutexes with FIFO hand-off (see mutex.h). */
#include "kernel/mutex.h"
#include "kernel/printk.h"
#include "kernel/sched.h"

/* One sleeping thread, on its own stack. */
struct mutex_waiter {
	struct list_head list;
	struct thread *thread;
};

void mutex_init(struct mutex *m, const char *name)
{
	spin_lock_init(&m->wait_lock, name);
	m->owner = NULL;
	INIT_LIST_HEAD(&m->waiters);
	m->name = name;
	m->contended = 0;
}

bool mutex_trylock(struct mutex *m)
{
	spin_lock(&m->wait_lock);
	bool ok = !m->owner;

	if (ok)
		m->owner = current;
	spin_unlock(&m->wait_lock);
	return ok;
}

/*
 * The waiter sets its sleeping state and checks for the hand-off under
 * wait_lock, and mutex_unlock() hands over and wakes under the same lock:
 * so the wake-up comes either before the check (we see we own it) or after
 * it (we are asleep or on our way, and are woken: kernel/sched.c).
 */
void mutex_lock(struct mutex *m)
{
	struct mutex_waiter w = { .thread = current };
	spin_lock(&m->wait_lock);

	if (!m->owner) {
		m->owner = current;
		spin_unlock(&m->wait_lock);
		return;
	}
	if (m->owner == current)
		panic("mutex %s: recursive lock by %s", m->name, current->name);
	m->contended++;
	list_add_tail(&w.list, &m->waiters);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (READ_ONCE(m->owner) == current)
			break;
		spin_unlock(&m->wait_lock);
		schedule();
		spin_lock(&m->wait_lock);
	}
	__set_current_state(TASK_RUNNING);
	spin_unlock(&m->wait_lock);
}

/* Hand the mutex to the oldest waiter (who was taken off the list), or free it. */
void mutex_unlock(struct mutex *m)
{
	spin_lock(&m->wait_lock);

	if (m->owner != current)
		panic("mutex %s: unlocked by %s, not its owner", m->name, current->name);
	if (list_empty(&m->waiters)) {
		m->owner = NULL;
	} else {
		struct mutex_waiter *w = list_first_entry(&m->waiters, struct mutex_waiter, list);
		list_del_init(&w->list);
		WRITE_ONCE(m->owner, w->thread);
		wake_up_process(w->thread);
	}
	spin_unlock(&m->wait_lock);
}

bool mutex_is_locked(const struct mutex *m)
{
	return READ_ONCE(m->owner) != NULL;
}

bool mutex_owned(const struct mutex *m)
{
	return READ_ONCE(m->owner) == current;
}
