/*
 * fuzz - call every system call the kernel implements with random and
 * hostile arguments, from several threads at once, while other threads
 * fault pages in, throw them away (MADV_DONTNEED) and map and unmap the
 * memory the calls point into. Every answer must be one Linux could give.
 *
 *   fuzz [SEED [COUNT [THREADS [trace]]]]      defaults: 1 600 3; SEED "r": random
 *
 * SEED picks every argument: the run prints it, and the same SEED and COUNT
 * replay the same calls (each thread's generator starts from SEED and its
 * index; only the interleaving with the other threads differs). COUNT calls
 * are shared among THREADS fuzzing threads. "trace" prints each call before
 * it is made, to find the last one before a hang.
 *
 * What is hostile about the arguments: NULL and low addresses, kernel
 * addresses, non-canonical ones, ranges that wrap or run past the top of
 * user space, unaligned pointers, huge and negative lengths, garbage in the
 * upper half of an int argument, PROT_NONE and read-only buffers, buffers
 * that end in an unmapped page, and buffers in a region other threads
 * mprotect and munmap while the call runs.
 *
 * How an answer is judged: each call comes with a model of Linux's checks
 * (the order matters: Linux checks a length before it touches a pointer),
 * giving either the exact answer or the set of answers possible while
 * other threads change the memory. The model was checked by running this
 * program on Linux 6.18, where it passes (`make user-host-test`).
 *
 * What it leaves alone, because a real Linux would act on it and take the
 * host down, or because Quiesce does not have it (docs/design.md): signals
 * that would be delivered, kill() of other processes, fork (clone without
 * CLONE_VM), file creation, tty ioctls, shared mappings, MADV_ advice that
 * Linux implements and Quiesce does not, clocks other than the ones listed.
 */
#include "check.h"
#include "syscall.h"

/* A call is written as one initializer, its fields left out being zero;
 * every generator and hook has the same signature, used or not. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

#define SYS_ioctl   16
#define EIO          5
#define ENOTTY      25
#define ENODEV      19
#define ENOTDIR     20
#define EMFILE      24
#define ENFILE      23
#define MAP_TYPE    0x0f
#define MAP_SHARED_VALIDATE 0x03
#define MADV_FREE    8
#define MADV_WILLNEED 3
#define PROT_GROWSDOWN 0x01000000
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CLOCK_REALTIME 256
#define GRND_RANDOM   2
#define GRND_INSECURE 4
#define TASK_TOP     0x00007ffffffff000UL    /* Linux's TASK_SIZE_MAX on x86-64 */
#define MAX_RW_COUNT 0x7ffff000UL            /* INT_MAX & PAGE_MASK */

/* ---------------------------------------------------------------- memory
 *
 * churn: always mapped read-write; the faulting threads write to it and
 *        the DONTNEED thread zaps it, so a call's buffer there is valid but
 *        may be faulted in (again) during the copy.
 * hostile: other threads map, unmap and mprotect its pages at random, so
 *        a call pointing there may find anything: any errno of the call.
 * fixed: one page each, never changed after set-up:
 *        [edge: RW][hole: unmapped][none: PROT_NONE][ro: read-only, dots]
 *        A buffer that starts in edge and runs on crosses into the hole.
 * Everything sits at fixed addresses far below where mmap puts things,
 * so no placement by the kernel can fill the hole.
 */
#define CHURN_PAGES   64
#define HOSTILE_PAGES 64
#define CHURN   0x100000000000UL
#define HOSTILE 0x100000100000UL
#define FIXED   0x100000200000UL
#define EDGE    (FIXED)
#define HOLE    (FIXED + PAGE_SIZE)
#define NONE    (FIXED + 2 * PAGE_SIZE)
#define RO      (FIXED + 3 * PAGE_SIZE)
#define UNMAPPED 0x200000000000UL             /* never mapped */
#define SCRATCH_MAPS 0x200040000000UL         /* mapped and unmapped at once by mmap calls */

static unsigned long total_ram_pages;        /* MemTotal: the overcommit limit */
static unsigned long start_brk;
static volatile int stop_chaos;

/* ------------------------------------------------------------- randomness */

struct rng { unsigned long s; };

static unsigned long rnd(struct rng *r)              /* xorshift64* */
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dUL;
}

static unsigned long below(struct rng *r, unsigned long n)
{
	return n ? rnd(r) % n : 0;
}

/* An int argument: Linux reads only the low 32 bits of the register. */
static long int_arg(struct rng *r, int v)
{
	unsigned long garbage = below(r, 4) ? 0 : rnd(r) << 32;
	return (long)(garbage | (unsigned int)v);
}

/* Where a pointer points, and so what any access through it must give. */
enum ptr_kind {
	P_BAD,          /* nothing there, ever: EFAULT */
	P_GOOD,         /* read-write for the whole length */
	P_RO,           /* readable, not writable, whole length */
	P_EDGE,         /* readable and writable up to the hole, then EFAULT */
	P_MAYBE,        /* the hostile region: anything */
};

struct ptr {
	unsigned long addr;
	enum ptr_kind kind;
	unsigned long good;    /* P_EDGE: bytes before the hole */
};

/* A pointer for a buffer of len bytes (len only decides which are good). */
static struct ptr rand_ptr(struct rng *r, unsigned long len)
{
	unsigned long off = below(r, PAGE_SIZE);
	switch (below(r, 12)) {
	case 0: return (struct ptr){ 0, P_BAD, 0 };
	case 1: return (struct ptr){ below(r, 0x10000), P_BAD, 0 };
	case 2: return (struct ptr){ 0xffff888000000000UL + off, P_BAD, 0 };
	case 3: return (struct ptr){ 0xffffffff80000000UL + below(r, 1 << 24), P_BAD, 0 };
	case 4: return (struct ptr){ 0x0000800000000000UL + off, P_BAD, 0 };
	case 5: return (struct ptr){ rnd(r) | (1UL << 63), P_BAD, 0 };
	case 6: return (struct ptr){ TASK_TOP - below(r, 64), P_MAYBE, 0 };
	case 7: return (struct ptr){ NONE + below(r, 64), P_BAD, 0 };
	case 8: return (struct ptr){ UNMAPPED + off, P_BAD, 0 };
	case 9: {
		unsigned long good = below(r, 65);
		return (struct ptr){ HOLE - good, len <= good ? P_GOOD : P_EDGE, good };
	}
	case 10: return (struct ptr){ HOSTILE + below(r, HOSTILE_PAGES * PAGE_SIZE), P_MAYBE, 0 };
	default:    /* the noisy half of churn, never the scratch pages above it */
		if (len <= CHURN_PAGES * PAGE_SIZE / 2)
			return (struct ptr){ CHURN + below(r, CHURN_PAGES * PAGE_SIZE / 2 - len + 1),
					     P_GOOD, 0 };
		return (struct ptr){ RO + below(r, 64), len <= PAGE_SIZE - 64 ? P_RO : P_EDGE, 0 };
	}
}

static unsigned long rand_len(struct rng *r)
{
	switch (below(r, 8)) {
	case 0: return 0;
	case 1: return 1 + below(r, 16);
	case 2: return below(r, 4 * PAGE_SIZE);
	case 3: return PAGE_SIZE;
	case 4: return -below(r, 2 * PAGE_SIZE);        /* "negative" */
	case 5: return 1UL << (40 + below(r, 24));
	default: return below(r, 512);
	}
}

/* Linux's access_ok: [p, p + len) lies below TASK_SIZE_MAX and does not wrap. */
static bool access_ok(unsigned long p, unsigned long len)
{
	return p + len >= p && p + len <= TASK_TOP;
}

/* -------------------------------------------------------------- the model */

/* Sets of errnos (ETIMEDOUT is 110): one bit each. */
typedef unsigned __int128 errset;
#define BIT(e) ((errset)1 << (e))

/* What a call may return: a value in [lo, hi], or -e for each e in errs. */
struct expect {
	long lo, hi;
	errset errs;
};

static struct expect only_err(int e)
{
	return (struct expect){ 1, 0, BIT(e) };
}

static struct expect value(long v)
{
	return (struct expect){ v, v, 0 };
}

static struct expect range(long lo, long hi, errset errs)
{
	return (struct expect){ lo, hi, errs };
}

static bool allowed(const struct expect *e, long r)
{
	if (r >= e->lo && r <= e->hi)
		return true;
	return r < 0 && r > -128 && (e->errs & BIT(-r));
}

/* A struct of n bytes the kernel writes, the call's last step: ok, or EFAULT. */
static struct expect copy_out(struct ptr p, unsigned long n, long ok)
{
	if (!access_ok(p.addr, n) || p.kind == P_BAD || p.kind == P_RO ||
	    (p.kind == P_EDGE && p.good < n))
		return only_err(EFAULT);
	if (p.kind == P_MAYBE)
		return range(ok, ok, BIT(EFAULT));
	return value(ok);
}

/* ------------------------------------------------------------- the calls */

struct fuzzer;

struct call {
	const char *name;
	long nr;
	long a[6];
	struct expect e;
	void (*after)(struct fuzzer *z, struct call *c, long ret);   /* undo a success */
};

struct fuzzer {
	struct rng r;
	int index, tid;
	unsigned long scratch;        /* a churn page only this thread writes */
	int fds[4];                   /* /proc files this thread keeps open */
	long calls;
	bool trace;
};

static const char *const proc_files[] = { "/proc/self/status", "/proc/meminfo", "/proc/vmstat" };
static unsigned long allowed_cpus;     /* sched_getaffinity at start */
static int main_pid;

/* A buffer of n bytes the kernel reads: good (scratch), bad, or ending in the hole. */
static struct ptr struct_ptr(struct fuzzer *z, unsigned long scratch, unsigned long n)
{
	switch (below(&z->r, 6)) {
	case 0: return (struct ptr){ 0, P_BAD, 0 };
	case 1: return (struct ptr){ 0xffff888000000000UL + below(&z->r, 4096), P_BAD, 0 };
	case 2: {
		unsigned long good = below(&z->r, n);
		return (struct ptr){ HOLE - good, P_EDGE, good };
	}
	case 3: return (struct ptr){ NONE + below(&z->r, 64), P_BAD, 0 };
	default: return (struct ptr){ scratch, P_GOOD, 0 };
	}
}

/* Is a whole n-byte read through p sure to fail, or sure to work? */
static bool sure_bad(struct ptr p, unsigned long n, bool write)
{
	return !access_ok(p.addr, n) || p.kind == P_BAD || (p.kind == P_EDGE && p.good < n) ||
	       (write && p.kind == P_RO);
}

static bool sure_good(struct ptr p, unsigned long n, bool write)
{
	return access_ok(p.addr, n) && (p.kind == P_GOOD || (p.kind == P_RO && !write) ||
					(p.kind == P_EDGE && p.good >= n));
}

/* NULL, or an n-byte struct: its verdict folded into e (EFAULT if sure bad). */
static bool fold_copy(struct expect *e, struct ptr p, unsigned long n, bool write)
{
	if (!p.addr)
		return true;
	if (sure_bad(p, n, write)) {
		*e = only_err(EFAULT);
		return false;
	}
	if (!sure_good(p, n, write))
		e->errs |= BIT(EFAULT);
	return true;
}

static void after_close(struct fuzzer *z, struct call *c, long ret)
{
	if (ret >= 0)
		sys_close((int)ret);
}

static void copy_str(char *dst, const char *src)
{
	memcpy(dst, src, strlen(src) + 1);
}

/* An fd: one of ours (a /proc file), or one that is not open. */
static int some_fd(struct fuzzer *z, bool *open)
{
	*open = below(&z->r, 3) != 0;
	if (*open)
		return z->fds[below(&z->r, 4)];
	return below(&z->r, 2) ? -1 - (int)below(&z->r, 100) : 1000 + (int)below(&z->r, 1 << 20);
}

static void gen_read(struct fuzzer *z, struct call *c)
{
	bool open;
	int fd = some_fd(z, &open);
	unsigned long len = rand_len(&z->r);
	struct ptr p = rand_ptr(&z->r, len);

	*c = (struct call){ "read", SYS_read, { int_arg(&z->r, fd), (long)p.addr, (long)len } };
	if (!open)
		c->e = only_err(EBADF);
	else if (!access_ok(p.addr, len))
		c->e = only_err(EFAULT);       /* Linux's access_ok comes before the read */
	else    /* at the end of the file a read touches nothing: 0 is always possible */
		c->e = range(0, (long)MIN(len, MAX_RW_COUNT), BIT(EFAULT));
}

/* The console gets dots from the end of the read-only page, or bad buffers. */
static struct ptr console_buf(struct fuzzer *z, unsigned long len)
{
	if (below(&z->r, 3)) {
		unsigned long k = 1 + below(&z->r, 64);
		return (struct ptr){ RO + PAGE_SIZE - k, len <= k ? P_RO : P_EDGE, k };
	}
	struct ptr p = rand_ptr(&z->r, len);
	return p.kind == P_BAD ? p : (struct ptr){ 0, P_BAD, 0 };
}

static unsigned long console_len(struct fuzzer *z)
{
	return below(&z->r, 4) ? below(&z->r, 80) : rand_len(&z->r);
}

/* What writing len bytes from p to the console gives. */
static struct expect console_write(struct ptr p, unsigned long len)
{
	if (!access_ok(p.addr, len))
		return only_err(EFAULT);         /* even for 0 bytes */
	if (!len)
		return value(0);
	if (p.kind == P_BAD)
		return only_err(EFAULT);
	if (p.kind == P_RO)
		return value((long)len);
	return range(1, (long)p.good, BIT(EFAULT));   /* up to the unmapped page */
}

static void gen_write(struct fuzzer *z, struct call *c)
{
	bool open;
	int fd = some_fd(z, &open);
	unsigned long len = console_len(z);
	struct ptr p = console_buf(z, len);

	*c = (struct call){ "write", SYS_write, { int_arg(&z->r, fd), (long)p.addr, (long)len } };
	if (open && below(&z->r, 2)) {
		c->a[0] = int_arg(&z->r, 1);
		c->e = console_write(p, len);
	} else {
		c->e = only_err(EBADF);      /* not open, or a /proc file opened read-only */
	}
}

/*
 * writev(1, iov, cnt): Linux reads and checks the whole iovec array (EFAULT,
 * EINVAL for a length above SSIZE_MAX, EFAULT for a segment past the top of
 * user space) before it writes a byte, then writes segment by segment.
 */
static void gen_writev(struct fuzzer *z, struct call *c)
{
	struct iovec *iov = (struct iovec *)z->scratch;
	unsigned long cnt = below(&z->r, 4), total = 0;
	bool stopped = false, einval = false, efault = false, maybe_efault = false;

	if (!below(&z->r, 8))
		cnt = below(&z->r, 2) ? 1025 : -1UL;
	*c = (struct call){ "writev", SYS_writev, { int_arg(&z->r, 1), (long)iov, (long)cnt } };
	for (unsigned long i = 0; i < cnt && i < 4; i++) {
		unsigned long len = below(&z->r, 6) ? console_len(z) : 1UL << 63 | rnd(&z->r);
		unsigned long cap = MIN(len, MAX_RW_COUNT);   /* Linux caps each segment */
		struct ptr p = console_buf(z, cap);
		iov[i] = (struct iovec){ (void *)p.addr, len };
		einval |= (long)len < 0;
		efault |= !access_ok(p.addr, cap);
		maybe_efault |= !access_ok(p.addr, len);
		if (stopped || !len)
			continue;
		struct expect e = console_write(p, cap);
		if (e.lo == e.hi && e.lo == (long)cap) {
			total += cap;
		} else {
			total += e.hi > 0 ? e.hi : 0;
			stopped = true;
		}
	}
	/* The array itself: where we built it, or a bad place, or across the hole. */
	int where = (int)below(&z->r, 6);
	if (where == 0 && cnt && cnt <= 1024) {
		c->a[1] = (long)(HOLE - 16 * below(&z->r, cnt));
		/* Part of the array is unmapped; what the rest holds is not ours to
		 * know, and a negative length in it is refused first. */
		c->e = range(1, 0, BIT(EFAULT) | BIT(EINVAL));
		if (cnt > 3)
			c->a[1] = 0;
		return;
	}
	if (cnt > 1024)
		c->e = only_err(EINVAL);
	else if (!cnt)
		c->e = value(0);
	else if (einval)
		c->e = only_err(EINVAL);
	else if (efault)
		c->e = only_err(EFAULT);
	else if (!stopped)
		c->e = range((long)total, (long)total, maybe_efault ? BIT(EFAULT) : 0);
	else    /* a fault part way: Linux's file writes may give up on the whole chunk */
		c->e = range(1, (long)total, BIT(EFAULT));
}

/*
 * open/openat of a path: the /proc files, missing ones, names too long,
 * bad pointers, a name that runs into the unmapped page. Read-only unless
 * the access mode says otherwise (Linux as root may open /proc files for
 * writing; Quiesce refuses: EACCES, what Linux tells anyone else).
 */
static struct expect open_path(struct fuzzer *z, unsigned long *path, int mode)
{
	char *buf = (char *)(z->scratch + 1024);
	unsigned long choice = below(&z->r, 9);
	struct expect found = range(3, 1 << 20, BIT(EMFILE) | BIT(ENFILE));

	if (mode)
		found.errs |= BIT(EACCES);
	*path = (unsigned long)buf;
	switch (choice) {
	case 0: case 1: case 2:
		copy_str(buf, proc_files[choice]);
		return found;
	case 3:
		copy_str(buf, below(&z->r, 2) ? "/proc/nonexistent" : "");
		return only_err(ENOENT);
	case 4:        /* a name longer than NAME_MAX: /proc's lookup just misses it */
		memset(buf, 'a', 300);
		memcpy(buf, "/proc/", 6);
		buf[300] = '\0';
		return range(1, 0, BIT(ENAMETOOLONG) | BIT(ENOENT));
	case 5: {      /* the read-only page: 4096 dots, then nothing mapped */
		unsigned long skip = below(&z->r, 2) ? 0 : below(&z->r, PAGE_SIZE);
		*path = RO + skip;
		/* PATH_MAX (4096) bytes without a NUL: too long; fewer, then a fault. */
		return only_err(skip ? EFAULT : ENAMETOOLONG);
	}
	case 6:      /* dots and no NUL up to the unmapped page after the read-only one */
		*path = RO + PAGE_SIZE - 1 - below(&z->r, 64);
		return only_err(EFAULT);
	default: {
		struct ptr p = rand_ptr(&z->r, 1);
		if (p.kind != P_BAD)
			p = (struct ptr){ NONE, P_BAD, 0 };
		*path = p.addr;
		return only_err(EFAULT);
	}
	}
}

static int open_flags(struct fuzzer *z, int *mode)
{
	static const int extra[] = { 0, O_CLOEXEC, 04000 /* O_NONBLOCK */, 0400 /* O_NOCTTY */,
				     0100000 /* O_LARGEFILE */ };
	*mode = below(&z->r, 4) ? 0 : (int)below(&z->r, 4);
	return *mode | extra[below(&z->r, 5)];
}

static void gen_open(struct fuzzer *z, struct call *c)
{
	unsigned long path;
	int mode, flags = open_flags(z, &mode);
	struct expect e = open_path(z, &path, mode);

	*c = (struct call){ "open", SYS_open, { (long)path, int_arg(&z->r, flags), 0 }, e, after_close };
}

static void gen_openat(struct fuzzer *z, struct call *c)
{
	unsigned long path;
	int mode, flags = open_flags(z, &mode);
	struct expect e = open_path(z, &path, mode);
	int dirfd = below(&z->r, 2) ? AT_FDCWD : (int)rnd(&z->r);  /* absolute: ignored */

	*c = (struct call){ "openat", SYS_openat,
			    { int_arg(&z->r, dirfd), (long)path, int_arg(&z->r, flags), 0 }, e,
			    after_close };
}

static void after_reopen(struct fuzzer *z, struct call *c, long ret)
{
	for (int i = 0; i < 4; i++)
		if (z->fds[i] == (int)c->a[0] && ret == 0)
			z->fds[i] = (int)CHECK_OK(sys_open(proc_files[i % 3], O_RDONLY));
}

static void gen_close(struct fuzzer *z, struct call *c)
{
	bool open;
	int fd = some_fd(z, &open);

	*c = (struct call){ "close", SYS_close, { int_arg(&z->r, fd) },
			    open ? value(0) : only_err(EBADF), after_reopen };
}

/* ioctl on a /proc file or a closed fd: no such ioctl (tty ones included). */
static void gen_ioctl(struct fuzzer *z, struct call *c)
{
	static const unsigned char types[] = { 'A', 'z', 0xee };
	bool open;
	int fd = some_fd(z, &open);
	unsigned long cmd = below(&z->r, 3) ? (rnd(&z->r) & 0xc0ff00ff) |
		(unsigned long)types[below(&z->r, 3)] << 8 : 0x5401 /* TCGETS */;

	*c = (struct call){ "ioctl", SYS_ioctl, { int_arg(&z->r, fd), (long)cmd,
			    (long)rand_ptr(&z->r, 64).addr }, only_err(open ? ENOTTY : EBADF) };
}

/* ---------------------------------------------------------------- memory */

/* A page-aligned range in the hostile region: [*addr, *addr + *len). */
static void hostile_range(struct fuzzer *z, unsigned long *addr, unsigned long *len)
{
	unsigned long first = below(&z->r, HOSTILE_PAGES);
	*addr = HOSTILE + first * PAGE_SIZE;
	*len = (1 + below(&z->r, MIN(8, HOSTILE_PAGES - first))) * PAGE_SIZE;
	if (below(&z->r, 2))
		*len -= below(&z->r, PAGE_SIZE);       /* rounded up by the kernel */
}

/* An address for a call that must fail whatever the length: kernel, non-canonical... */
static unsigned long bad_addr(struct fuzzer *z)
{
	switch (below(&z->r, 3)) {
	case 0: return 0xffff888000000000UL + PAGE_SIZE * below(&z->r, 16);
	case 1: return 0x0000800000000000UL + PAGE_SIZE * below(&z->r, 16);
	default: return -PAGE_SIZE * (1 + below(&z->r, 16));
	}
}

static void after_mmap(struct fuzzer *z, struct call *c, long ret)
{
	unsigned long a = (unsigned long)ret;
	if (ret >= 0 && (a < HOSTILE || a >= HOSTILE + HOSTILE_PAGES * PAGE_SIZE))
		CHECK_OK(sys_munmap((void *)a, c->a[1]));
}

/*
 * mmap with Linux's checks in Linux's order (arch sys_mmap, ksys_mmap_pgoff,
 * do_mmap, __get_unmapped_area, mmap_region). A mapping made anywhere but
 * the hostile region is unmapped again at once.
 */
static struct expect mmap_model(unsigned long addr, unsigned long len, int prot, int flags,
				unsigned long off)
{
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	unsigned long alen = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	if (off & (PAGE_SIZE - 1))
		return only_err(EINVAL);
	if (!(flags & MAP_ANONYMOUS))
		return only_err(EBADF);               /* fd -1: no file */
	if (!len)
		return only_err(EINVAL);
	if (!alen)
		return only_err(ENOMEM);
	if (alen > TASK_TOP || (fixed && addr > TASK_TOP - alen))
		return only_err(ENOMEM);
	if (fixed && (addr & (PAGE_SIZE - 1)))
		return only_err(EINVAL);
	struct expect ok = fixed ? value((long)addr) : range(0x10000, (long)TASK_TOP, BIT(ENOMEM));
	if (fixed && addr < 0x10000)               /* mmap_min_addr; root may map there */
		ok = range((long)addr, (long)addr, BIT(EPERM));
	if ((flags & MAP_FIXED_NOREPLACE) && addr >= CHURN && addr < CHURN + CHURN_PAGES * PAGE_SIZE)
		return only_err(EEXIST);
	if (flags & MAP_FIXED_NOREPLACE)
		ok.errs |= BIT(EEXIST);
	if ((flags & MAP_TYPE) == MAP_SHARED)
		ok.errs |= BIT(ENODEV);                /* Quiesce has no shared memory yet */
	else if ((flags & MAP_TYPE) != MAP_PRIVATE)   /* the type is looked at last */
		return range(1, 0, BIT(EINVAL) | (ok.errs & (BIT(EPERM) | BIT(EEXIST))));
	/* The heuristic overcommit check: a private writable mapping that could
	 * never be backed, larger than all of RAM, is refused at once. */
	if ((flags & MAP_TYPE) == MAP_PRIVATE && (prot & PROT_WRITE) && !(flags & MAP_NORESERVE) &&
	    alen / PAGE_SIZE > total_ram_pages)
		return only_err(ENOMEM);
	return ok;
}

static void gen_mmap(struct fuzzer *z, struct call *c)
{
	static const int types[] = { MAP_PRIVATE, MAP_PRIVATE, MAP_PRIVATE, MAP_SHARED, 0, 0x0c };
	unsigned long addr = 0, len = rand_len(&z->r), off = 0;
	int prot = (int)below(&z->r, 8), flags = types[below(&z->r, 6)];

	if (below(&z->r, 8))
		flags |= MAP_ANONYMOUS;
	if (below(&z->r, 4) == 0)
		flags |= MAP_NORESERVE;
	switch (below(&z->r, 6)) {
	case 0: case 1:                                /* MAP_FIXED in the hostile region */
		hostile_range(z, &addr, &len);
		flags |= below(&z->r, 3) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
		break;
	case 2:                                        /* MAP_FIXED where it must fail */
		addr = below(&z->r, 2) ? bad_addr(z) : TASK_TOP - below(&z->r, len | 1);
		if (below(&z->r, 4) == 0) {
			addr = HOSTILE + 1 + below(&z->r, PAGE_SIZE - 1);   /* unaligned */
			len = PAGE_SIZE;
		}
		flags |= MAP_FIXED;
		break;
	case 3:                                        /* NOREPLACE on churn or on nothing */
		addr = (below(&z->r, 2) ? CHURN : SCRATCH_MAPS) + PAGE_SIZE * below(&z->r, 16);
		len = PAGE_SIZE * (1 + below(&z->r, 4));
		flags |= MAP_FIXED_NOREPLACE;
		break;
	default:                                       /* anywhere, maybe with a hint */
		addr = below(&z->r, 2) ? 0 : rnd(&z->r);
	}
	if (below(&z->r, 8) == 0)
		off = below(&z->r, 2) ? rnd(&z->r) : -PAGE_SIZE;
	if (len <= 64 * PAGE_SIZE && below(&z->r, 4) == 0)
		flags |= MAP_POPULATE;
	*c = (struct call){ "mmap", SYS_mmap, { (long)addr, (long)len, int_arg(&z->r, prot),
			    int_arg(&z->r, flags), -1, (long)off },
			    mmap_model(addr, len, prot, flags, off), after_mmap };
}

static void gen_munmap(struct fuzzer *z, struct call *c)
{
	unsigned long addr, len;

	hostile_range(z, &addr, &len);
	*c = (struct call){ "munmap", SYS_munmap, { (long)addr, (long)len }, value(0) };
	switch (below(&z->r, 6)) {
	case 0: c->a[0] += 1 + below(&z->r, PAGE_SIZE - 1); c->e = only_err(EINVAL); break;
	case 1: c->a[1] = 0; c->e = only_err(EINVAL); break;
	case 2: c->a[0] = (long)bad_addr(z); c->e = only_err(EINVAL); break;
	case 3: c->a[1] = (long)(TASK_TOP - addr + PAGE_SIZE * (1 + below(&z->r, 4)));
		c->e = only_err(EINVAL); break;
	case 4: c->a[0] = (long)(UNMAPPED + PAGE_SIZE * below(&z->r, 16)); break;
	default: break;
	}
}

/* mprotect, in Linux's order of checks (do_mprotect_pkey). */
static void gen_mprotect(struct fuzzer *z, struct call *c)
{
	unsigned long addr, len;
	long prot = (long)below(&z->r, 8);
	bool hole = false;

	hostile_range(z, &addr, &len);
	switch (below(&z->r, 8)) {
	case 0: addr += 1 + below(&z->r, 64); break;
	case 1: len = 0; break;
	case 2: addr = bad_addr(z); hole = true; break;
	case 3: len = -below(&z->r, PAGE_SIZE); break;
	case 4: addr = UNMAPPED; hole = true; break;
	case 5: prot |= below(&z->r, 2) ? 8 /* PROT_SEM */ : 1L << (4 + below(&z->r, 28)); break;
	default: break;
	}
	unsigned long alen = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	long grows = prot & (PROT_GROWSDOWN | 0x02000000);
	*c = (struct call){ "mprotect", SYS_mprotect, { (long)addr, (long)len, prot } };
	if (grows == (PROT_GROWSDOWN | 0x02000000) || (addr & (PAGE_SIZE - 1)))
		c->e = only_err(EINVAL);
	else if (!len)
		c->e = value(0);
	else if (!alen || addr + alen <= addr)
		c->e = only_err(ENOMEM);
	else if ((prot & ~(grows | 15)) != 0)
		c->e = only_err(EINVAL);
	else if (grows)
		c->e = range(1, 0, BIT(EINVAL) | BIT(ENOMEM));   /* nothing here grows down */
	else
		c->e = hole ? only_err(ENOMEM) : range(0, 0, BIT(ENOMEM));
}

/* madvise, in Linux's order; DONTNEED only where a zeroed page harms nobody. */
static void gen_madvise(struct fuzzer *z, struct call *c)
{
	static const int advice[] = { 0, 1, 2, 3, 4, 8, 14, 15, 5, 6, 7, 999, -1 };
	unsigned long addr, len;
	int adv = advice[below(&z->r, 13)];
	unsigned long where = below(&z->r, 6);

	hostile_range(z, &addr, &len);
	if (where == 0)
		addr += 1 + below(&z->r, 64);
	else if (where == 1)
		addr = CHURN + PAGE_SIZE * below(&z->r, CHURN_PAGES / 4);  /* the noisy half */
	else if (where == 2)
		addr = bad_addr(z);
	else if (where == 3)
		len = -below(&z->r, 3 * PAGE_SIZE);
	unsigned long alen = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	*c = (struct call){ "madvise", SYS_madvise, { (long)addr, (long)len, int_arg(&z->r, adv) } };
	if ((adv > 4 && adv != 8 && adv != 14 && adv != 15) || adv < 0 || (addr & (PAGE_SIZE - 1)))
		c->e = only_err(EINVAL);
	else if ((len && !alen) || addr + alen < addr)
		c->e = only_err(EINVAL);
	else if (!alen)
		c->e = value(0);
	else if (where == 2)
		c->e = only_err(ENOMEM);
	else
		c->e = range(0, 0, (where == 1 ? 0 : BIT(ENOMEM)) |
			     (adv == 3 ? BIT(EBADF) : 0) |         /* WILLNEED without swap */
			     (adv == 8 && where ? BIT(EINVAL) : 0) | /* FREE: Linux's shared maps */
			     (adv >= 14 ? BIT(EINVAL) : 0));       /* no transparent huge pages */
}

static void gen_brk(struct fuzzer *z, struct call *c)
{
	unsigned long want;

	switch (below(&z->r, 4)) {
	case 0: want = 0; break;
	case 1: want = bad_addr(z); break;
	default: want = start_brk + below(&z->r, 8 << 20); break;
	}
	/* brk answers the break it ends with: the old one if it refused. */
	*c = (struct call){ "brk", SYS_brk, { (long)want },
			    range((long)start_brk, (long)(start_brk + (8 << 20) + PAGE_SIZE), 0) };
}

/* ----------------------------------------------------------------- misc */

/* A signal number: mostly valid ones, some out of range, garbage above. */
static int rand_sig(struct fuzzer *z)
{
	return below(&z->r, 4) ? 1 + (int)below(&z->r, 64) : (int)below(&z->r, 200) - 100;
}

/* rt_sigaction(sig, act, oact, 8): act is SIG_DFL, which changes nothing. */
static void gen_rt_sigaction(struct fuzzer *z, struct call *c)
{
	unsigned long *act = (unsigned long *)z->scratch;
	int sig = rand_sig(z);
	unsigned long size = below(&z->r, 6) ? 8 : below(&z->r, 20);
	struct ptr a = below(&z->r, 4) ? struct_ptr(z, z->scratch, 32) : (struct ptr){ 0 };
	struct ptr o = below(&z->r, 2) ? struct_ptr(z, z->scratch + 64, 32) : (struct ptr){ 0 };

	act[0] = 0;                            /* SIG_DFL */
	act[1] = rnd(&z->r) & 0x0c000000;      /* SA_RESTORER, SA_ONSTACK: harmless */
	act[2] = rnd(&z->r);
	act[3] = rnd(&z->r);
	*c = (struct call){ "rt_sigaction", SYS_rt_sigaction,
			    { int_arg(&z->r, sig), (long)a.addr, (long)o.addr, (long)size }, value(0) };
	if (size != 8) {
		c->e = only_err(EINVAL);
		return;
	}
	if (!fold_copy(&c->e, a, 32, false))
		return;
	if (sig < 1 || sig > 64 || (a.addr && (sig == 9 || sig == 19))) {
		c->e = only_err(EINVAL);
		return;
	}
	fold_copy(&c->e, o, 32, true);
}

static void gen_rt_sigprocmask(struct fuzzer *z, struct call *c)
{
	int how = below(&z->r, 4) ? (int)below(&z->r, 3) : (int)rnd(&z->r);
	unsigned long size = below(&z->r, 6) ? 8 : below(&z->r, 20);
	struct ptr set = below(&z->r, 4) ? struct_ptr(z, z->scratch, 8) : (struct ptr){ 0 };
	struct ptr old = below(&z->r, 2) ? struct_ptr(z, z->scratch + 64, 8) : (struct ptr){ 0 };

	/* Blocking signals is harmless here: none is ever sent to us. */
	*(unsigned long *)z->scratch = rnd(&z->r);
	*c = (struct call){ "rt_sigprocmask", SYS_rt_sigprocmask,
			    { int_arg(&z->r, how), (long)set.addr, (long)old.addr, (long)size }, value(0) };
	if (size != 8) {
		c->e = only_err(EINVAL);
		return;
	}
	if (!fold_copy(&c->e, set, 8, false))
		return;
	if (set.addr && (how < 0 || how > 2)) {
		c->e = only_err(EINVAL);
		return;
	}
	fold_copy(&c->e, old, 8, true);
}

/* A timespec in scratch: valid and short, or invalid. Returns its verdict. */
static int rand_timespec(struct fuzzer *z, struct timespec *ts, long max_ns)
{
	ts->tv_sec = 0;
	ts->tv_nsec = (long)below(&z->r, (unsigned long)max_ns);
	switch (below(&z->r, 6)) {
	case 0: ts->tv_nsec = 1000000000L + (long)below(&z->r, 1000); return EINVAL;
	case 1: ts->tv_sec = -1 - (long)below(&z->r, 10); return EINVAL;
	case 2: ts->tv_nsec = -1; return EINVAL;
	default: return 0;
	}
}

static void gen_nanosleep(struct fuzzer *z, struct call *c)
{
	struct timespec *ts = (struct timespec *)z->scratch;
	int err = rand_timespec(z, ts, 200000);
	struct ptr p = struct_ptr(z, z->scratch, 16);
	struct ptr rem = rand_ptr(&z->r, 16);   /* written only when interrupted */

	*c = (struct call){ "nanosleep", SYS_nanosleep, { (long)p.addr, (long)rem.addr },
			    value(0) };
	if (!p.addr || sure_bad(p, 16, false))
		c->e = only_err(EFAULT);
	else if (err)
		c->e = only_err(err);
}

/* The clocks Quiesce keeps; Linux's CPU-time and TAI clocks are not here. */
static void gen_clock_gettime(struct fuzzer *z, struct call *c)
{
	static const int clocks[] = { 0, 1, 4, 5, 6, 7, 10, 12, 100, 0x7fffffff };
	int clk = clocks[below(&z->r, 10)];
	struct ptr p = rand_ptr(&z->r, 16);

	*c = (struct call){ "clock_gettime", SYS_clock_gettime, { int_arg(&z->r, clk), (long)p.addr },
			    clk >= 10 ? only_err(EINVAL) : copy_out(p, 16, 0) };
}

static void gen_uname(struct fuzzer *z, struct call *c)
{
	struct ptr p = rand_ptr(&z->r, 390);

	*c = (struct call){ "uname", SYS_uname, { (long)p.addr }, copy_out(p, 390, 0) };
}

static void gen_getrandom(struct fuzzer *z, struct call *c)
{
	unsigned long len = rand_len(&z->r), flags = below(&z->r, 6) ? below(&z->r, 8) : rnd(&z->r);
	struct ptr p = rand_ptr(&z->r, len);
	unsigned long capped = MIN(len, MAX_RW_COUNT);

	*c = (struct call){ "getrandom", SYS_getrandom, { (long)p.addr, (long)len,
			    int_arg(&z->r, (int)flags) } };
	flags &= 0xffffffff;
	if ((flags & ~7UL) || (flags & 6) == 6)
		c->e = only_err(EINVAL);        /* unknown flags; RANDOM with INSECURE */
	else if (!access_ok(p.addr, capped))
		c->e = only_err(EFAULT);
	else if (!capped)
		c->e = value(0);
	else if (p.kind == P_GOOD)
		c->e = value((long)capped);
	else if (p.kind == P_BAD || p.kind == P_RO)
		c->e = only_err(EFAULT);
	else
		c->e = range(1, (long)capped, BIT(EFAULT));
}

static void gen_ids(struct fuzzer *z, struct call *c)
{
	switch (below(&z->r, 3)) {
	case 0: *c = (struct call){ "getpid", SYS_getpid, { 0 }, value(main_pid) }; break;
	case 1: *c = (struct call){ "gettid", SYS_gettid, { 0 }, value(z->tid) }; break;
	default: *c = (struct call){ "sched_yield", SYS_sched_yield, { 0 }, value(0) }; break;
	}
}

static void gen_getcpu(struct fuzzer *z, struct call *c)
{
	struct ptr cpu = below(&z->r, 4) ? rand_ptr(&z->r, 4) : (struct ptr){ 0 };
	struct ptr node = below(&z->r, 2) ? rand_ptr(&z->r, 4) : (struct ptr){ 0 };

	*c = (struct call){ "getcpu", SYS_getcpu, { (long)cpu.addr, (long)node.addr,
			    (long)rand_ptr(&z->r, 8).addr }, value(0) };
	if (cpu.addr)
		c->e = copy_out(cpu, 4, 0);
	if (node.addr && c->e.lo == 0) {
		struct expect n = copy_out(node, 4, 0);
		c->e = n.lo > n.hi ? n : range(0, 0, c->e.errs | n.errs);
	}
}

/* A pid argument: ours, a thread of ours, or nobody's. */
static int rand_pid(struct fuzzer *z, bool *exists)
{
	*exists = true;
	switch (below(&z->r, 5)) {
	case 0: return 0;
	case 1: return z->tid;
	case 2: return main_pid;
	case 3: *exists = false; return 0x3ffffff0 + (int)below(&z->r, 15);
	default: *exists = false; return -1 - (int)below(&z->r, 100);
	}
}

static void gen_sched_getaffinity(struct fuzzer *z, struct call *c)
{
	static const unsigned long lens[] = { 8, 16, 128, 1024, 0, 4, 7, 12, 1UL << 61 };
	bool exists;
	int pid = rand_pid(z, &exists);
	unsigned long len = lens[below(&z->r, 9)];
	struct ptr p = rand_ptr(&z->r, MIN(len, 1024));

	*c = (struct call){ "sched_getaffinity", SYS_sched_getaffinity,
			    { int_arg(&z->r, pid), (long)len, (long)p.addr } };
	/* len is an unsigned int: upper bits are not looked at. The buffer must be
	 * whole longs and hold every possible CPU (here <= 64). */
	len = (unsigned int)len;
	if (!len || (len & 7) || len * 8 == 0) {
		c->e = only_err(EINVAL);
		return;
	}
	if (!exists) {
		c->e = only_err(ESRCH);
		return;
	}
	/* The answer is the kernel's mask size: 8 bytes or more (NR_CPUS / 8). */
	c->e = range(8, (long)MIN(len, 1024), 0);
	if (sure_bad(p, 8, true))
		c->e = only_err(EFAULT);
	else if (!sure_good(p, MIN(len, 1024), true))
		c->e.errs |= BIT(EFAULT);
}

static void after_affinity(struct fuzzer *z, struct call *c, long ret)
{
	sys_sched_setaffinity(0, sizeof(allowed_cpus), &allowed_cpus);
}

static void gen_sched_setaffinity(struct fuzzer *z, struct call *c)
{
	static const unsigned long lens[] = { 8, 8, 16, 128, 0, 4, 1UL << 40 };
	bool exists;
	int pid = rand_pid(z, &exists);
	unsigned long ulen = lens[below(&z->r, 7)], *mask = (unsigned long *)z->scratch;
	struct ptr p = struct_ptr(z, z->scratch, 8);

	/* Only ourselves, so the other threads keep their CPUs. */
	if (exists && pid != 0)
		pid = z->tid;
	mask[0] = below(&z->r, 4) ? rnd(&z->r) : 0;
	unsigned long len = (unsigned int)ulen;   /* an unsigned int: the upper half is not read */
	memset(mask + 1, 0, 128);
	unsigned long used = len >= 8 ? mask[0] : mask[0] & ((1UL << (8 * len)) - 1);
	*c = (struct call){ "sched_setaffinity", SYS_sched_setaffinity,
			    { int_arg(&z->r, pid), (long)ulen, (long)p.addr }, value(0),
			    after_affinity };
	if (len && !fold_copy(&c->e, p, MIN(len, 8), false))
		return;
	if (p.kind != P_GOOD && len) {
		c->e.errs |= BIT(EFAULT);   /* the kernel may copy more than 8 bytes */
		c->e.errs |= BIT(EINVAL);   /* and the mask there is not ours */
		c->e.lo = 0;
		c->e.hi = 0;
	}
	if (!exists)
		c->e = range(1, 0, BIT(ESRCH) | (c->e.errs & BIT(EFAULT)));
	else if (!(used & allowed_cpus) && (p.kind == P_GOOD || !len))
		c->e = range(1, 0, BIT(EINVAL) | (c->e.errs & BIT(EFAULT)));
}

static void gen_arch_prctl(struct fuzzer *z, struct call *c)
{
	static const int bad_codes[] = { 0, 1, 0x1000, 0x1005, 0x100f, 0xdead, 0x7fffffff };
	unsigned long fs;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));   /* our struct thread: the FS base */
	switch (below(&z->r, 4)) {
	case 0: {
		bool same = below(&z->r, 2);
		*c = (struct call){ "arch_prctl", SYS_arch_prctl, { int_arg(&z->r, ARCH_SET_FS),
				    (long)(same ? fs : bad_addr(z)) }, same ? value(0) : only_err(EPERM) };
		break;
	}
	case 1: {
		struct ptr p = rand_ptr(&z->r, 8);
		*c = (struct call){ "arch_prctl", SYS_arch_prctl, { int_arg(&z->r, ARCH_GET_FS),
				    (long)p.addr }, copy_out(p, 8, 0) };
		break;
	}
	default:
		*c = (struct call){ "arch_prctl", SYS_arch_prctl, {
				    int_arg(&z->r, bad_codes[below(&z->r, 7)]), (long)rnd(&z->r) },
				    only_err(EINVAL) };
	}
}

static void after_set_tid_address(struct fuzzer *z, struct call *c, long ret)
{
	sys_set_tid_address(&thread_self()->tid);   /* thread_join sleeps on it */
}

static void gen_set_tid_address(struct fuzzer *z, struct call *c)
{
	*c = (struct call){ "set_tid_address", SYS_set_tid_address, { (long)rand_ptr(&z->r, 4).addr },
			    value(z->tid), after_set_tid_address };
}

/*
 * futex: WAIT only with a timeout, or on a word whose value we know differs,
 * so nothing sleeps for good. Linux checks the timeout first (sys_futex),
 * then FUTEX_CLOCK_REALTIME's commands, the bitset, alignment, access_ok.
 */
static void gen_futex(struct fuzzer *z, struct call *c)
{
	static const int cmds[] = { 0, 0, 1, 9, 9, 10, 14, 40 };
	unsigned int *word = (unsigned int *)(z->scratch + 128);
	struct timespec *ts = (struct timespec *)(z->scratch + 256);
	int cmd = cmds[below(&z->r, 8)], err = rand_timespec(z, ts, 1000000);
	int op = cmd | (below(&z->r, 2) ? FUTEX_PRIVATE_FLAG : 0) |
		 (below(&z->r, 6) ? 0 : FUTEX_CLOCK_REALTIME);
	unsigned int bitset = below(&z->r, 6) ? ~0u : (unsigned int)below(&z->r, 2);
	bool wait = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
	struct ptr t = wait && below(&z->r, 5) ? struct_ptr(z, (unsigned long)ts, 16) : (struct ptr){ 0 };
	struct ptr u = rand_ptr(&z->r, 4);
	unsigned int val = (unsigned int)rnd(&z->r);

	*word = 0x5a5a5a5a;
	if (below(&z->r, 2))
		u = (struct ptr){ (unsigned long)word + (below(&z->r, 4) ? 0 : 1 + below(&z->r, 3)),
				  P_GOOD, 0 };
	if (u.addr == (unsigned long)word && !t.addr)
		val = 0x5a5a5a5b;                     /* no timeout: make sure it cannot sleep */
	else if (!t.addr && u.kind != P_BAD)
		u = (struct ptr){ NONE, P_BAD, 0 };   /* unknown word, no timeout: a bad one */
	if (cmd == FUTEX_WAIT_BITSET && !err)
		ts->tv_sec = 0;                       /* absolute: long past, times out at once */
	*c = (struct call){ "futex", SYS_futex, { (long)u.addr, int_arg(&z->r, op), (long)val,
			    (long)t.addr, 0, (long)bitset } };
	if (t.addr) {
		if (sure_bad(t, 16, false)) {
			c->e = only_err(EFAULT);
			return;
		}
		if (err) {
			c->e = only_err(err);
			return;
		}
	}
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET) {
		c->e = only_err(ENOSYS);
		return;
	}
	if (cmd > 10) {
		c->e = only_err(ENOSYS);
		return;
	}
	if (cmd >= 9 && !bitset) {
		c->e = only_err(EINVAL);
		return;
	}
	if (u.addr & 3) {
		c->e = only_err(EINVAL);
		return;
	}
	if (!access_ok(u.addr, 4)) {
		c->e = only_err(EFAULT);
		return;
	}
	if (!wait) {
		/* A private wake touches no memory; a shared one looks the page up. */
		c->e = range(0, 0x7fffffff, BIT(EFAULT));
		return;
	}
	if (u.kind == P_BAD)
		c->e = only_err(EFAULT);
	else if (u.addr == (unsigned long)word)
		c->e = val == *word ? range(0, 0, BIT(ETIMEDOUT) | BIT(EINTR)) : only_err(EAGAIN);
	else
		c->e = range(0, 0, BIT(EFAULT) | BIT(EAGAIN) | BIT(ETIMEDOUT) | BIT(EINTR));
}

/* clone with the flag combinations Linux refuses: no thread is made. */
static void gen_clone(struct fuzzer *z, struct call *c)
{
	static const unsigned long bad[] = {
		CLONE_THREAD | CLONE_VM,                          /* THREAD needs SIGHAND */
		CLONE_SIGHAND | CLONE_THREAD,                     /* SIGHAND needs VM */
		CLONE_SIGHAND,
		0x00020000 | CLONE_FS | CLONE_VM,                 /* NEWNS with FS */
	};
	unsigned long flags = bad[below(&z->r, 4)] | (rnd(&z->r) & CLONE_SETTLS);

	*c = (struct call){ "clone", SYS_clone, { (long)flags, (long)rnd(&z->r), (long)rnd(&z->r),
			    (long)rnd(&z->r), (long)rnd(&z->r) }, only_err(EINVAL) };
}

/* kill and tgkill: signal 0 (a probe) or no signal at all; never a real one. */
static int probe_sig(struct fuzzer *z, bool *valid)
{
	static const int sigs[] = { 0, 0, 65, 100, -1, -9 };
	int sig = sigs[below(&z->r, 6)];
	*valid = sig == 0;
	return sig;
}

static void gen_kill(struct fuzzer *z, struct call *c)
{
	bool valid, exists = below(&z->r, 2);
	int sig = probe_sig(z, &valid);
	int pid = exists ? main_pid : (below(&z->r, 2) ? 0x3ffffff0 : (int)0x80000000);

	*c = (struct call){ "kill", SYS_kill, { int_arg(&z->r, pid), int_arg(&z->r, sig) },
			    !exists ? only_err(ESRCH) : valid ? value(0) : only_err(EINVAL) };
}

static void gen_tgkill(struct fuzzer *z, struct call *c)
{
	bool valid;
	int sig = probe_sig(z, &valid);
	int tgid = below(&z->r, 4) ? main_pid : (int)below(&z->r, 3) - 2;
	int tid = below(&z->r, 4) ? z->tid : (below(&z->r, 2) ? 0x3ffffff0 : -(int)below(&z->r, 3));

	*c = (struct call){ "tgkill", SYS_tgkill, { int_arg(&z->r, tgid), int_arg(&z->r, tid),
			    int_arg(&z->r, sig) } };
	if (tgid <= 0 || tid <= 0)
		c->e = only_err(EINVAL);
	else if (tid != z->tid)
		c->e = only_err(ESRCH);
	else
		c->e = valid ? value(0) : only_err(EINVAL);
}

/* A number no kernel knows (Linux 6.18 ends near 470). */
static void gen_unknown(struct fuzzer *z, struct call *c)
{
	*c = (struct call){ "unknown", 600 + (long)below(&z->r, 400), { (long)rnd(&z->r) },
			    only_err(ENOSYS) };
}

/* ------------------------------------------------------------ the runner */

typedef void (*gen_fn)(struct fuzzer *z, struct call *c);

static const gen_fn gens[] = {
	gen_read, gen_write, gen_writev, gen_open, gen_openat, gen_close, gen_ioctl,
	gen_mmap, gen_mmap, gen_munmap, gen_mprotect, gen_madvise, gen_madvise, gen_brk,
	gen_rt_sigaction, gen_rt_sigprocmask, gen_nanosleep, gen_clock_gettime, gen_uname,
	gen_getrandom, gen_ids, gen_getcpu, gen_sched_getaffinity, gen_sched_setaffinity,
	gen_arch_prctl, gen_set_tid_address, gen_futex, gen_clone, gen_kill, gen_tgkill,
	gen_unknown,
};
#define NGENS (sizeof(gens) / sizeof(gens[0]))

static unsigned long seed;
static long count;

static void print_call(const char *what, struct fuzzer *z, const struct call *c)
{
	printf("%s thread %d call %ld: %s(nr %ld) 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx\n", what,
	       z->index, z->calls, c->name, c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4],
	       c->a[5]);
}

static void run_one(struct fuzzer *z)
{
	struct call c;

	gens[below(&z->r, NGENS)](z, &c);
	if (z->trace)
		print_call("fuzz:", z, &c);
	long ret = syscall6(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
	if (!allowed(&c.e, ret)) {
		print_call("# fuzz: FAILED:", z, &c);
		if (c.nr == SYS_writev && c.a[1] == (long)z->scratch)
			for (int i = 0; i < 4 && i < c.a[2]; i++)
				printf("# iov[%d] = { 0x%lx, 0x%lx }\n", i,
				       ((unsigned long *)c.a[1])[2 * i], ((unsigned long *)c.a[1])[2 * i + 1]);
		check_fail(__FILE__, __LINE__, "%s returned %ld %s; Linux gives [%ld, %ld] or "
			   "-errno in mask 0x%lx:%lx (replay: fuzz %lu %ld)", c.name, ret,
			   errno_name(ret), c.e.lo, c.e.hi, (unsigned long)(c.e.errs >> 64),
			   (unsigned long)c.e.errs, seed, count);
	}
	if (c.after)
		c.after(z, &c, ret);
	z->calls++;
}

static int fuzz_thread(void *arg)
{
	struct fuzzer *z = arg;

	z->tid = (int)sys_gettid();
	z->scratch = CHURN + (CHURN_PAGES / 2 + z->index) * PAGE_SIZE;
	for (int i = 0; i < 4; i++)
		z->fds[i] = (int)CHECK_OK(sys_open(proc_files[i % 3], O_RDONLY));
	for (long left = count; left > 0; left--)
		run_one(z);
	for (int i = 0; i < 4; i++)
		sys_close(z->fds[i]);
	return 0;
}

/* ----------------------------------------------------- the other threads */

/* Touch churn's noisy half, a write and a read per page: demand faults. */
static int faulter(void *arg)
{
	struct rng r = { (unsigned long)arg };
	volatile char *churn = (volatile char *)CHURN;
	long faults = 0;

	while (!stop_chaos) {
		unsigned long off = below(&r, CHURN_PAGES / 2 * PAGE_SIZE);
		churn[off] = (char)off;
		(void)churn[(off + PAGE_SIZE * 3) % (CHURN_PAGES / 2 * PAGE_SIZE)];
		faults++;
	}
	return (int)(faults & 0x7fffffff);
}

/* Throw churn's pages away under the faulter (zap, and PTE tables reclaimed). */
static int zapper(void *arg)
{
	struct rng r = { (unsigned long)arg };

	while (!stop_chaos) {
		unsigned long first = below(&r, CHURN_PAGES / 2);
		unsigned long n = 1 + below(&r, CHURN_PAGES / 2 - first);
		CHECK_OK(sys_madvise((void *)(CHURN + first * PAGE_SIZE), n * PAGE_SIZE,
				     below(&r, 2) ? MADV_DONTNEED : MADV_FREE));
	}
	return 0;
}

/* Map, populate, protect and unmap the hostile region under the calls. */
static int mapper(void *arg)
{
	struct rng r = { (unsigned long)arg };

	while (!stop_chaos) {
		unsigned long first = below(&r, HOSTILE_PAGES);
		unsigned long n = 1 + below(&r, MIN(16, HOSTILE_PAGES - first));
		void *p = (void *)(HOSTILE + first * PAGE_SIZE);
		switch (below(&r, 4)) {
		case 0:
			CHECK_EQ(sys_mmap(p, n * PAGE_SIZE, (int)below(&r, 4),
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
					  (below(&r, 2) ? MAP_POPULATE : 0), -1, 0), (long)p);
			break;
		case 1:
			CHECK_OK(sys_munmap(p, n * PAGE_SIZE));
			break;
		case 2: {
			long ret = sys_mprotect(p, n * PAGE_SIZE, (int)below(&r, 4));
			CHECK(ret == 0 || ret == -ENOMEM);
			break;
		}
		default: {
			long ret = sys_madvise(p, n * PAGE_SIZE, MADV_DONTNEED);
			CHECK(ret == 0 || ret == -ENOMEM);
		}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------- main */

static void setup_memory(void)
{
	CHECK_EQ(sys_mmap((void *)CHURN, CHURN_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), (long)CHURN);
	CHECK_EQ(sys_mmap((void *)FIXED, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), (long)FIXED);
	memset((void *)RO, '.', PAGE_SIZE);
	CHECK_OK(sys_munmap((void *)HOLE, PAGE_SIZE));
	CHECK_OK(sys_mprotect((void *)NONE, PAGE_SIZE, PROT_NONE));
	CHECK_OK(sys_mprotect((void *)RO, PAGE_SIZE, PROT_READ));
	total_ram_pages = (unsigned long)meminfo_kb("MemTotal") / KB_PER_PAGE;
	CHECK(total_ram_pages > 0);
	start_brk = (unsigned long)sys_brk(0);
	main_pid = (int)sys_getpid();
	CHECK_OK(sys_sched_getaffinity(0, sizeof(allowed_cpus), &allowed_cpus));
}

int main(int argc, char **argv)
{
	static struct fuzzer fz[8];
	struct thread *t[8], *chaos[4];
	int (*const chaos_fn[4])(void *) = { faulter, faulter, zapper, mapper };
	long threads = 3;
	bool trace = argc > 4 && !strcmp(argv[4], "trace");

	seed = argc > 1 ? (unsigned long)atol(argv[1]) : 1;
	if (argc > 1 && !strcmp(argv[1], "r"))      /* a fresh seed each run (make soak) */
		CHECK_EQ(sys_getrandom(&seed, sizeof(seed), 0), sizeof(seed));
	count = argc > 2 ? atol(argv[2]) : 600;
	threads = argc > 3 ? atol(argv[3]) : threads;
	CHECK(count >= 0 && threads >= 1 && threads <= 8);
	printf("fuzz: seed %lu, %ld calls in each of %ld threads (replay: fuzz %lu %ld %ld)\n",
	       seed, count, threads, seed, count, threads);
	setup_memory();
	for (int i = 0; i < 4; i++)
		CHECK_OK(thread_create(&chaos[i], chaos_fn[i], (void *)(seed * 77 + i + 1)));
	long start = now_ns();
	for (int i = 0; i < threads; i++) {
		fz[i] = (struct fuzzer){ .r = { seed * 0x9e3779b97f4a7c15UL + (unsigned long)i + 1 },
					 .index = i, .trace = trace };
		CHECK_OK(thread_create(&t[i], fuzz_thread, &fz[i]));
	}
	for (int i = 0; i < threads; i++)
		CHECK_EQ(thread_join(t[i]), 0);
	long ms = (now_ns() - start) / 1000000;
	stop_chaos = 1;
	for (int i = 0; i < 4; i++)
		thread_join(chaos[i]);
	sys_brk((void *)start_brk);
	printf("fuzz: %ld calls in %ld ms: %ld calls/s\n", count * threads, ms,
	       ms ? count * threads * 1000 / ms : 0);
	return check_pass();
}
