/*
 * Signals: Linux's numbers, actions, masks and delivery.
 *
 * Who holds what (Linux's split): the actions (handler, flags, mask) and
 * the process-wide pending set belong to the process, shared by its
 * threads (CLONE_SIGHAND); each thread has its own blocked mask, its own
 * pending set (tgkill, faults), its alternate stack. process->lock guards
 * all of it. A signal is delivered on the way back to user mode
 * (exit_to_user_mode -> do_signal): the default action, or a handler run
 * on the user stack in Linux's rt_sigframe (arch/x86_64/signal.c), which
 * returns through rt_sigreturn.
 *
 * Standard signals do not queue: a second one of a kind pending is merged
 * with the first, as Linux does for 1..31. Real-time signals (32..64) are
 * treated the same way here (Linux queues them: not built).
 */
#pragma once
#include "kernel/types.h"

#define NSIG 64
#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGBUS   7
#define SIGFPE   8
#define SIGKILL  9
#define SIGUSR1  10
#define SIGSEGV  11
#define SIGUSR2  12
#define SIGPIPE  13
#define SIGALRM  14
#define SIGTERM  15
#define SIGCHLD  17
#define SIGCONT  18
#define SIGSTOP  19
#define SIGTSTP  20
#define SIGTTIN  21
#define SIGTTOU  22
#define SIGURG   23
#define SIGWINCH 28

#define sigmask(sig) (1ull << ((sig) - 1))

#define SIG_DFL 0ul
#define SIG_IGN 1ul

/* sa_flags */
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO   0x00000004
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000
#define SA_RESTORER  0x04000000

/* si_code values */
#define SI_USER     0
#define SI_KERNEL   0x80
#define SI_TKILL    (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define CLD_EXITED  1
#define CLD_KILLED  2
#define CLD_DUMPED  3

/* A syscall that a signal interrupted asks to be restarted (never seen by user space). */
#define ERESTARTSYS    512
#define ERESTARTNOHAND 514

struct k_sigaction {
	u64 handler, flags, restorer, mask;       /* the layout rt_sigaction copies */
};

/* What the kernel knows about one pending signal: the siginfo fields it fills. */
struct ksiginfo {
	int signo, code;
	int pid, uid;                             /* sender (kill), or the child (SIGCHLD) */
	int status;                               /* SIGCHLD: exit code or signal */
	u64 addr;                                 /* faults: the address */
};

/* The per-thread part (struct thread embeds it). */
struct thread_signals {
	u64 blocked;                              /* the mask (rt_sigprocmask) */
	u64 pending;                              /* sent to this thread: tgkill, faults */
	u64 saved_blocked;                        /* rt_sigsuspend's mask to put back */
	bool restore_blocked;                     /* ... once a handler frame holds it */
	u64 altstack_sp, altstack_size;           /* sigaltstack; size 0: none */
	struct ksiginfo info[NSIG];               /* for each signal in pending */
};

/* The per-process part (struct process embeds it). */
struct process_signals {
	struct k_sigaction action[NSIG];
	u64 pending;                              /* sent to the process: kill */
	struct ksiginfo info[NSIG];
};

struct process;
struct thread;
struct trap_frame;

/*
 * Send info->signo to the process (any thread that does not block it
 * takes it), or to its thread tid (-ESRCH if p has no such thread; info
 * NULL: only that check). A signal the process ignores is dropped at
 * once. Any process context.
 */
void send_signal_process(struct process *p, const struct ksiginfo *info);
int send_signal_tid(struct process *p, int tid, const struct ksiginfo *info);

/* Would p drop sig on arrival (its action ignores it)? p->lock held. */
bool sig_ignored(struct process *p, int sig);
/* Recompute t->sigpending (Linux's TIF_SIGPENDING) after a change; p->lock held. */
void recalc_sigpending(struct thread *t);

/*
 * A fault in user mode: sig (SIGSEGV, ...) with code and addr to the
 * running thread. If the thread blocks or ignores it, the default action
 * is forced (Linux's force_sig_fault): a fault cannot be ignored.
 */
void force_sig_fault(int sig, int code, u64 addr);

/* Is a signal deliverable to the running thread (or is it being killed)? */
bool signal_pending(void);

/*
 * On the way to user mode (exit_to_user_mode), interrupts on: deliver
 * the pending signals the thread does not block: run the default action
 * or set up a handler frame in regs. Restarts or fails (-EINTR) the
 * system call the signal interrupted.
 */
void do_signal(struct trap_frame *regs);

/* A new process: every action SIG_DFL (exec) or a copy of parent's (fork). */
void signals_init_process(struct process *p, const struct process *parent);
/* exec: handlers go back to SIG_DFL (ignored signals stay ignored). */
void signals_exec(struct process *p);

/*
 * arch/x86_64/signal.c: build the rt_sigframe for the handler of sig on
 * the user stack (or the alternate one) and point regs at the handler;
 * blocked is the mask the frame restores. 0, or -EFAULT if the stack
 * cannot take it.
 */
int setup_rt_frame(int sig, const struct k_sigaction *ka, const struct ksiginfo *info,
		   u64 blocked, struct trap_frame *regs);

/* Linux's wait status for a death by sig: the signal (no core dumps: never 0x80). */
int signal_wait_status(int sig);
const char *signal_name(int sig);
