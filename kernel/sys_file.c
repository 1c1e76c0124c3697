/* read, write, writev, open, openat, close, ioctl (kernel/file.h does the work). */
#include "arch/x86_64/uaccess.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/syscall.h"

#define CHUNK 512              /* bytes moved per copy between user and kernel */
#define IOV_MAX 1024
#define PATH_MAX 4096
#define MAX_RW_COUNT 0x7ffff000ul   /* Linux's cap on one read or write: INT_MAX & PAGE_MASK */
#define O_ACCMODE 3
#define AT_FDCWD (-100)
#define ENOTTY 25
#define ENAMETOOLONG 36

struct iovec {
	u64 iov_base;
	u64 iov_len;
};

static struct files_struct *my_files(void)
{
	return current_process()->files;
}

/* Write n bytes from user buf to f, CHUNK at a time: bytes written or -errno. */
static long write_user(struct file *f, u64 buf, size_t n)
{
	char k[CHUNK];
	size_t done = 0;

	while (done < n) {
		size_t len = MIN(n - done, sizeof(k));
		if (copy_from_user(k, (const void *)(buf + done), len))
			return done ? (long)done : -EFAULT;
		ssize_t w = f->ops->write(f, k, len);
		if (w < 0)
			return done ? (long)done : w;
		done += w;
	}
	return done;
}

/*
 * Linux's order for read and write (vfs_read, vfs_write): the descriptor
 * (EBADF, also for a file not open in that direction), then the whole
 * buffer against the top of user space (EFAULT, even for a length no read
 * would reach), then the length is capped at MAX_RW_COUNT.
 */
SYSCALL_DEFINE(write)
{
	struct file *f = fget(my_files(), (int)a0);
	long r = -EBADF;

	if (!f)
		return -EBADF;
	if (f->ops->write)
		r = access_ok((const void *)a1, a2) ? write_user(f, a1, MIN(a2, MAX_RW_COUNT)) : -EFAULT;
	fput(f);
	return r;
}

SYSCALL_DEFINE(read)
{
	struct file *f = fget(my_files(), (int)a0);
	char k[CHUNK];
	size_t done = 0;
	long r = 0;

	if (!f)
		return -EBADF;
	if (!access_ok((void *)a1, a2)) {
		fput(f);
		return -EFAULT;
	}
	a2 = MIN(a2, MAX_RW_COUNT);
	while (done < a2) {
		ssize_t n = f->ops->read(f, k, MIN(a2 - done, sizeof(k)));
		if (n <= 0) {
			r = n;
			break;
		}
		if (copy_to_user((void *)(a1 + done), k, n)) {
			r = -EFAULT;
			break;
		}
		done += n;
	}
	fput(f);
	return done ? (long)done : r;
}

/*
 * Linux reads and checks the whole iovec array before it writes a byte
 * (import_iovec): an unreadable array is EFAULT, a length above SSIZE_MAX
 * EINVAL, a segment past the top of user space EFAULT. The array can be
 * 16 KiB, more than a kernel stack, so it is read twice: once to check,
 * once to write. A program that changes it in between gets what it wrote
 * there the second time; the writes still check every byte they copy.
 */
static long writev_check(u64 uiov, long cnt)
{
	struct iovec iov;
	size_t total = 0;

	for (long i = 0; i < cnt; i++) {
		if (copy_from_user(&iov, (const void *)(uiov + i * sizeof(iov)), sizeof(iov)))
			return -EFAULT;
		if ((s64)iov.iov_len < 0)
			return -EINVAL;
	}
	for (long i = 0; i < cnt; i++) {
		(void)copy_from_user(&iov, (const void *)(uiov + i * sizeof(iov)), sizeof(iov));
		size_t len = MIN(iov.iov_len, MAX_RW_COUNT - total);
		if (!access_ok((const void *)iov.iov_base, len))
			return -EFAULT;
		total += len;
	}
	return 0;
}

SYSCALL_DEFINE(writev)
{
	long cnt = (long)a2, total = 0;
	struct iovec iov;
	struct file *f = fget(my_files(), (int)a0);

	if (!f)
		return -EBADF;
	if (!f->ops->write)
		total = -EBADF;
	else if (cnt < 0 || cnt > IOV_MAX)
		total = -EINVAL;
	else
		total = writev_check(a1, cnt);
	for (long i = 0; i < cnt && total >= 0; i++) {
		if (copy_from_user(&iov, (const void *)(a1 + i * sizeof(iov)), sizeof(iov))) {
			total = total ? total : -EFAULT;
			break;
		}
		long r = write_user(f, iov.iov_base, MIN(iov.iov_len, MAX_RW_COUNT - total));
		if (r < 0) {
			total = total ? total : r;
			break;
		}
		total += r;
		if ((size_t)r < iov.iov_len)
			break;
	}
	fput(f);
	return total;
}

/*
 * Copy a path from user space. Linux reads up to PATH_MAX bytes: a name
 * with no NUL among them is ENAMETOOLONG, one that runs into unmapped
 * memory first is EFAULT. Our names fit in buf; a longer one is read on
 * (and thrown away) only to tell the two apart.
 */
static long get_path(char *buf, size_t size, u64 upath)
{
	char rest[64];
	long len = strncpy_from_user(buf, (const char *)upath, size);

	if (len < 0 || len < (long)size)
		return len;
	for (u64 done = size; done < PATH_MAX; done += len) {
		len = strncpy_from_user(rest, (const char *)(upath + done),
					MIN(sizeof(rest), PATH_MAX - done));
		if (len < 0)
			return len;
		if (len < (long)MIN(sizeof(rest), PATH_MAX - done))
			return -ENAMETOOLONG;      /* it ends, but is longer than any we have */
	}
	return -ENAMETOOLONG;
}

static long do_open(u64 upath, u64 flags)
{
	char path[256];
	struct file *f;

	long len = get_path(path, sizeof(path), upath);
	if (len < 0)
		return len;
	int err = proc_open(path, &f);      /* the lookup (ENOENT) before the access check */
	if (err)
		return err;
	if ((flags & O_ACCMODE) != 0) {
		fput(f);
		return -EACCES;                 /* /proc files are read-only */
	}
	int fd = fd_install(my_files(), f);
	if (fd < 0)
		fput(f);
	return fd;
}

SYSCALL_DEFINE(open)
{
	return do_open(a0, (u32)a1);        /* flags is an int: its upper half is not read */
}

/* Every file here has an absolute name, so dirfd never matters. */
SYSCALL_DEFINE(openat)
{
	return do_open(a1, (u32)a2);
}

SYSCALL_DEFINE(close)
{
	return fd_close(my_files(), (int)a0);
}

/* The console is not a terminal we control: musl then buffers stdout fully. */
SYSCALL_DEFINE(ioctl)
{
	struct file *f = fget(my_files(), (int)a0);
	if (!f)
		return -EBADF;
	fput(f);
	return -ENOTTY;
}
