/*
 * System call dispatch (arch/x86_64/syscall_entry.asm gets here through
 * do_syscall_64). The table is indexed by Linux's x86-64 numbers.
 */
#include "kernel/syscall.h"
#include "arch/x86_64/syscall.h"
#include "kernel/printk.h"

#define NR_SYSCALLS 335

static const syscall_fn syscall_table[NR_SYSCALLS] = {
	[0] = sys_read,        [1] = sys_write,        [2] = sys_open,
	[3] = sys_close,       [9] = sys_mmap,         [10] = sys_mprotect,
	[11] = sys_munmap,     [12] = sys_brk,         [13] = sys_rt_sigaction,
	[14] = sys_rt_sigprocmask, [16] = sys_ioctl,   [20] = sys_writev,
	[24] = sys_sched_yield, [28] = sys_madvise,    [35] = sys_nanosleep,
	[39] = sys_getpid,     [56] = sys_clone,       [60] = sys_exit,
	[62] = sys_kill,       [63] = sys_uname,       [158] = sys_arch_prctl,
	[186] = sys_gettid,    [202] = sys_futex,      [203] = sys_sched_setaffinity,
	[204] = sys_sched_getaffinity, [218] = sys_set_tid_address,
	[228] = sys_clock_gettime, [231] = sys_exit_group, [234] = sys_tgkill,
	[257] = sys_openat,    [309] = sys_getcpu,     [318] = sys_getrandom,
	[324] = sys_membarrier,
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
