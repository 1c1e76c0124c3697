/*
 * sys.c - one C function per system call.
 *
 * Each passes its arguments through unchanged and returns the kernel's
 * answer, -errno included. Nothing is retried or translated here, so a test
 * that calls sys_mmap() sees exactly what the kernel said.
 */
#include "syscall.h"
#include "user.h"

long sys_read(int fd, void *buf, size_t len)
{
	return syscall3(SYS_read, fd, (long)buf, (long)len);
}

long sys_write(int fd, const void *buf, size_t len)
{
	return syscall3(SYS_write, fd, (long)buf, (long)len);
}

long sys_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return syscall3(SYS_writev, fd, (long)iov, iovcnt);
}

long sys_open(const char *path, int flags)
{
	return syscall3(SYS_open, (long)path, flags, 0);
}

long sys_openat(int dirfd, const char *path, int flags)
{
	return syscall4(SYS_openat, dirfd, (long)path, flags, 0);
}

long sys_close(int fd)
{
	return syscall1(SYS_close, fd);
}

long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

long sys_munmap(void *addr, size_t len)
{
	return syscall2(SYS_munmap, (long)addr, (long)len);
}

long sys_mprotect(void *addr, size_t len, int prot)
{
	return syscall3(SYS_mprotect, (long)addr, (long)len, prot);
}

/* The raw brk never fails with -errno: it returns the new break, or the old
 * one when the request was refused. */
long sys_brk(void *addr)
{
	return syscall1(SYS_brk, (long)addr);
}

long sys_madvise(void *addr, size_t len, int advice)
{
	return syscall3(SYS_madvise, (long)addr, (long)len, advice);
}

/* futex has six arguments; WAIT and WAKE use the first four. */
long sys_futex(int *uaddr, int op, int val, const struct timespec *timeout)
{
	return syscall4(SYS_futex, (long)uaddr, op, val, (long)timeout);
}

long sys_set_tid_address(int *tidptr)
{
	return syscall1(SYS_set_tid_address, (long)tidptr);
}

/* exit ends the calling thread only; exit_group ends every thread. */
void sys_exit(int status)
{
	for (;;)
		syscall1(SYS_exit, status);
}

void sys_exit_group(int status)
{
	for (;;)
		syscall1(SYS_exit_group, status);
}

long sys_getpid(void)
{
	return syscall0(SYS_getpid);
}

long sys_gettid(void)
{
	return syscall0(SYS_gettid);
}

long sys_sched_yield(void)
{
	return syscall0(SYS_sched_yield);
}

long sys_sched_setaffinity(int tid, size_t len, const void *mask)
{
	return syscall3(SYS_sched_setaffinity, tid, (long)len, (long)mask);
}

/* Returns the number of mask bytes the kernel wrote, not 0. */
long sys_sched_getaffinity(int tid, size_t len, void *mask)
{
	return syscall3(SYS_sched_getaffinity, tid, (long)len, (long)mask);
}

long sys_getcpu(unsigned *cpu, unsigned *node)
{
	return syscall3(SYS_getcpu, (long)cpu, (long)node, 0);
}

long sys_clock_gettime(int clock, struct timespec *ts)
{
	return syscall2(SYS_clock_gettime, clock, (long)ts);
}

long sys_nanosleep(const struct timespec *req, struct timespec *rem)
{
	return syscall2(SYS_nanosleep, (long)req, (long)rem);
}

long sys_uname(struct utsname *buf)
{
	return syscall1(SYS_uname, (long)buf);
}

long sys_getrandom(void *buf, size_t len, unsigned flags)
{
	return syscall3(SYS_getrandom, (long)buf, (long)len, flags);
}

long sys_arch_prctl(int code, unsigned long addr)
{
	return syscall2(SYS_arch_prctl, code, (long)addr);
}

long sys_rt_sigaction(int sig, const void *act, void *oldact, size_t setsize)
{
	return syscall4(SYS_rt_sigaction, sig, (long)act, (long)oldact,
			(long)setsize);
}

long sys_rt_sigprocmask(int how, const void *set, void *oldset, size_t setsize)
{
	return syscall4(SYS_rt_sigprocmask, how, (long)set, (long)oldset,
			(long)setsize);
}

long sys_kill(int pid, int sig)
{
	return syscall2(SYS_kill, pid, sig);
}

long sys_tgkill(int tgid, int tid, int sig)
{
	return syscall3(SYS_tgkill, tgid, tid, sig);
}

long map_anon(size_t len, int prot)
{
	return sys_mmap(0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

long sys_stat(const char *path, struct stat *st)
{
	return syscall2(SYS_stat, (long)path, (long)st);
}

long sys_lstat(const char *path, struct stat *st)
{
	return syscall2(SYS_lstat, (long)path, (long)st);
}

long sys_fstat(int fd, struct stat *st)
{
	return syscall2(SYS_fstat, fd, (long)st);
}

long sys_newfstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return syscall4(SYS_newfstatat, dirfd, (long)path, (long)st, flags);
}

long sys_lseek(int fd, long off, int whence)
{
	return syscall3(SYS_lseek, fd, off, whence);
}

long sys_pread64(int fd, void *buf, size_t len, long off)
{
	return syscall4(SYS_pread64, fd, (long)buf, (long)len, off);
}

long sys_getdents64(int fd, void *buf, size_t len)
{
	return syscall3(SYS_getdents64, fd, (long)buf, (long)len);
}

long sys_readlink(const char *path, char *buf, size_t size)
{
	return syscall3(SYS_readlink, (long)path, (long)buf, (long)size);
}

long sys_getcwd(char *buf, size_t size)
{
	return syscall2(SYS_getcwd, (long)buf, (long)size);
}

long sys_chdir(const char *path)
{
	return syscall1(SYS_chdir, (long)path);
}

long sys_fchdir(int fd)
{
	return syscall1(SYS_fchdir, fd);
}

long sys_access(const char *path, int mode)
{
	return syscall2(SYS_access, (long)path, mode);
}

long sys_dup(int fd)
{
	return syscall1(SYS_dup, fd);
}

long sys_dup2(int fd, int newfd)
{
	return syscall2(SYS_dup2, fd, newfd);
}

long sys_dup3(int fd, int newfd, int flags)
{
	return syscall3(SYS_dup3, fd, newfd, flags);
}

long sys_fcntl(int fd, int cmd, long arg)
{
	return syscall3(SYS_fcntl, fd, cmd, arg);
}

long sys_getuid(void)
{
	return syscall0(SYS_getuid);
}

long sys_geteuid(void)
{
	return syscall0(SYS_geteuid);
}

long sys_getgid(void)
{
	return syscall0(SYS_getgid);
}

long sys_getegid(void)
{
	return syscall0(SYS_getegid);
}

long sys_getppid(void)
{
	return syscall0(SYS_getppid);
}

long sys_getpgid(int pid)
{
	return syscall1(SYS_getpgid, pid);
}

long sys_getsid(int pid)
{
	return syscall1(SYS_getsid, pid);
}

long sys_time(long *t)
{
	return syscall1(SYS_time, (long)t);
}

long sys_sysinfo(struct sysinfo *si)
{
	return syscall1(SYS_sysinfo, (long)si);
}

long sys_prlimit64(int pid, int resource, const struct rlimit *new, struct rlimit *old)
{
	return syscall4(SYS_prlimit64, pid, resource, (long)new, (long)old);
}

long sys_mkdir(const char *path, int mode)
{
	return syscall2(SYS_mkdir, (long)path, mode);
}

long sys_rt_sigpending(unsigned long *set)
{
	return syscall2(SYS_rt_sigpending, (long)set, 8);
}

long sys_sigaltstack(const stack_t *ss, stack_t *old)
{
	return syscall2(SYS_sigaltstack, (long)ss, (long)old);
}

long sys_pause(void)
{
	return syscall0(SYS_pause);
}

long set_handler(int sig, void (*handler)(int, siginfo_t *, void *), unsigned long flags,
		 unsigned long mask)
{
	struct kernel_sigaction act = {
		.handler = (void *)handler, .flags = flags | SA_SIGINFO | SA_RESTORER,
		.restorer = signal_restorer, .mask = mask,
	};
	return sys_rt_sigaction(sig, &act, 0, 8);
}

unsigned long blocked_mask(void)
{
	unsigned long old = 0;

	sys_rt_sigprocmask(SIG_BLOCK, 0, &old, 8);
	return old;
}

long sys_fork(void)
{
	return syscall0(SYS_fork);
}

/*
 * vfork cannot be a C function that returns in the child: the child would
 * return into this frame and the parent, resuming on the same stack, would
 * find it overwritten. Tests use fork(); vfork is reached through raw
 * syscalls that never return in the child (see fork_exec.c).
 */
long sys_vfork(void)
{
	return syscall0(SYS_vfork);
}

long sys_execve(const char *path, char *const argv[], char *const envp[])
{
	return syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
}

long sys_wait4(int pid, int *status, int options, void *rusage)
{
	return syscall4(SYS_wait4, pid, (long)status, options, (long)rusage);
}

long sys_waitid(int idtype, int id, siginfo_t *info, int options)
{
	return syscall5(SYS_waitid, idtype, id, (long)info, options, 0);
}

long sys_pipe2(int fds[2], int flags)
{
	return syscall2(SYS_pipe2, (long)fds, flags);
}

long sys_poll(struct pollfd *fds, unsigned long n, int timeout_ms)
{
	return syscall3(SYS_poll, (long)fds, (long)n, timeout_ms);
}

long sys_setpgid(int pid, int pgid)
{
	return syscall2(SYS_setpgid, pid, pgid);
}

long sys_setsid(void)
{
	return syscall0(SYS_setsid);
}

long sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	return syscall3(SYS_ioctl, fd, (long)cmd, (long)arg);
}

int wait_child(int pid)
{
	int status = 0;
	long r = sys_wait4(pid, &status, 0, 0);

	return r < 0 ? (int)r : status;
}
