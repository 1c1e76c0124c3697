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
#define ENAMETOOLONG 36
#define EOVERFLOW 75
#define ETIMEDOUT 110

/* open flags */
#define O_RDONLY    0
#define O_WRONLY    1
#define O_RDWR      2
#define O_CLOEXEC   02000000
#define AT_FDCWD    (-100)

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
#define SIGILL   4
#define SIGKILL  9
#define SIGSEGV 11
#define SIG_BLOCK 0
#define SIG_SETMASK 2

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
