/*
 * System call dispatch (arch/x86_64/syscall_entry.asm gets here through
 * do_syscall_64). The table is indexed by Linux's x86-64 numbers.
 */
#include "kernel/syscall.h"
#include "arch/x86_64/syscall.h"
#include "kernel/printk.h"

#define NR_SYSCALLS 440

static const syscall_fn syscall_table[NR_SYSCALLS] = {
	[0] = sys_read,        [1] = sys_write,        [2] = sys_open,
	[3] = sys_close,       [4] = sys_stat,         [5] = sys_fstat,
	[6] = sys_lstat,       [7] = sys_poll,         [8] = sys_lseek,        [9] = sys_mmap,
	[10] = sys_mprotect,   [11] = sys_munmap,      [12] = sys_brk,
	[13] = sys_rt_sigaction, [14] = sys_rt_sigprocmask, [15] = sys_rt_sigreturn,
	[16] = sys_ioctl,
	[17] = sys_pread64,    [19] = sys_readv,       [20] = sys_writev,
	[21] = sys_access,     [22] = sys_pipe,     [24] = sys_sched_yield, [28] = sys_madvise,
	[32] = sys_dup,        [33] = sys_dup2,        [34] = sys_pause,
	[35] = sys_nanosleep,
	[39] = sys_getpid,     [40] = sys_sendfile,    [56] = sys_clone,
	[57] = sys_fork,       [58] = sys_vfork,       [59] = sys_execve,      [60] = sys_exit,
	[61] = sys_wait4,
	[62] = sys_kill,       [63] = sys_uname,       [72] = sys_fcntl,
	[79] = sys_getcwd,     [80] = sys_chdir,       [81] = sys_fchdir,
	[82] = sys_read_only_fs, [83] = sys_read_only_fs, [84] = sys_read_only_fs,
	[85] = sys_read_only_fs, [86] = sys_read_only_fs, [87] = sys_read_only_fs,
	[88] = sys_read_only_fs, [89] = sys_readlink,  [90] = sys_read_only_fs,
	[92] = sys_read_only_fs, [95] = sys_umask,     [96] = sys_gettimeofday,
	[97] = sys_getrlimit,  [98] = sys_getrusage,   [99] = sys_sysinfo,
	[100] = sys_times,     [102] = sys_getuid_family, [104] = sys_getuid_family,
	[105] = sys_setuid_family, [106] = sys_setuid_family, [107] = sys_getuid_family,
	[108] = sys_getuid_family, [109] = sys_setpgid, [110] = sys_getppid,
	[111] = sys_getpgrp,   [112] = sys_setsid,
	[115] = sys_getgroups, [117] = sys_setuid_family, [118] = sys_getresuid,
	[119] = sys_setuid_family, [120] = sys_getresuid, [121] = sys_getpgid,
	[124] = sys_getsid,    [127] = sys_rt_sigpending, [130] = sys_rt_sigsuspend,
	[131] = sys_sigaltstack,    [157] = sys_prctl,      [158] = sys_arch_prctl,
	[160] = sys_setrlimit, [186] = sys_gettid,    [200] = sys_tkill,     [201] = sys_time,
	[202] = sys_futex,     [203] = sys_sched_setaffinity,
	[204] = sys_sched_getaffinity, [217] = sys_getdents64, [218] = sys_set_tid_address,
	[228] = sys_clock_gettime, [229] = sys_clock_getres, [230] = sys_clock_nanosleep,
	[231] = sys_exit_group, [234] = sys_tgkill,    [247] = sys_waitid,    [257] = sys_openat,
	[258] = sys_read_only_fs, [262] = sys_newfstatat, [263] = sys_read_only_fs,
	[264] = sys_read_only_fs, [265] = sys_read_only_fs, [266] = sys_read_only_fs,
	[267] = sys_readlinkat, [268] = sys_read_only_fs, [269] = sys_faccessat, [271] = sys_ppoll,
	[273] = sys_set_robust_list, [292] = sys_dup3,      [293] = sys_pipe2, [302] = sys_prlimit64,
	[309] = sys_getcpu,    [316] = sys_read_only_fs, [318] = sys_getrandom, [324] = sys_membarrier,
	[332] = sys_statx,     [334] = sys_rseq,       [439] = sys_faccessat2,
};

/* One bit per number already reported, so a loop of unknown calls logs once. */
static u64 reported[(NR_SYSCALLS + 63) / 64 + 1];

static long unknown_syscall(u64 nr)
{
	u64 slot = nr < NR_SYSCALLS ? nr : NR_SYSCALLS;    /* the last bit: out of range */
	u64 bit = 1ull << (slot % 64);

	if (!(__atomic_fetch_or(&reported[slot / 64], bit, __ATOMIC_RELAXED) & bit))
		printk("syscall %ld not implemented: -ENOSYS%s\n", (long)nr,
		       nr < NR_SYSCALLS ? "" : " (and any other number out of range)");
	return -ENOSYS;
}

long syscall_dispatch(struct trap_frame *regs)
{
	u64 nr = regs->error;                /* the number as it came in (syscall.h) */

	if (nr >= NR_SYSCALLS || !syscall_table[nr])
		return unknown_syscall(nr);
	return syscall_table[nr](regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9);
}
