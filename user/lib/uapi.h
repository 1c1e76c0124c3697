/*
 * uapi.h - the Linux x86-64 user ABI, the part bundled programs use.
 *
 * Numbers, flags and structures exactly as Linux defines them (see
 * arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/ in Linux). They
 * must not be "improved": a binary built against these runs on Linux and on
 * Quiesce only because both kernels agree on every value here.
 */
#ifndef USER_UAPI_H
#define USER_UAPI_H

#include <stddef.h>
#include <stdint.h>

/* System call numbers. */
#define SYS_read               0
#define SYS_write              1
#define SYS_open               2
#define SYS_close              3
#define SYS_mmap               9
#define SYS_mprotect          10
#define SYS_munmap            11
#define SYS_brk               12
#define SYS_rt_sigaction      13
#define SYS_rt_sigprocmask    14
#define SYS_writev            20
#define SYS_sched_yield       24
#define SYS_madvise           28
#define SYS_nanosleep         35
#define SYS_getpid            39
#define SYS_clone             56
#define SYS_exit              60
#define SYS_kill              62
#define SYS_uname             63
#define SYS_arch_prctl       158
#define SYS_gettid           186
#define SYS_futex            202
#define SYS_sched_setaffinity 203
#define SYS_sched_getaffinity 204
#define SYS_set_tid_address  218
#define SYS_clock_gettime    228
#define SYS_exit_group       231
#define SYS_tgkill           234
#define SYS_openat           257
#define SYS_getcpu           309
#define SYS_getrandom        318
#define SYS_stat               4
#define SYS_fstat              5
#define SYS_lstat              6
#define SYS_lseek              8
#define SYS_pread64           17
#define SYS_access            21
#define SYS_pipe              22
#define SYS_dup               32
#define SYS_dup2              33
#define SYS_fork              57
#define SYS_vfork             58
#define SYS_execve            59
#define SYS_wait4             61
#define SYS_fcntl             72
#define SYS_getcwd            79
#define SYS_chdir             80
#define SYS_fchdir            81
#define SYS_mkdir             83
#define SYS_readlink          89
#define SYS_gettimeofday      96
#define SYS_getrlimit         97
#define SYS_sysinfo           99
#define SYS_getuid           102
#define SYS_getgid           104
#define SYS_geteuid          107
#define SYS_getegid          108
#define SYS_setpgid          109
#define SYS_getppid          110
#define SYS_getpgrp          111
#define SYS_setsid           112
#define SYS_getpgid          121
#define SYS_getsid           124
#define SYS_time             201
#define SYS_getdents64       217
#define SYS_waitid           247
#define SYS_newfstatat       262
#define SYS_readlinkat       267
#define SYS_dup3             292
#define SYS_pipe2            293
#define SYS_prlimit64        302
#define SYS_statx            332
#define SYS_rt_sigreturn      15
#define SYS_pause             34
#define SYS_rt_sigpending    127
#define SYS_rt_sigsuspend    130
#define SYS_sigaltstack      131
#define SYS_tkill            200
#define SYS_poll               7
#define SYS_ioctl             16

/* errno values (asm-generic/errno-base.h, errno.h). */
#define EPERM      1
#define ENOENT     2
#define ESRCH      3
#define EINTR      4
#define EBADF      9
#define EAGAIN    11
#define ENOMEM    12
#define EACCES    13
#define EFAULT    14
#define EEXIST    17
#define EINVAL    22
#define ENOSYS    38
#define ECHILD    10
#define ENOTDIR   20
#define EISDIR    21
#define ENOTTY    25
#define ESPIPE    29
#define EROFS     30
#define EPIPE     32
#define ERANGE    34
#define ENAMETOOLONG 36
#define ELOOP     40
#define EOVERFLOW 75
#define ETIMEDOUT 110

/* open flags */
#define O_RDONLY    0
#define O_WRONLY    1
#define O_RDWR      2
#define O_CREAT     0100
#define O_NONBLOCK  04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
#define AT_FDCWD    (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD  0
#define F_GETFD  1
#define F_SETFD  2
#define F_GETFL  3
#define F_SETFL  4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

/* stat (x86-64 layout: 144 bytes), st_mode types, getdents64 entries */
struct stat {
	unsigned long st_dev, st_ino, st_nlink;
	unsigned int st_mode, st_uid, st_gid, __pad0;
	unsigned long st_rdev;
	long st_size, st_blksize, st_blocks;
	unsigned long st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	long __unused[3];
};
#define S_IFMT   0170000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
struct linux_dirent64 {
	unsigned long d_ino;
	long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};
#define DT_DIR  4
#define DT_REG  8
#define DT_LNK 10

/* wait */
#define WNOHANG  1
#define WEXITED  4
#define WNOWAIT  0x01000000
#define P_ALL 0
#define P_PID 1
#define WIFEXITED(s)   (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WTERMSIG(s)    ((s) & 0x7f)
#define CLD_EXITED 1
#define CLD_KILLED 2

/* poll */
struct pollfd {
	int fd;
	short events, revents;
};
#define POLLIN   0x001
#define POLLOUT  0x004
#define POLLERR  0x008
#define POLLHUP  0x010
#define POLLNVAL 0x020

/* terminal ioctls */
#define TCGETS     0x5401
#define TCSETS     0x5402
#define TIOCGPGRP  0x540f
#define TIOCSPGRP  0x5410
#define TIOCGWINSZ 0x5413

/* sysinfo (112 bytes on x86-64) and resource limits */
struct sysinfo {
	long uptime;
	unsigned long loads[3];
	unsigned long totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	unsigned short procs, pad;
	unsigned long totalhigh, freehigh;
	unsigned int mem_unit;
};
struct rlimit {
	unsigned long rlim_cur, rlim_max;
};
#define RLIMIT_STACK  3
#define RLIMIT_NOFILE 7

/* mmap, mprotect, madvise */
#define PROT_NONE   0
#define PROT_READ   1
#define PROT_WRITE  2
#define PROT_EXEC   4
#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_NORESERVE       0x4000
#define MAP_POPULATE        0x8000
#define MAP_STACK           0x20000
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_NORMAL       0
#define MADV_DONTNEED     4
#define MADV_FREE         8
#define MADV_HUGEPAGE    14
#define MADV_NOHUGEPAGE  15
#define MADV_COLLAPSE    25
#define PAGE_SIZE 4096UL

/* clone flags (sched.h) */
#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000

/* futex ops */
#define FUTEX_WAIT          0
#define FUTEX_WAKE          1
#define FUTEX_PRIVATE_FLAG  128

/* clocks, time */
#define CLOCK_REALTIME   0
#define CLOCK_MONOTONIC  1
struct timespec {
	long tv_sec;
	long tv_nsec;
};

/* arch_prctl codes */
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

/* signals */
#define SIGINT   2
#define SIGILL   4
#define SIGABRT  6
#define SIGKILL  9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SIG_DFL ((void *)0)
#define SIG_IGN ((void *)1)
#define SA_SIGINFO   0x00000004
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000
#define SA_RESTORER  0x04000000
#define SI_USER   0
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SS_DISABLE 2
#define SIGMASK(sig) (1UL << ((sig) - 1))
/* The kernel's struct sigaction (not glibc's): handler, flags, restorer, mask. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};
/* siginfo_t: 128 bytes; the fields tests read. */
typedef struct {
	int si_signo, si_errno, si_code, __pad;
	union {
		struct { int pid; unsigned uid; int status; } kill;
		void *addr;
		char __size[112];
	};
} siginfo_t;
/* ucontext_t as the kernel builds it (x86-64): registers in gregs order of struct sigcontext. */
struct sigcontext {
	unsigned long r8, r9, r10, r11, r12, r13, r14, r15;
	unsigned long rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	unsigned short cs, gs, fs, ss;
	unsigned long err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
typedef struct {
	void *ss_sp;
	int ss_flags;
	size_t ss_size;
} stack_t;
typedef struct {
	unsigned long uc_flags;
	void *uc_link;
	stack_t uc_stack;
	struct sigcontext uc_mcontext;
	unsigned long uc_sigmask;
} ucontext_t;

/* getrandom flags */
#define GRND_NONBLOCK 1

/* uname: six fields of 65 bytes */
struct utsname {
	char sysname[65];
	char nodename[65];
	char release[65];
	char version[65];
	char machine[65];
	char domainname[65];
};

/* One iovec for writev. */
struct iovec {
	void *iov_base;
	size_t iov_len;
};

/* Initial-stack auxiliary vector keys (elf.h). */
#define AT_NULL    0
#define AT_PHDR    3
#define AT_PHENT   4
#define AT_PHNUM   5
#define AT_PAGESZ  6
#define AT_ENTRY   9
#define AT_HWCAP  16
#define AT_RANDOM 25
#define AT_EXECFN 31

#endif
