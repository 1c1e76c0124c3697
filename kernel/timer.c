/* Per-CPU timer lists and sleeping with a timeout (see timer.h). */
#include "kernel/timer.h"
#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

struct timer_base {
	spinlock_t lock;               /* taken with interrupts off: the tick takes it */
	struct list_head timers;       /* lock: pending timers, earliest first */
	struct timer_list *running;    /* lock: the one whose fn runs now, or NULL */
	u64 nr_run;
	bool ready;                    /* set up by timer_init_cpu() */
};

static DEFINE_PER_CPU(struct timer_base, timer_bases);

static struct timer_base *get_base(int cpu)
{
	return per_cpu_ptr(&timer_bases, cpu);
}

void timer_init_cpu(void)
{
	struct timer_base *base = get_base(cpu_id());

	spin_lock_init(&base->lock, "timer_base");
	INIT_LIST_HEAD(&base->timers);
	WRITE_ONCE(base->ready, true);
}

void timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *timer))
{
	INIT_LIST_HEAD(&timer->entry);
	timer->fn = fn;
	timer->cpu = -1;
	timer->pending = false;
}

void add_timer(struct timer_list *timer)
{
	unsigned long flags = irq_save();
	struct timer_base *base = get_base(cpu_id());
	struct timer_list *pos;

	spin_lock(&base->lock);
	if (timer->pending)
		panic("add_timer: timer already pending");
	list_for_each_entry(pos, &base->timers, entry)
		if (pos->expires > timer->expires)
			break;
	list_add_tail(&timer->entry, &pos->entry);   /* before pos: keeps the order */
	timer->cpu = cpu_id();
	timer->pending = true;
	spin_unlock(&base->lock);
	irq_restore(flags);
}

/*
 * The timer's cpu is stable while it is pending and after it ran (only
 * add_timer changes it, and adding a timer that may still run is the
 * caller's bug), so locking that base tells the truth about it.
 */
bool del_timer_sync(struct timer_list *timer)
{
	for (;;) {
		int cpu = READ_ONCE(timer->cpu);
		if (cpu < 0)
			return false;           /* never added */
		struct timer_base *base = get_base(cpu);
		unsigned long flags = spin_lock_irqsave(&base->lock);
		bool was_pending = timer->pending, running = base->running == timer;
		if (was_pending) {
			list_del_init(&timer->entry);
			timer->pending = false;
		}
		spin_unlock_irqrestore(&base->lock, flags);
		if (!running)
			return was_pending;
		cpu_relax();                    /* its fn runs on that CPU: wait */
	}
}

/* Each expired timer's fn runs without the lock, so that it may add timers. */
void run_local_timers(void)
{
	struct timer_base *base = get_base(cpu_id());
	u64 now = ktime_ns();

	if (!READ_ONCE(base->ready))
		return;                         /* a tick before timer_init_cpu() */
	spin_lock(&base->lock);
	while (!list_empty(&base->timers)) {
		struct timer_list *timer = list_first_entry(&base->timers, struct timer_list, entry);
		if (timer->expires > now)
			break;
		list_del_init(&timer->entry);
		timer->pending = false;
		base->running = timer;
		spin_unlock(&base->lock);
		timer->fn(timer);
		spin_lock(&base->lock);
		base->running = NULL;
		base->nr_run++;
	}
	spin_unlock(&base->lock);
}

u64 timers_run(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&timer_bases, cpu)->nr_run);
}

struct sleeper {
	struct timer_list timer;
	struct thread *thread;
};

static void wake_sleeper(struct timer_list *timer)
{
	wake_up_process(container_of(timer, struct sleeper, timer)->thread);
}

/*
 * The timer lives on our stack: del_timer_sync() makes sure it neither
 * waits in a list nor runs anywhere before the stack frame goes.
 */
u64 schedule_timeout(u64 timeout_ns)
{
	struct sleeper s = { .thread = current };
	u64 expires = ktime_ns() + timeout_ns;

	timer_setup(&s.timer, wake_sleeper);
	s.timer.expires = expires;
	add_timer(&s.timer);
	schedule();
	del_timer_sync(&s.timer);
	u64 now = ktime_ns();
	return now >= expires ? 0 : expires - now;
}

u64 schedule_timeout_uninterruptible(u64 timeout_ns)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout_ns);
}

void sleep_ns(u64 ns)
{
	while ((ns = schedule_timeout_uninterruptible(ns)))
		;
}
