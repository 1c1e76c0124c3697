/*
 * user.h - everything a bundled program may call.
 *
 * Two kinds of function live here. sys_*() are the system calls themselves:
 * they return what the kernel returned, a value or -errno, and there is no
 * global errno (a test wants to see the kernel's exact answer, and threads
 * would need one errno each). The rest is a small libc built on them.
 * Each group names the file that implements it.
 */
#ifndef USER_USER_H
#define USER_USER_H

#include <stdarg.h>
#include <stdbool.h>
#include "uapi.h"

#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* sys.c - one wrapper per system call, -errno on failure. */
long sys_read(int fd, void *buf, size_t len);
long sys_write(int fd, const void *buf, size_t len);
long sys_writev(int fd, const struct iovec *iov, int iovcnt);
long sys_open(const char *path, int flags);
long sys_openat(int dirfd, const char *path, int flags);
long sys_close(int fd);
long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
long sys_munmap(void *addr, size_t len);
long sys_mprotect(void *addr, size_t len, int prot);
long sys_brk(void *addr);
long sys_madvise(void *addr, size_t len, int advice);
long sys_futex(int *uaddr, int op, int val, const struct timespec *timeout);
long sys_set_tid_address(int *tidptr);
NORETURN void sys_exit(int status);
NORETURN void sys_exit_group(int status);
long sys_getpid(void);
long sys_gettid(void);
long sys_sched_yield(void);
long sys_sched_setaffinity(int tid, size_t len, const void *mask);
long sys_sched_getaffinity(int tid, size_t len, void *mask);
long sys_getcpu(unsigned *cpu, unsigned *node);
long sys_clock_gettime(int clock, struct timespec *ts);
long sys_nanosleep(const struct timespec *req, struct timespec *rem);
long sys_uname(struct utsname *buf);
long sys_getrandom(void *buf, size_t len, unsigned flags);
long sys_arch_prctl(int code, unsigned long addr);
long sys_rt_sigaction(int sig, const void *act, void *oldact, size_t setsize);
long sys_rt_sigprocmask(int how, const void *set, void *oldset, size_t setsize);
long sys_kill(int pid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_stat(const char *path, struct stat *st);
long sys_lstat(const char *path, struct stat *st);
long sys_fstat(int fd, struct stat *st);
long sys_newfstatat(int dirfd, const char *path, struct stat *st, int flags);
long sys_lseek(int fd, long off, int whence);
long sys_pread64(int fd, void *buf, size_t len, long off);
long sys_getdents64(int fd, void *buf, size_t len);
long sys_readlink(const char *path, char *buf, size_t size);
long sys_getcwd(char *buf, size_t size);
long sys_chdir(const char *path);
long sys_fchdir(int fd);
long sys_access(const char *path, int mode);
long sys_dup(int fd);
long sys_dup2(int fd, int newfd);
long sys_dup3(int fd, int newfd, int flags);
long sys_fcntl(int fd, int cmd, long arg);
long sys_getuid(void);
long sys_geteuid(void);
long sys_getgid(void);
long sys_getegid(void);
long sys_getppid(void);
long sys_getpgid(int pid);
long sys_getsid(int pid);
long sys_time(long *t);
long sys_sysinfo(struct sysinfo *si);
long sys_prlimit64(int pid, int resource, const struct rlimit *new, struct rlimit *old);
long sys_mkdir(const char *path, int mode);
long sys_rt_sigpending(unsigned long *set);
long sys_sigaltstack(const stack_t *ss, stack_t *old);
long sys_pause(void);

long sys_fork(void);
long sys_vfork(void);
long sys_execve(const char *path, char *const argv[], char *const envp[]);
long sys_wait4(int pid, int *status, int options, void *rusage);
long sys_waitid(int idtype, int id, siginfo_t *info, int options);
long sys_pipe2(int fds[2], int flags);
long sys_poll(struct pollfd *fds, unsigned long n, int timeout_ms);
long sys_setpgid(int pid, int pgid);
long sys_setsid(void);
long sys_ioctl(int fd, unsigned long cmd, void *arg);
/* Wait for child pid; its wait status (-errno if none). */
int wait_child(int pid);

/* sigreturn.S - the restorer every handler returns through (SA_RESTORER). */
void signal_restorer(void);
/* Install handler (SA_SIGINFO-style) for sig with flags and mask: sys_rt_sigaction's result. */
long set_handler(int sig, void (*handler)(int, siginfo_t *, void *), unsigned long flags,
		 unsigned long mask);
/* The blocked mask of the calling thread. */
unsigned long blocked_mask(void);

/* Anonymous private memory, the common case: the mapping or -errno. */
long map_anon(size_t len, int prot);

/* start.c - the initial stack, as the kernel laid it out. */
extern char **environ;
unsigned long getauxval(unsigned long type);  /* 0 when absent */

/* string.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *s, const char *sub);
long atol(const char *s);

/* printf.c - output goes to fd 1, one write() per call. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
int printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int puts(const char *s);

/* time.c */
long now_ns(void);                    /* CLOCK_MONOTONIC in nanoseconds */
void sleep_ms(long ms);

/* thread.c, clone.S - threads over clone() + futex join. */
struct thread {
	struct thread *self;  /* %fs:0 points here, the x86-64 TLS convention */
	int tid;              /* written by the kernel: set at clone
			       * (PARENT_SETTID), zeroed and futex-woken when
			       * the thread exits (CHILD_CLEARTID) */
	int (*fn)(void *);
	void *arg;
	int ret;              /* fn's return value, valid after join */
	void *map;            /* the mapping holding stack and this struct */
	size_t map_len;
};
long thread_create(struct thread **t, int (*fn)(void *), void *arg);
int thread_join(struct thread *t);   /* fn's return value */
struct thread *thread_self(void);
void thread_init_main(void);          /* start.c calls it once */

/* futex.c - futex words, a mutex and a barrier built on them. */
long futex_wait(int *addr, int val, const struct timespec *timeout);
long futex_wake(int *addr, int n);
struct mutex {
	int state;            /* 0 free, 1 locked, 2 locked and maybe waiters */
	long waits;           /* how often a locker slept: shows contention */
};
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
struct barrier {
	int count;            /* threads that must arrive; set before use */
	int arrived;
	int generation;       /* futex word: bumped when all have arrived */
};
void barrier_wait(struct barrier *b);

/* cpu.c - which CPUs we may run on, and pinning. */
#define CPU_MAX 1024
int cpu_allowed(int *cpus, int max);  /* fills cpus[], returns the count */
long pin_to_cpu(int cpu);             /* the calling thread only */
int current_cpu(void);

/* proc.c - the numbers tests read, the way they are read on Linux: the
 * number after the field (Vm* fields are in kB), -1 when the file or field
 * is missing. */
long proc_status_kb(const char *field);  /* /proc/self/status "VmRSS" ... */
long meminfo_kb(const char *field);      /* /proc/meminfo "PageTables" ... */
long vmstat(const char *name);           /* /proc/vmstat "pgfault" ... */
long smaps_rollup_kb(const char *field); /* /proc/self/smaps_rollup "AnonHugePages" ... */
/* The THP mode in /sys/kernel/mm/transparent_hugepage/enabled: "always",
 * "madvise" or "never"; NULL if the kernel has no THP (no such file). */
const char *thp_enabled(void);
long proc_read(const char *path, char *buf, size_t size);  /* whole file */

#endif
