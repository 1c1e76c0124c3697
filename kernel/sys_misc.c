/*
 * Time, system information, credentials, resource limits and the calls a
 * C library's start-up makes: clock_gettime, nanosleep, uname, getrandom,
 * membarrier, and more below.
 */
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/percpu.h"
#include "kernel/rcu.h"
#include "kernel/random.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/time.h"
#include "kernel/thread.h"
#include "kernel/timer.h"
#include "mm/page_alloc.h"

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

/*
 * Sleep ns, or less if a signal comes: the time left (0: slept it all).
 * A signal makes the call fail with EINTR and report what was left, as
 * Linux's nanosleep does (it never restarts by itself).
 */
static u64 sleep_interruptible(u64 ns)
{
	while (ns) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		ns = schedule_timeout(ns);
	}
	return ns;
}

static long sleep_and_report(u64 ns, u64 urem)
{
	u64 left = sleep_interruptible(ns);
	struct timespec rem = { left / NSEC_PER_SEC, left % NSEC_PER_SEC };

	if (!left)
		return 0;
	if (urem && copy_to_user((void *)urem, &rem, sizeof(rem)))
		return -EFAULT;
	return -EINTR;
}

SYSCALL_DEFINE(nanosleep)
{
	struct timespec ts;
	int err = get_timespec(&ts, a0);

	if (err)
		return err;
	return sleep_and_report(ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec, a1);
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

SYSCALL_DEFINE(clock_getres)
{
	struct timespec res = { 0, 1 };          /* the TSC counts nanoseconds */

	if (a0 > CLOCK_BOOTTIME || a0 == 2 || a0 == 3)
		return -EINVAL;                  /* CPU-time clocks are not kept */
	return a1 && copy_to_user((void *)a1, &res, sizeof(res)) ? -EFAULT : 0;
}

#define TIMER_ABSTIME 1

/* clock_nanosleep(clock, flags, req, rem): glibc's nanosleep and sleep use it. */
SYSCALL_DEFINE(clock_nanosleep)
{
	struct timespec ts;
	int err = get_timespec(&ts, a2);

	if (err)
		return err;
	if (a0 != CLOCK_REALTIME && a0 != CLOCK_MONOTONIC && a0 != CLOCK_BOOTTIME)
		return -EINVAL;
	u64 ns = ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	if (a1 & TIMER_ABSTIME) {
		u64 now = ktime_ns() + (a0 == CLOCK_REALTIME ? rtc_boot_epoch_ns() : 0);
		ns = ns > now ? ns - now : 0;
		return sleep_interruptible(ns) ? -EINTR : 0;   /* no time left to report */
	}
	return sleep_and_report(ns, a3);
}

struct timeval {
	s64 tv_sec, tv_usec;
};

SYSCALL_DEFINE(gettimeofday)
{
	u64 ns = ktime_ns() + rtc_boot_epoch_ns();
	struct timeval tv = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC / 1000 };
	u64 tz[1] = { 0 };                       /* struct timezone: UTC, no DST */

	if (a0 && copy_to_user((void *)a0, &tv, sizeof(tv)))
		return -EFAULT;
	return a1 && copy_to_user((void *)a1, tz, sizeof(tz)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(time)
{
	s64 t = (ktime_ns() + rtc_boot_epoch_ns()) / NSEC_PER_SEC;

	return a0 && put_user(t, (s64 *)a0) ? -EFAULT : t;
}

struct tms {
	s64 tms_utime, tms_stime, tms_cutime, tms_cstime;
};

/* CPU time is not accounted: zeros; the return value is clock ticks since boot. */
SYSCALL_DEFINE(times)
{
	struct tms t = { 0 };

	if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
		return -EFAULT;
	return ktime_ns() / (NSEC_PER_SEC / 100);
}

SYSCALL_DEFINE(getrusage)
{
	u64 ru[18] = { 0 };                      /* struct rusage: nothing is accounted */

	if ((s64)a0 != 0 && (s64)a0 != -1 && (s64)a0 != 1)
		return -EINVAL;
	return copy_to_user((void *)a1, ru, sizeof(ru)) ? -EFAULT : 0;
}

/* ---- system information ---- */

struct sysinfo {
	s64 uptime;
	u64 loads[3];
	u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs, pad;
	u64 totalhigh, freehigh;
	u32 mem_unit;
};
_Static_assert(sizeof(struct sysinfo) == 112, "struct sysinfo is 112 bytes on x86-64");

SYSCALL_DEFINE(sysinfo)
{
	struct sysinfo si = {
		.uptime = ktime_ns() / NSEC_PER_SEC,
		.totalram = totalram_pages(), .freeram = nr_free_pages(),
		.procs = nr_threads(), .mem_unit = PAGE_SIZE,
	};
	return copy_to_user((void *)a0, &si, sizeof(si)) ? -EFAULT : 0;
}

/* ---- credentials: every process is root, and nothing can change that ---- */

SYSCALL_DEFINE(getuid_family)
{
	return 0;                                /* getuid, geteuid, getgid, getegid */
}

/* getresuid/getresgid(r, e, s): three zeros. */
SYSCALL_DEFINE(getresuid)
{
	u32 zero = 0;

	if (put_user(zero, (u32 *)a0) || put_user(zero, (u32 *)a1) || put_user(zero, (u32 *)a2))
		return -EFAULT;
	return 0;
}

/* setuid and friends: to root is a no-op; to anyone else would need credentials. */
SYSCALL_DEFINE(setuid_family)
{
	return a0 == 0 || (u32)a0 == 0xffffffffu ? 0 : -EPERM;
}

SYSCALL_DEFINE(getgroups)
{
	return 0;                                /* no supplementary groups */
}

/* ---- resource limits ---- */

#define RLIMIT_STACK  3
#define RLIMIT_CORE   4
#define RLIMIT_NOFILE 7
#define RLIM_NLIMITS  16
#define RLIM_INFINITY (~0ul)

struct rlimit {
	u64 cur, max;
};

/*
 * The limits Quiesce has are fixed: the 8 MiB stack (kernel/exec.h) and
 * MAX_FDS descriptors; no core files. A new limit is accepted only if it
 * changes nothing (the same values) -- better an EPERM than a promise
 * the kernel would not keep.
 */
static struct rlimit rlimit_of(u64 resource)
{
	switch (resource) {
	case RLIMIT_STACK:
		return (struct rlimit){ 8ul << 20, RLIM_INFINITY };
	case RLIMIT_CORE:
		return (struct rlimit){ 0, 0 };
	case RLIMIT_NOFILE:
		return (struct rlimit){ MAX_FDS, MAX_FDS };
	default:
		return (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	}
}

static long do_prlimit(u64 resource, u64 unew, u64 uold)
{
	struct rlimit now = rlimit_of(resource), new;

	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (unew) {
		if (copy_from_user(&new, (const void *)unew, sizeof(new)))
			return -EFAULT;
		if (new.cur > new.max)
			return -EINVAL;
		if (new.cur != now.cur || new.max != now.max)
			return -EPERM;
	}
	return uold && copy_to_user((void *)uold, &now, sizeof(now)) ? -EFAULT : 0;
}

SYSCALL_DEFINE(prlimit64)
{
	if (a0 && a0 != (u64)current_process()->pid)
		return -ESRCH;                   /* only the caller's own */
	return do_prlimit(a1, a2, a3);
}

SYSCALL_DEFINE(getrlimit)
{
	return do_prlimit(a0, 0, a1);
}

SYSCALL_DEFINE(setrlimit)
{
	return do_prlimit(a0, a1, 0);
}

/* ---- what glibc's start-up asks for ---- */

/*
 * set_robust_list: glibc registers each thread's list of robust mutexes
 * for the kernel to release if the thread dies holding one. Quiesce does
 * not walk the list at exit (no robust futexes): it checks the size as
 * Linux does and remembers nothing.
 */
SYSCALL_DEFINE(set_robust_list)
{
	return a1 == 24 ? 0 : -EINVAL;           /* sizeof(struct robust_list_head) */
}

/*
 * rseq (restartable sequences): not built. glibc tries it at start-up,
 * takes ENOSYS as "no rseq" and carries on, so it is refused silently
 * instead of being logged as a missing call.
 */
SYSCALL_DEFINE(rseq)
{
	return -ENOSYS;
}

#define PR_SET_PDEATHSIG 1
#define PR_GET_DUMPABLE  3
#define PR_SET_DUMPABLE  4
#define PR_SET_NAME      15
#define PR_GET_NAME      16

SYSCALL_DEFINE(prctl)
{
	char name[THREAD_NAME_LEN];

	switch (a0) {
	case PR_SET_NAME:
		if (strncpy_from_user(name, (const char *)a1, sizeof(name)) < 0)
			return -EFAULT;
		name[sizeof(name) - 1] = '\0';
		strlcpy(current->name, name, sizeof(current->name));
		return 0;
	case PR_GET_NAME:
		return copy_to_user((void *)a1, current->name, sizeof(current->name)) ? -EFAULT : 0;
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_PDEATHSIG:
	case PR_SET_DUMPABLE:
		return a1 <= 64 ? 0 : -EINVAL;   /* accepted; nothing acts on them yet */
	default:
		return -EINVAL;
	}
}
