/*
 * Threads: what the scheduler switches between.
 *
 * A thread is a kernel stack (16 KiB from the page allocator), the registers
 * saved on it while the thread is not running (only rsp is kept here), and
 * its scheduling state. A kernel thread runs a C function and never leaves
 * ring 0; a user thread is a thread that went to ring 3 with enter_user()
 * or was created by thread_create_user(), and comes back to its kernel stack
 * on every interrupt and system call (arch/x86_64/syscall.h).
 *
 * The top of every kernel stack holds a struct trap_frame (task_pt_regs):
 * where the CPU and the entry code save the user registers. Kernel code
 * starts below it, so that a kernel thread can later fill it and go to user
 * mode.
 *
 * Lifetime: a thread is reference counted. It holds one reference on itself
 * while alive; kthread_create() hands the caller a second one. A thread
 * cannot free the stack it runs on, so thread_exit() only marks it
 * TASK_DEAD and switches away; the next thread to run on that CPU frees the
 * stack ("reaps" it, in finish_task_switch) and wakes whoever waits in
 * kthread_join(). The struct itself goes when the last reference does.
 */
#pragma once
#include "arch/x86_64/idt.h"
#include "arch/x86_64/pgtable.h"
#include "kernel/cpumask.h"
#include "kernel/list.h"
#include "kernel/percpu.h"
#include "kernel/signal.h"

#define THREAD_STACK_ORDER 2
#define THREAD_STACK_SIZE  (PAGE_SIZE << THREAD_STACK_ORDER)   /* 16 KiB */
#define THREAD_NAME_LEN    16
#define STACK_END_MAGIC    0x57ac6e9d57ac6e9dull   /* lowest word of every stack */

/*
 * t->state. Sleeping states are bits so that a wake-up can name the ones it
 * ends (TASK_NORMAL: both). A thread sets its own state; only a waker, under
 * the lock of the thread's run queue, changes a sleeping one to RUNNING.
 */
#define TASK_RUNNING         0x0   /* running, or runnable on a run queue */
#define TASK_INTERRUPTIBLE   0x1   /* asleep; a wake-up or a kill ends it */
#define TASK_UNINTERRUPTIBLE 0x2   /* asleep; only its wake-up ends it */
#define TASK_NEW             0x4   /* created, not yet started (wake_up_new_thread) */
#define TASK_DEAD            0x8   /* exited; its stack is freed once it is off the CPU */
#define TASK_NORMAL          (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

struct mm_struct;
struct process;

struct thread {
	/* Saved by __switch_to_asm while the thread is not running; offset 0 (switch.asm). */
	u64 rsp;

	/* Fixed at creation. */
	int tid;                       /* unique, never reused; idle threads have 0 */
	char name[THREAD_NAME_LEN];
	void *stack;                   /* lowest address of the THREAD_STACK_SIZE stack */
	u64 stack_top;                 /* one past its highest byte: TSS.rsp0 while running */
	void *fpu;                     /* FPU/SSE/AVX register image (arch/x86_64/fpu.h) */
	bool is_idle;                  /* a CPU's idle thread: never sleeps, never exits */
	bool owns_stack;               /* false for idle threads, which run on boot stacks */

	/*
	 * Scheduling (kernel/sched.c). The run-queue lock of CPU `cpu` must be
	 * held to change these, except as noted.
	 */
	volatile int state;            /* TASK_*; see above for who writes it */
	int cpu;                       /* whose run queue it belongs to; changes only
	                                  with that lock and the new CPU's lock held */
	bool on_rq;                    /* queued on rq `cpu`, or running there */
	int on_cpu;                    /* its registers are live on a CPU: set when
	                                  switched to, cleared once switched away from */
	struct list_head run_list;     /* in rq->queue while queued */
	int time_slice;                /* ticks left before it yields to a queued thread */
	cpumask_t cpus_allowed;        /* where it may run; see sched_setaffinity() */
	u64 nr_switches_in;            /* times it was switched to (statistics) */

	/*
	 * Address space. mm is NULL for a kernel thread, and for a thread of a
	 * process once it has left it (exit_mm); a thread holds an mm_users
	 * reference on its mm (mm/mm.h). active_mm is the mm
	 * whose page tables the CPU has loaded while this thread runs: its own
	 * mm, or, for a kernel thread, the one it found loaded (lazy TLB: a
	 * switch to a kernel thread does not reload CR3). Changed by the
	 * thread itself or by the context switch, interrupts off.
	 */
	struct mm_struct *mm;
	struct mm_struct *active_mm;

	/* pagefault_disable() nesting (arch/x86_64/uaccess.h); only the thread itself. */
	int pagefault_disabled;

	/* Per-thread CPU state the context switch saves and restores. */
	u64 fs_base;                   /* user TLS base (MSR_FS_BASE); arch_set_fs_base() */

	/* Lifetime. */
	int refcount;                  /* atomic; see get_thread/put_thread */
	int exit_code;                 /* thread_exit()'s argument */
	bool reaped;                   /* its stack is freed; kthread_join() waits for this */

	/* For processes (kernel/process.c). Opaque here. */
	struct process *process;
	struct list_head process_node; /* in process->threads (process->lock) */
	u32 *clear_child_tid;          /* user address: set_tid_address, CLONE_CHILD_CLEARTID */
	u32 *set_child_tid;            /* CLONE_CHILD_SETTID: the thread writes its tid there first */
	bool kill_pending;             /* thread_should_die(): leave at the next return to user */

	/* Signals (kernel/signal.h); process->lock guards them. */
	struct thread_signals signals;
	bool sigpending;               /* a signal may be deliverable: look on the way out */
};

/* The thread running on this CPU: one load from %gs. */
static __always_inline struct thread *get_current(void)
{
	struct thread *t;
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(t)
			 : "i"(offsetof(struct cpu, current_thread)));
	return t;
}
#define current get_current()

/*
 * Set the running thread's state before sleeping. The full barrier orders
 * the store before the loads of whatever condition the caller checks next:
 * see the wake-up race in kernel/sched.c.
 */
static inline void set_current_state(int state)
{
	WRITE_ONCE(current->state, state);
	smp_mb();
}

/* The same without the barrier: for going back to TASK_RUNNING. */
static inline void __set_current_state(int state)
{
	WRITE_ONCE(current->state, state);
}

/* The trap frame at the top of t's kernel stack: its user registers. */
static inline struct trap_frame *task_pt_regs(const struct thread *t)
{
	return (struct trap_frame *)t->stack_top - 1;
}

/*
 * A new kernel thread that will run fn(arg) and then thread_exit() with
 * fn's return value. cpu >= 0 binds it to that CPU (cpus_allowed = {cpu});
 * -1 lets it run anywhere, starting on the least loaded CPU. It is created
 * in TASK_NEW and does not run until wake_up_new_thread(). The caller gets
 * a reference: drop it with kthread_join() or put_thread(). NULL if memory
 * ran out. Process context (it allocates).
 */
struct thread *kthread_create(const char *name, int (*fn)(void *arg), void *arg, int cpu);
/* kthread_create() + wake_up_new_thread(); panics if memory ran out. */
struct thread *kthread_run(const char *name, int (*fn)(void *arg), void *arg, int cpu);

/*
 * A new thread that starts in user mode with the registers *regs (copied
 * into its task_pt_regs) in address space mm, on CPU cpu or -1 as above.
 * FPU state is the clean initial one, fs_base 0: set fields such as
 * fs_base, process or clear_child_tid before wake_up_new_thread(). The
 * caller gets a reference, as for kthread_create(). The thread takes a
 * reference to mm of its own (mmget), which it drops when it leaves its
 * process (exit_mm). NULL if out of memory.
 */
struct thread *thread_create_user(const char *name, const struct trap_frame *regs,
				  struct mm_struct *mm, int cpu);

/* Make a TASK_NEW thread runnable (kernel/sched.c places it). */
void wake_up_new_thread(struct thread *t);

/*
 * End the running thread: a thread of a process leaves it first
 * (process_thread_exit), then it becomes TASK_DEAD, switches away and
 * never runs again. Its stack is freed by the next thread on this CPU.
 * Process context, no locks held.
 */
__noreturn void thread_exit(int code);

/*
 * Wait until t has exited and its stack is freed, drop the caller's
 * reference and return t's exit code. Process context (it sleeps).
 */
int kthread_join(struct thread *t);

static inline void get_thread(struct thread *t)
{
	__atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED);
}
/* Drop a reference; the last one frees the struct and FPU area. */
void put_thread(struct thread *t);

/*
 * Called by the scheduler once a TASK_DEAD thread is off its CPU: free its
 * stack, wake its joiners and drop its own reference. Any context.
 */
void thread_reap(struct thread *t);

/*
 * Make the boot context of this CPU its idle thread, running on the stack
 * [stack_top - THREAD_STACK_SIZE, stack_top). Called once per CPU by
 * sched_init_cpu().
 */
struct thread *idle_thread_create(int cpu, u64 stack_top);

/*
 * Hook for the process code: true if the running thread has been told to
 * exit (a kill, exit_group). The return-to-user path checks it and calls
 * thread_exit(current->exit_code). kill_pending is set by the killer;
 * a sleeping victim is woken with wake_up_state(t, TASK_INTERRUPTIBLE).
 */
static inline bool thread_should_die(void)
{
	return READ_ONCE(current->kill_pending);
}

/* Threads alive (created and not yet reaped), idle threads included. */
int nr_threads(void);
