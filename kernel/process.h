/*
 * Processes: a group of threads sharing one address space and one
 * descriptor table (Linux's thread group). A process runs a static ELF
 * program (kernel/exec.c); its threads are created by clone
 * (kernel/sys_thread.c) and end with exit, exit_group or a fatal fault.
 *
 * Exit status, as a shell reports it: the exit code (0..255), or 128 + the
 * signal number when a fault killed it (SIGSEGV: 139).
 */
#pragma once
#include "kernel/fs.h"
#include "kernel/list.h"
#include "kernel/signal.h"
#include "kernel/spinlock.h"
#include "kernel/wait.h"

#define PROC_NAME_LEN 16
#define PROC_CMDLINE_MAX 512            /* argv kept for /proc/PID/cmdline; longer is cut */

struct mm_struct;
struct files_struct;
struct thread;

#define PROC_EXE_MAX 128

struct process {
	int pid;                        /* the tid of its first thread */
	int ppid;                       /* the parent's pid; 0: started by init, or orphaned */
	int pgid, sid;                  /* process group and session (setpgid, setsid) */
	char name[PROC_NAME_LEN];       /* its program's file name, cut to 15 (Linux) */
	char cmdline[PROC_CMDLINE_MAX]; /* argv, each string NUL-terminated (/proc/PID/cmdline) */
	size_t cmdline_len;
	u64 start_ns;                   /* ktime_ns() at creation (/proc/PID/stat starttime) */
	struct mm_struct *mm;           /* the threads' address space. Each thread holds an
	                                   mm_users reference of its own (thread->mm); the
	                                   process holds an mm_count one (mmgrab), so that
	                                   /proc can read the struct until the process goes */
	struct files_struct *files;
	char exe[PROC_EXE_MAX];         /* the path it was exec'd from (/proc/PID/exe) */
	struct list_head all_node;      /* in the list of every process (process_find) */

	/* tasklist_lock protects these links (kernel/exit.c, kernel/fork.c). */
	struct process *parent;         /* waits for it (wait4); NULL: init does, or nobody */
	struct list_head children;      /* its children until they are reaped */
	struct list_head sibling;       /* in parent->children */
	bool autoreap;                  /* nobody will wait: it frees itself when it dies */
	int exit_signal;                /* sent to the parent when it dies (SIGCHLD), or 0 */
	struct wait_queue_head child_wait;  /* wait4 sleeps here; a child's death wakes it */

	/* vfork: the parent sleeps until the child execs or exits. */
	struct wait_queue_head vfork_wait;
	bool vfork_done;

	/* lock protects the fields below it. */
	spinlock_t lock;
	struct list_head threads;       /* struct thread.process_node */
	int nr_threads;                 /* live threads (Threads: in /proc/self/status) */
	bool group_exit;                /* exit_group or a fatal signal: every thread leaves */
	int exit_status;                /* valid once group_exit, or set by the last exit:
	                                   the code, or 128 + signal (as a shell shows it) */
	int wait_status;                /* Linux's encoding for wait4, valid once dead */
	bool dead;                      /* every thread is gone and mm/files released */
	struct fs_node cwd;             /* the working directory (chdir) */
	u32 umask;
	int term_signal;                /* the signal that ended it, or 0 (wait status) */
	struct process_signals signals; /* actions and process-wide pending (kernel/signal.h) */

	struct wait_queue_head exit_wait;   /* process_wait() sleeps here until dead; execve
	                                       until it is the last thread (each exit wakes it) */
	int refcount;                   /* atomic: threads alive + waiters holding it */
};

/* The running thread's process; NULL for a kernel thread. */
struct process *current_process(void);

extern spinlock_t tasklist_lock;

/* A new process struct: no threads, no files, no mm, refcount 1 (the waiter's). */
struct process *process_alloc(const char *name);
void process_get(struct process *p);
/* Make mm the process's address space (for /proc; exec, fork); drops the old one's count. */
void process_set_mm(struct process *p, struct mm_struct *mm);
/* p's mm with an mm_count reference (mmdrop it), or NULL: for reading /proc. */
struct mm_struct *process_get_mm(struct process *p);
/* Put p on the list of processes (it gets a pid first), as a child of parent if any. */
void process_publish(struct process *p, struct process *parent);
/* Record argv for /proc/PID/cmdline. */
void process_set_cmdline(struct process *p, const char *const argv[]);

/*
 * Start a process running the ELF image (a copy is not made: the image
 * must outlive the exec, e.g. a GRUB module) with argv/envp (NULL-ended,
 * kernel strings). Returns the process with a reference for the caller,
 * or NULL with *err = -ENOEXEC (malformed program; *why says what) or
 * -ENOMEM.
 */
struct process *process_spawn(const char *name, const void *image, size_t size,
			      const char *const argv[], const char *const envp[],
			      int *err, const char **why);

/* Sleep until p is dead, drop the caller's reference, return its exit status. */
int process_wait(struct process *p);

/*
 * End every thread of the running thread's process with status (exit_group
 * with the code, or 128 + signal for a fatal fault) and leave: never returns.
 */
__noreturn void process_exit_group(int status);

/*
 * A signal's default action ends the running thread's process: status
 * 128 + sig for init, the signal for wait. Interrupts on. Never returns.
 */
__noreturn void process_exit_signal(int sig);

/*
 * Kill p as an uncaught signal would: every thread leaves at its next
 * return to user mode (or wakes from an interruptible sleep to do so), and
 * the exit status is 128 + sig. The first reason to die wins.
 */
void process_kill(struct process *p, int sig);

/*
 * Tell every thread of p but the caller to leave at its next return to
 * user mode, waking it from an interruptible sleep (Linux's
 * zap_other_threads): for a group exit and for execve's de_thread.
 * p->lock held.
 */
void zap_other_threads(struct process *p);


/*
 * The process not yet reaped with the highest score(p, arg) >= 0, with a
 * reference (process_put it), or NULL. score runs under a spinlock: it may
 * not sleep.
 */
struct process *process_select(long (*score)(struct process *p, void *arg), void *arg);

/* VmSize of mm in pages (takes mmap_lock for reading). */
unsigned long total_vm_pages(struct mm_struct *mm);

/* Add a new thread t (not yet woken) to process p. */
void process_add_thread(struct process *p, struct thread *t);

/*
 * The thread-exit hook (thread_exit() calls it for a thread with a
 * process, while it is still a live thread): clear_child_tid, drop its
 * mm (exit_mm), leave the process, and if it was the last thread release
 * the files and wake the waiter.
 */
void process_thread_exit(struct thread *t);

/*
 * The process with this pid, with a reference the caller drops with
 * process_put(); NULL if there is none (or it has been reaped).
 */
struct process *process_find(int pid);
void process_put(struct process *p);
/* The smallest pid >= pid of a process not yet reaped, or 0 (for listing /proc). */
int process_next_pid(int pid);
/* kill(-pgid, ...), kill(-1, ...): 0, or -ESRCH if no process matched. info NULL: only look. */
int kill_pgrp(int pgid, const struct ksiginfo *info);
int kill_all_but(struct process *except, const struct ksiginfo *info);
/* Is tid a live thread of p? */
bool process_has_thread(struct process *p, int tid);
/* One letter for /proc: R running, S sleeping, Z dead and not yet reaped. */
char process_state(struct process *p);

/* vfork: the child execs or exits, its parent may go on. */
void vfork_release(struct process *p);
/* setpgid(pid, pgid) and setsid() for the calling process, with Linux's rules. */
long process_setpgid(int pid, int pgid);
long process_setsid(void);

/* Processes not yet reaped by process_wait (for leak checks). */
int nr_processes(void);
