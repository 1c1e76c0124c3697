/*
 * The system call table: Linux x86-64 numbers, -errno returns.
 *
 * Each handler takes the six argument registers (rdi, rsi, rdx, r10, r8,
 * r9) as u64 and returns the value for rax. A pointer argument is a user
 * address: handlers reach it only through arch/x86_64/uaccess.h, so a bad
 * one costs -EFAULT, never a kernel fault.
 */
#pragma once
#include "kernel/types.h"

typedef long (*syscall_fn)(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

#define SYSCALL_DEFINE(name) \
	long sys_##name(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)

/* kernel/sys_file.c */
SYSCALL_DEFINE(read); SYSCALL_DEFINE(write); SYSCALL_DEFINE(writev); SYSCALL_DEFINE(readv);
SYSCALL_DEFINE(close); SYSCALL_DEFINE(ioctl); SYSCALL_DEFINE(lseek); SYSCALL_DEFINE(pread64);
SYSCALL_DEFINE(dup); SYSCALL_DEFINE(dup2); SYSCALL_DEFINE(dup3); SYSCALL_DEFINE(fcntl);
SYSCALL_DEFINE(poll); SYSCALL_DEFINE(ppoll); SYSCALL_DEFINE(sendfile); SYSCALL_DEFINE(pipe);
SYSCALL_DEFINE(pipe2);
/* kernel/sys_fs.c */
SYSCALL_DEFINE(open); SYSCALL_DEFINE(openat); SYSCALL_DEFINE(read_only_fs);
SYSCALL_DEFINE(getdents64); SYSCALL_DEFINE(stat); SYSCALL_DEFINE(lstat); SYSCALL_DEFINE(fstat);
SYSCALL_DEFINE(newfstatat); SYSCALL_DEFINE(statx); SYSCALL_DEFINE(readlink);
SYSCALL_DEFINE(readlinkat); SYSCALL_DEFINE(access); SYSCALL_DEFINE(faccessat);
SYSCALL_DEFINE(faccessat2); SYSCALL_DEFINE(getcwd); SYSCALL_DEFINE(chdir); SYSCALL_DEFINE(fchdir);
SYSCALL_DEFINE(umask);
/* kernel/sys_mm.c */
SYSCALL_DEFINE(mmap); SYSCALL_DEFINE(munmap); SYSCALL_DEFINE(mprotect);
SYSCALL_DEFINE(brk); SYSCALL_DEFINE(madvise);
/* kernel/sys_thread.c */
SYSCALL_DEFINE(clone); SYSCALL_DEFINE(exit); SYSCALL_DEFINE(exit_group);
SYSCALL_DEFINE(set_tid_address); SYSCALL_DEFINE(futex); SYSCALL_DEFINE(getpid);
SYSCALL_DEFINE(gettid); SYSCALL_DEFINE(sched_yield); SYSCALL_DEFINE(sched_setaffinity);
SYSCALL_DEFINE(sched_getaffinity); SYSCALL_DEFINE(getcpu); SYSCALL_DEFINE(arch_prctl);
SYSCALL_DEFINE(getppid); SYSCALL_DEFINE(getpgid);
SYSCALL_DEFINE(getpgrp); SYSCALL_DEFINE(getsid); SYSCALL_DEFINE(setpgid); SYSCALL_DEFINE(setsid);
/* kernel/fork.c, kernel/execve.c, kernel/exit.c */
SYSCALL_DEFINE(fork); SYSCALL_DEFINE(vfork); SYSCALL_DEFINE(execve); SYSCALL_DEFINE(wait4);
SYSCALL_DEFINE(waitid);
/* kernel/sys_signal.c, arch/x86_64/signal.c */
SYSCALL_DEFINE(rt_sigaction); SYSCALL_DEFINE(rt_sigprocmask); SYSCALL_DEFINE(rt_sigpending);
SYSCALL_DEFINE(rt_sigsuspend); SYSCALL_DEFINE(pause); SYSCALL_DEFINE(kill);
SYSCALL_DEFINE(tgkill); SYSCALL_DEFINE(tkill); SYSCALL_DEFINE(rt_sigreturn);
SYSCALL_DEFINE(sigaltstack);
/* kernel/sys_misc.c */
SYSCALL_DEFINE(clock_gettime); SYSCALL_DEFINE(nanosleep); SYSCALL_DEFINE(uname);
SYSCALL_DEFINE(getrandom);
SYSCALL_DEFINE(clock_getres); SYSCALL_DEFINE(clock_nanosleep); SYSCALL_DEFINE(gettimeofday);
SYSCALL_DEFINE(time); SYSCALL_DEFINE(times); SYSCALL_DEFINE(getrusage); SYSCALL_DEFINE(sysinfo);
SYSCALL_DEFINE(getuid_family); SYSCALL_DEFINE(getresuid); SYSCALL_DEFINE(setuid_family);
SYSCALL_DEFINE(getgroups); SYSCALL_DEFINE(prlimit64); SYSCALL_DEFINE(getrlimit);
SYSCALL_DEFINE(setrlimit); SYSCALL_DEFINE(set_robust_list); SYSCALL_DEFINE(rseq);
SYSCALL_DEFINE(prctl);
SYSCALL_DEFINE(membarrier);

struct timespec {
	s64 tv_sec;
	s64 tv_nsec;
};
/* Copy a timespec from user space and check it: 0, -EFAULT or -EINVAL. */
int get_timespec(struct timespec *ts, u64 uptr);
