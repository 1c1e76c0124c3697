/* read, write, writev, open, openat, close, ioctl (kernel/file.h does the work). */
#include "arch/x86_64/uaccess.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/syscall.h"

#define CHUNK 512              /* bytes moved per copy between user and kernel */
#define IOV_MAX 1024
#define PATH_MAX 4096
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

SYSCALL_DEFINE(write)
{
	struct file *f = fget(my_files(), (int)a0);
	if (!f)
		return -EBADF;
	long r = write_user(f, a1, a2);
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

SYSCALL_DEFINE(writev)
{
	long cnt = (long)a2, total = 0;
	struct iovec iov;

	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	struct file *f = fget(my_files(), (int)a0);
	if (!f)
		return -EBADF;
	for (long i = 0; i < cnt; i++) {
		if (copy_from_user(&iov, (const void *)(a1 + i * sizeof(iov)), sizeof(iov))) {
			total = total ? total : -EFAULT;
			break;
		}
		long r = write_user(f, iov.iov_base, iov.iov_len);
		if (r < 0) {
			total = total ? total : r;
			break;
		}
		total += r;
	}
	fput(f);
	return total;
}

static long do_open(u64 upath, u64 flags)
{
	char path[256];
	struct file *f;

	long len = strncpy_from_user(path, (const char *)upath, sizeof(path));
	if (len < 0)
		return len;
	if (len == sizeof(path))
		return -ENAMETOOLONG;           /* no file here has a name that long */
	if ((flags & O_ACCMODE) != 0)
		return -EACCES;                 /* /proc files are read-only */
	int err = proc_open(path, &f);
	if (err)
		return err;
	int fd = fd_install(my_files(), f);
	if (fd < 0)
		fput(f);
	return fd;
}

SYSCALL_DEFINE(open)
{
	return do_open(a0, a1);
}

/* Every file here has an absolute name, so dirfd never matters. */
SYSCALL_DEFINE(openat)
{
	return do_open(a1, a2);
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
