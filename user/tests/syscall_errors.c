/*
 * syscall_errors - every system call of the ABI refuses bad input with the
 * errno Linux gives, and survives it.
 *
 * Bad pointers must come back as -EFAULT through the kernel's checked copy
 * routines, never crash the kernel; bad flags -EINVAL; bad descriptors
 * -EBADF; numbers the kernel does not know -ENOSYS. Each expected value
 * here was taken from Linux 6.18 running this very binary.
 *
 * Needs fd 1 to be a terminal, pipe or file (writing to /dev/null would
 * succeed without reading the buffer).
 */
#include "check.h"
#include "syscall.h"

/* Addresses no user access may succeed on: unmapped low memory, the
 * kernel's direct map, and the non-canonical hole. A PROT_NONE mapping is
 * added at run time: mapped, but still not accessible. */
static void *bad[4] = {
	(void *)8,
	(void *)0xffff888000000000UL,
	(void *)0x0000800000000000UL,
};
#define NBAD (sizeof(bad) / sizeof(bad[0]))

static void efault_io(void *p)
{
	struct iovec bad_base = { p, 16 };
	long fd = CHECK_OK(sys_open("/proc/self/status", O_RDONLY));

	CHECK_ERRNO(sys_write(1, p, 16), EFAULT);
	CHECK_ERRNO(sys_writev(1, p, 1), EFAULT);
	CHECK_ERRNO(sys_writev(1, &bad_base, 1), EFAULT);
	CHECK_ERRNO(sys_read((int)fd, p, 64), EFAULT);
	CHECK_ERRNO(sys_open(p, O_RDONLY), EFAULT);
	CHECK_OK(sys_close((int)fd));
}

static void efault_other(void *p)
{
	CHECK_ERRNO(sys_clock_gettime(CLOCK_MONOTONIC, p), EFAULT);
	CHECK_ERRNO(sys_nanosleep(p, 0), EFAULT);
	CHECK_ERRNO(sys_uname(p), EFAULT);
	CHECK_ERRNO(sys_getrandom(p, 16, 0), EFAULT);
	CHECK_ERRNO(sys_getcpu(p, 0), EFAULT);
	CHECK_ERRNO(sys_sched_getaffinity(0, 128, p), EFAULT);
	CHECK_ERRNO(sys_sched_setaffinity(0, 128, p), EFAULT);
	CHECK_ERRNO(sys_futex(p, FUTEX_WAIT, 0, 0), EFAULT);
	CHECK_ERRNO(sys_arch_prctl(ARCH_GET_FS, (unsigned long)p), EFAULT);
	CHECK_ERRNO(sys_rt_sigaction(SIGSEGV, p, 0, 8), EFAULT);
	CHECK_ERRNO(sys_rt_sigprocmask(SIG_BLOCK, p, 0, 8), EFAULT);
}

static void check_efault(void)
{
	bad[3] = (void *)CHECK_OK(map_anon(PAGE_SIZE, PROT_NONE));
	for (unsigned i = 0; i < NBAD; i++) {
		check_section("EFAULT for pointer %p", bad[i]);
		efault_io(bad[i]);
		efault_other(bad[i]);
	}
}

static void einval_memory(void)
{
	char *p = (char *)CHECK_OK(map_anon(2 * PAGE_SIZE, PROT_READ));

	check_section("EINVAL from mmap, munmap, mprotect, madvise");
	CHECK_ERRNO(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERRNO(sys_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERRNO(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 100), EINVAL);
	CHECK_ERRNO(sys_munmap(p + 1, PAGE_SIZE), EINVAL);
	CHECK_ERRNO(sys_munmap(p, 0), EINVAL);
	CHECK_ERRNO(sys_mprotect(p + 1, PAGE_SIZE, PROT_READ), EINVAL);
	CHECK_ERRNO(sys_mprotect(p, PAGE_SIZE, 0x80), EINVAL);
	CHECK_ERRNO(sys_madvise(p, PAGE_SIZE, 999), EINVAL);
	CHECK_ERRNO(sys_madvise(p + 1, PAGE_SIZE, MADV_DONTNEED), EINVAL);
	CHECK_OK(sys_munmap(p, 2 * PAGE_SIZE));
}

/* A clone that wrongly succeeded would run on a stack at address 8 and
 * die at once, failing this test instead of corrupting it. */
static long bad_clone(unsigned long flags)
{
	return syscall5(SYS_clone, (long)flags, 8, 0, 0, 0);
}

static void einval_other(void)
{
	struct timespec ts = { 0, 1000000000L }, neg = { -1, 0 };
	unsigned long empty[16] = { 0 }, mask[16];
	struct iovec iov = { "", 0 };

	check_section("EINVAL from clone, clocks, signals, affinity, writev");
	CHECK_ERRNO(bad_clone(CLONE_VM | CLONE_THREAD), EINVAL);
	CHECK_ERRNO(bad_clone(CLONE_SIGHAND), EINVAL);
	CHECK_ERRNO(sys_clock_gettime(999, (struct timespec *)mask), EINVAL);
	CHECK_ERRNO(sys_nanosleep(&ts, 0), EINVAL);
	CHECK_ERRNO(sys_nanosleep(&neg, 0), EINVAL);
	CHECK_ERRNO(sys_getrandom(mask, 8, 0x100), EINVAL);
	CHECK_ERRNO(sys_arch_prctl(0x9999, 0), EINVAL);
	CHECK_ERRNO(sys_sched_setaffinity(0, sizeof(empty), empty), EINVAL);
	CHECK_ERRNO(sys_sched_getaffinity(0, 1, mask), EINVAL);
	CHECK_ERRNO(sys_rt_sigaction(SIGSEGV, 0, mask, 4), EINVAL);
	CHECK_ERRNO(sys_rt_sigaction(SIGKILL, mask, 0, 8), EINVAL);
	CHECK_ERRNO(sys_rt_sigaction(0, 0, mask, 8), EINVAL);
	CHECK_ERRNO(sys_rt_sigprocmask(99, mask, 0, 8), EINVAL);
	CHECK_ERRNO(sys_writev(1, &iov, -1), EINVAL);
	CHECK_ERRNO(sys_writev(1, &iov, 1025), EINVAL);
}

static void check_ebadf_enosys(void)
{
	char c;

	check_section("EBADF for descriptors never opened");
	CHECK_ERRNO(sys_read(-1, &c, 1), EBADF);
	CHECK_ERRNO(sys_read(99, &c, 1), EBADF);
	CHECK_ERRNO(sys_write(99, &c, 1), EBADF);
	CHECK_ERRNO(sys_close(99), EBADF);
	CHECK_ERRNO(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);

	check_section("ENOENT, ENOSYS");
	CHECK_ERRNO(sys_open("/proc/self/no-such-file", O_RDONLY), ENOENT);
	CHECK_ERRNO(syscall0(999), ENOSYS);
	CHECK_ERRNO(syscall0(-1), ENOSYS);
	CHECK_ERRNO(sys_futex(&(int){ 0 }, 99, 0, 0), ENOSYS);
}

/*
 * What the fuzzer (fuzz.c) found Quiesce answering differently from Linux,
 * one check each. An int argument is only the low half of its register
 * (the upper half may be garbage); each check's order of errors is Linux's.
 */
#define GARBAGE 0x5a5a5a5a00000000L

static void fuzz_findings_args(void)
{
	unsigned long mask[2];
	struct timespec ts;

	check_section("int arguments: the upper half of the register is not read");
	CHECK_OK(syscall2(SYS_clock_gettime, GARBAGE | CLOCK_MONOTONIC, (long)&ts));
	CHECK_OK(syscall2(SYS_kill, GARBAGE | sys_getpid(), GARBAGE | 0));
	CHECK_EQ(syscall3(SYS_sched_getaffinity, GARBAGE, GARBAGE | 8, (long)mask), 8);
	CHECK_OK(syscall4(SYS_rt_sigprocmask, GARBAGE | SIG_BLOCK, 0, 0, 8));
	CHECK_EQ(syscall3(SYS_getrandom, (long)mask, 8, GARBAGE), 8);
	CHECK_ERRNO(syscall4(SYS_futex, (long)mask, GARBAGE | FUTEX_WAKE, 1, 0), 0);

	check_section("the order of Linux's checks");
	CHECK_ERRNO(sys_tgkill(0, sys_gettid(), 0), EINVAL);      /* before the lookup */
	CHECK_ERRNO(sys_rt_sigaction(0, (void *)8, 0, 8), EFAULT); /* act is read first */
	CHECK_ERRNO(sys_open("/proc/self/no-such-file", O_WRONLY), ENOENT);
	CHECK_ERRNO(syscall3(SYS_mprotect, (long)mask & ~4095L, 0, 0x01000000), 0);
	CHECK_ERRNO(sys_futex((int *)0xffff888000000000UL, FUTEX_WAKE, 1, 0), EFAULT);
	CHECK_ERRNO(sys_futex((int *)mask, FUTEX_WAKE | 256 /* CLOCK_REALTIME */, 1, 0), ENOSYS);
	CHECK_ERRNO(sys_getrandom(mask, 8, 2 | 4 /* RANDOM | INSECURE */), EINVAL);
}

static void fuzz_findings_io(void)
{
	char *p = (char *)CHECK_OK(map_anon(2 * PAGE_SIZE, PROT_READ | PROT_WRITE));
	long fd = CHECK_OK(sys_open("/proc/self/status", O_RDONLY));
	struct iovec *iov = (struct iovec *)(p + PAGE_SIZE - sizeof(*iov));

	check_section("read, write, writev, open: what Linux checks before any byte moves");
	CHECK_OK(sys_munmap(p + PAGE_SIZE, PAGE_SIZE));
	CHECK_ERRNO(sys_write((int)fd, p, 0), EBADF);             /* read-only, even for 0 */
	CHECK_ERRNO(sys_read((int)fd, p, -1UL), EFAULT);          /* past the top of user space */
	CHECK_ERRNO(sys_write(1, (void *)0xffff888000000000UL, 0), EFAULT);
	/* An iovec array running into the unmapped page: nothing is written. */
	*iov = (struct iovec){ "x", 1 };
	CHECK_ERRNO(sys_writev(1, iov, 2), EFAULT);
	/* PATH_MAX bytes with no NUL is too long; a shorter run into a hole faults. */
	memset(p, 'a', PAGE_SIZE);
	CHECK_ERRNO(sys_open(p, O_RDONLY), ENAMETOOLONG);
	CHECK_ERRNO(sys_open(p + 1000, O_RDONLY), EFAULT);
	CHECK_OK(sys_close((int)fd));
	CHECK_OK(sys_munmap(p, PAGE_SIZE));

	check_section("mmap: the overcommit heuristic");
	long ram = meminfo_kb("MemTotal") * 1024;
	CHECK_ERRNO(map_anon(ram + ram / 2, PROT_READ | PROT_WRITE), ENOMEM);
	long big = CHECK_OK(sys_mmap(0, ram + ram / 2, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	CHECK_OK(sys_munmap((void *)big, ram + ram / 2));
}

int main(void)
{
	check_efault();
	einval_memory();
	einval_other();
	check_ebadf_enosys();
	fuzz_findings_args();
	fuzz_findings_io();
	return check_pass();
}
