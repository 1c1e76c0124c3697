/*
 * syscall_basics - each system call of the ABI, called once the ordinary
 * way, does its job and returns what Linux returns. (syscall_errors has the
 * failing calls.) The first program to run on a new kernel: when it passes,
 * the others can trust what they build on.
 */
#include "check.h"

static void check_io(void)
{
	char a[] = "# writev joins ", b[] = "three ", c[] = "buffers\n";
	struct iovec iov[3] = { { a, 15 }, { b, 6 }, { c, 8 } };
	char buf[64];

	check_section("write, writev, openat, read, close");
	CHECK_EQ(sys_write(1, "# write\n", 8), 8);
	CHECK_EQ(sys_writev(1, iov, 3), 29);
	long fd = CHECK_OK(sys_openat(AT_FDCWD, "/proc/self/status", O_RDONLY));
	CHECK(fd >= 3);
	CHECK_EQ(sys_read((int)fd, buf, 5), 5);
	CHECK(memcmp(buf, "Name:", 5) == 0);
	CHECK_EQ(sys_close((int)fd), 0);
	CHECK_ERRNO(sys_close((int)fd), EBADF);
}

static void check_identity(void)
{
	struct utsname u;
	unsigned long fs = 0;

	CHECK_EQ(sys_uname(&u), 0);
	check_section("identity: %s %s %s, pid %ld", u.sysname, u.release,
		      u.machine, sys_getpid());
	CHECK(strcmp(u.machine, "x86_64") == 0);
	CHECK(sys_getpid() > 0);
	CHECK_EQ(sys_gettid(), sys_getpid());
	CHECK_EQ(sys_set_tid_address(&thread_self()->tid), sys_gettid());
	CHECK_EQ(sys_arch_prctl(ARCH_GET_FS, (unsigned long)&fs), 0);
	CHECK_EQ(fs, (unsigned long)thread_self());
	CHECK(sys_brk(0) > 0);
}

static void check_time(void)
{
	struct timespec mono, real;
	unsigned char rnd[64] = { 0 }, any = 0;

	check_section("clocks, nanosleep, getrandom");
	CHECK_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &mono), 0);
	CHECK_EQ(sys_clock_gettime(CLOCK_REALTIME, &real), 0);
	CHECK(mono.tv_nsec >= 0 && mono.tv_nsec < 1000000000L);
	long t0 = now_ns();
	CHECK_EQ(sys_nanosleep(&(struct timespec){ 0, 20000000L }, 0), 0);
	CHECK(now_ns() - t0 >= 20000000L);
	CHECK_EQ(sys_getrandom(rnd, sizeof(rnd), 0), 64);
	for (size_t i = 0; i < sizeof(rnd); i++)
		any |= rnd[i];
	CHECK(any != 0);
}

static void check_sched_signals(void)
{
	unsigned long mask[16], old[4] = { 0 };
	unsigned cpu = ~0u;
	int cpus[CPU_MAX], n = cpu_allowed(cpus, CPU_MAX);

	check_section("scheduling and signal calls used by libc start-up");
	CHECK_EQ(sys_sched_yield(), 0);
	long len = CHECK_OK(sys_sched_getaffinity(0, sizeof(mask), mask));
	CHECK(len > 0 && len % 8 == 0);
	CHECK_EQ(sys_getcpu(&cpu, 0), 0);
	CHECK(cpu >= (unsigned)cpus[0] && cpu <= (unsigned)cpus[n - 1]);
	CHECK_EQ(sys_rt_sigprocmask(SIG_BLOCK, &(unsigned long){ 0 }, old, 8), 0);
	CHECK_EQ(sys_rt_sigaction(SIGSEGV, 0, old, 8), 0);
	CHECK_EQ(old[0], 0);                       /* SIG_DFL */
	CHECK_EQ(sys_kill((int)sys_getpid(), 0), 0);
	CHECK_EQ(sys_tgkill((int)sys_getpid(), (int)sys_gettid(), 0), 0);
}

int main(void)
{
	check_io();
	check_identity();
	check_time();
	check_sched_signals();
	return check_pass();
}
