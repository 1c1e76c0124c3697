/* clock_gettime, nanosleep, uname, getrandom, membarrier, and the signal calls musl needs. */
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/process.h"
#include "kernel/percpu.h"
#include "kernel/rcu.h"
#include "kernel/random.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/timer.h"

#define NSEC_PER_SEC 1000000000ull

int get_timespec(struct timespec *ts, u64 uptr)
{
	if (copy_from_user(ts, (const void *)uptr, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || (u64)ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

SYSCALL_DEFINE(clock_gettime)
{
	u64 ns = ktime_ns();

	switch ((int)a0) {                 /* a clockid_t: an int, the upper half unread */
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		ns += rtc_boot_epoch_ns();    /* the wall clock read at boot, plus uptime */
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		break;
	default:
		return -EINVAL;
	}
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
	return copy_to_user((void *)a1, &ts, sizeof(ts));
}

SYSCALL_DEFINE(nanosleep)
{
	struct timespec ts;
	int err = get_timespec(&ts, a0);

	if (err)
		return err;
	sleep_ns(ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec);
	return 0;
}

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* Static programs (glibc's among them) check the release, so we say Linux. */
SYSCALL_DEFINE(uname)
{
	static const struct utsname u = {
		.sysname = "Linux", .nodename = "quiesce", .release = "6.18.0-quiesce",
		.version = "#1 SMP Quiesce teaching kernel", .machine = "x86_64",
		.domainname = "(none)",
	};
	return copy_to_user((void *)a0, &u, sizeof(u));
}

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4

/* Linux's order: the flags (an unsigned int), then the buffer, capped at MAX_RW_COUNT. */
SYSCALL_DEFINE(getrandom)
{
	u8 k[256];
	size_t done = 0, n = MIN(a1, 0x7ffff000ul);   /* MAX_RW_COUNT */
	u32 flags = (u32)a2;

	if (flags & ~(u32)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM))
		return -EINVAL;                           /* contradictory */
	if (!access_ok((void *)a0, n))
		return -EFAULT;
	while (done < n) {
		size_t len = MIN(n - done, sizeof(k));
		get_random_bytes(k, len);
		if (copy_to_user((void *)(a0 + done), k, len))
			return done ? (long)done : -EFAULT;
		done += len;
	}
	return done;
}

#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1

/*
 * membarrier(MEMBARRIER_CMD_GLOBAL): when it returns, every thread of
 * every process has passed a point where its memory accesses are ordered
 * against the caller's. A thread that was running user code when the call
 * began has since passed a quiescent state -- a context switch or a return
 * to user mode from the kernel -- which is exactly what an RCU grace period
 * waits for: so it is synchronize_rcu(), as on Linux. With one CPU every
 * other thread is off-CPU already and there is nothing to wait for. Only
 * GLOBAL is offered (QUERY says so); the other commands are -EINVAL.
 * user/bench/rcu_gp times it: grace-period latency seen from user space.
 */
SYSCALL_DEFINE(membarrier)
{
	if (a1 != 0)
		return -EINVAL;                       /* flags: none defined for these */
	if (a0 == MEMBARRIER_CMD_QUERY)
		return MEMBARRIER_CMD_GLOBAL;
	if (a0 != MEMBARRIER_CMD_GLOBAL)
		return -EINVAL;
	if (nr_cpus > 1)
		synchronize_rcu();
	return 0;
}

/*
 * Signals are never delivered here (a fault ends the process, see traps),
 * but musl's start-up and pthreads install handlers and block signals: the
 * calls check their arguments as Linux does and remember nothing.
 */
#define SIGSTOP 19
#define NSIG 64

struct kernel_sigaction {
	u64 handler, flags, restorer, mask;
};

/* Linux's order: the set size, reading act, then the signal (an int). */
SYSCALL_DEFINE(rt_sigaction)
{
	struct kernel_sigaction act, old = { 0 };
	int sig = (int)a0;

	if (a3 != sizeof(u64))
		return -EINVAL;
	if (a1 && copy_from_user(&act, (const void *)a1, sizeof(act)))
		return -EFAULT;
	if (sig < 1 || sig > NSIG || (a1 && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(rt_sigprocmask)
{
	u64 set, old = 0;

	if (a3 != sizeof(u64))
		return -EINVAL;
	if (a1) {
		if (copy_from_user(&set, (const void *)a1, sizeof(set)))
			return -EFAULT;
		if ((u32)a0 > 2)               /* SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK (an int) */
			return -EINVAL;
	}
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
