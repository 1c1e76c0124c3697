/*
 * The descriptor calls: read, write, readv, writev, pread64, lseek, close,
 * dup, dup2, dup3, fcntl, ioctl, poll, ppoll, sendfile, pipe, pipe2
 * (kernel/file.h and kernel/pipe.c do the work).
 */
#include "arch/x86_64/uaccess.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/pipe.h"
#include "kernel/signal.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/wait.h"

#define CHUNK 512              /* bytes moved per copy between user and kernel */
#define IOV_MAX 1024
#define MAX_RW_COUNT 0x7ffff000ul   /* Linux's cap on one read or write: INT_MAX & PAGE_MASK */

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
 * fd's file if it is open for writing (want O_WRONLY) or reading
 * (O_RDONLY): the file has the operation (a NULL one: not open that way,
 * Linux's FMODE_READ/WRITE) and the open's access mode allows it.
 */
static struct file *fget_for(int fd, unsigned int want)
{
	struct file *f = fget(my_files(), fd);
	unsigned int mode = f ? f->flags & O_ACCMODE : 0;
	bool has_op = f && (want == O_WRONLY ? f->ops->write != NULL : f->ops->read != NULL);

	if (f && (!has_op || (mode != O_RDWR && mode != want))) {
		fput(f);
		return NULL;
	}
	return f;
}

/*
 * Linux's order for read and write (vfs_read, vfs_write): the descriptor
 * (EBADF, also for a file not open in that direction), then the whole
 * buffer against the top of user space (EFAULT, even for a length no read
 * would reach), then the length is capped at MAX_RW_COUNT.
 */
SYSCALL_DEFINE(write)
{
	struct file *f = fget_for((int)a0, O_WRONLY);
	if (!f)
		return -EBADF;
	long r = access_ok((const void *)a1, a2) ? write_user(f, a1, MIN(a2, MAX_RW_COUNT)) : -EFAULT;
	fput(f);
	return r;
}

/* Read up to n bytes from f into user buf: bytes read, or -errno if none. */
static long read_user(struct file *f, u64 buf, size_t n)
{
	char k[CHUNK];
	size_t done = 0;
	long r = 0;

	while (done < n) {
		size_t want = MIN(n - done, sizeof(k));
		ssize_t got = f->ops->read(f, k, want);
		if (got <= 0) {
			r = got;
			break;
		}
		if (copy_to_user((void *)(buf + done), k, got)) {
			r = -EFAULT;
			break;
		}
		done += got;
		if ((size_t)got < want)
			break;               /* a short read: what there is now (a pipe, a terminal) */
	}
	return done ? (long)done : r;
}

SYSCALL_DEFINE(read)
{
	struct file *f = fget_for((int)a0, O_RDONLY);
	if (!f)
		return -EBADF;
	long r = access_ok((void *)a1, a2) ? read_user(f, a1, MIN(a2, MAX_RW_COUNT)) : -EFAULT;
	fput(f);
	return r;
}

/*
 * Linux reads and checks the whole iovec array before it moves a byte
 * (import_iovec): an unreadable array is EFAULT, a length above SSIZE_MAX
 * EINVAL, a segment past the top of user space EFAULT. The array can be
 * 16 KiB, more than a kernel stack, so it is read twice: once to check,
 * once to transfer. A program that changes it in between gets what it
 * wrote there the second time; the copies still check every byte.
 */
static long iov_check(u64 uiov, long cnt)
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

/* readv and writev: one transfer per vector element, stopping at the first short one. */
static long do_iov(int fd, u64 uiov, long cnt, bool write)
{
	long total = 0;
	struct iovec iov;

	struct file *f = fget_for(fd, write ? O_WRONLY : O_RDONLY);
	if (!f)
		return -EBADF;
	total = cnt < 0 || cnt > IOV_MAX ? -EINVAL : iov_check(uiov, cnt);
	for (long i = 0; i < cnt && total >= 0; i++) {
		if (copy_from_user(&iov, (const void *)(uiov + i * sizeof(iov)), sizeof(iov))) {
			total = total ? total : -EFAULT;
			break;
		}
		size_t len = MIN(iov.iov_len, MAX_RW_COUNT - total);
		long r = write ? write_user(f, iov.iov_base, len) : read_user(f, iov.iov_base, len);
		if (r < 0) {
			total = total ? total : r;
			break;
		}
		total += r;
		if ((u64)r < iov.iov_len)
			break;
	}
	fput(f);
	return total;
}

SYSCALL_DEFINE(writev)
{
	return do_iov((int)a0, a1, (long)a2, true);
}

SYSCALL_DEFINE(readv)
{
	return do_iov((int)a0, a1, (long)a2, false);
}

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* Only files with bytes in memory and directories have a position to move. */
SYSCALL_DEFINE(lseek)
{
	struct file *f = fget(my_files(), (int)a0);
	s64 off = (s64)a1, base;
	long r;

	if (!f)
		return -EBADF;
	bool dir = S_ISDIR(f->node.mode);
	spin_lock(&f->lock);
	if (!f->data && !dir)
		r = -ESPIPE;                  /* the console, /dev/null, a pipe */
	else if (a2 > SEEK_END || (dir && a2 != SEEK_SET))
		r = -EINVAL;
	else {
		base = a2 == SEEK_SET ? 0 : a2 == SEEK_CUR ? (s64)f->pos : (s64)f->size;
		r = base + off < 0 ? -EINVAL : base + off;
		if (r >= 0)
			f->pos = r;
	}
	spin_unlock(&f->lock);
	fput(f);
	return r;
}

/* pread64: read at an offset without moving the file position. */
SYSCALL_DEFINE(pread64)
{
	struct file *f = fget_for((int)a0, O_RDONLY);
	char k[CHUNK];
	long r;

	if (!f)
		return -EBADF;
	if (S_ISDIR(f->node.mode))
		r = -EISDIR;
	else if (!f->data)
		r = -ESPIPE;
	else if ((s64)a3 < 0)
		r = -EINVAL;
	else {
		size_t done = 0;
		r = 0;
		while (done < a2 && a3 + done < f->size) {
			size_t n = MIN(MIN(a2 - done, sizeof(k)), f->size - (a3 + done));
			memcpy(k, f->data + a3 + done, n);
			if (copy_to_user((void *)(a1 + done), k, n)) {
				r = -EFAULT;
				break;
			}
			done += n;
		}
		r = done ? (long)done : r;
	}
	fput(f);
	return r;
}

SYSCALL_DEFINE(close)
{
	return fd_close(my_files(), (int)a0);
}

/* dup, dup2, dup3, fcntl F_DUPFD: the work is fd_dup (kernel/file.c). */
SYSCALL_DEFINE(dup)
{
	struct file *f = fget(my_files(), (int)a0);
	if (!f)
		return -EBADF;
	int fd = fd_install(my_files(), f);
	if (fd < 0)
		fput(f);
	return fd;
}

SYSCALL_DEFINE(dup3)
{
	if ((int)a0 == (int)a1 || (a2 & ~(u64)O_CLOEXEC))
		return -EINVAL;
	return fd_dup_to(my_files(), (int)a0, (int)a1, a2 & O_CLOEXEC);
}

SYSCALL_DEFINE(dup2)
{
	if ((int)a0 == (int)a1) {             /* Linux: a check that oldfd is open, nothing else */
		struct file *f = fget(my_files(), (int)a0);
		if (!f)
			return -EBADF;
		fput(f);
		return (int)a1;
	}
	return fd_dup_to(my_files(), (int)a0, (int)a1, false);
}

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

SYSCALL_DEFINE(fcntl)
{
	struct files_struct *files = my_files();
	struct file *f = fget(files, (int)a0);
	long r = 0;

	if (!f)
		return -EBADF;
	switch (a1) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = (long)a2 < 0 || a2 >= MAX_FDS ? -EINVAL
			: fd_install_from(files, f, (int)a2, a1 == F_DUPFD_CLOEXEC);
		if (r >= 0)
			return r;                 /* the new descriptor keeps our reference */
		break;
	case F_GETFD:
		r = fd_get_cloexec(files, (int)a0) ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		fd_set_cloexec(files, (int)a0, a2 & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:                          /* only these status flags can change */
		spin_lock(&f->lock);
		f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | (a2 & (O_APPEND | O_NONBLOCK));
		spin_unlock(&f->lock);
		break;
	default:
		r = -EINVAL;
	}
	fput(f);
	return r;
}

/* ioctl(fd, cmd, arg): the file's own requests (the console's: kernel/tty.c), or ENOTTY. */
SYSCALL_DEFINE(ioctl)
{
	struct file *f = fget(my_files(), (int)a0);
	if (!f)
		return -EBADF;
	long r = f->ops->ioctl ? f->ops->ioctl(f, (unsigned int)a1, a2) : -ENOTTY;
	fput(f);
	return r;
}

/* ---- poll ---- */

struct pollfd {
	s32 fd;
	s16 events, revents;
};
#define POLL_MAX 64

/* One pass over the set: revents of each, and how many have any. */
static int poll_once(struct pollfd *fds, u64 n)
{
	int ready = 0;

	for (u64 i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;                 /* ignored, as Linux does */
		struct file *f = fget(my_files(), fds[i].fd);
		if (!f) {
			fds[i].revents = POLLNVAL;
		} else {
			/* Without a poll operation a file never blocks: always ready. */
			unsigned int mask = f->ops->poll ? f->ops->poll(f) : POLLIN | POLLOUT;
			fds[i].revents = mask & (fds[i].events | POLLERR | POLLHUP);
			fput(f);
		}
		ready += fds[i].revents != 0;
	}
	return ready;
}

static long do_poll(u64 ufds, u64 n, s64 timeout_ms)
{
	struct pollfd fds[POLL_MAX];

	if (n > POLL_MAX)
		return -EINVAL;
	if (copy_from_user(fds, (const void *)ufds, n * sizeof(fds[0])))
		return -EFAULT;
	/*
	 * Look, and if nothing is ready sleep until something may have
	 * changed (every pipe and terminal event wakes poll_wait_queue, the
	 * timeout, or a signal), then look again. The state is set before
	 * each look, so a wake-up between look and sleep is not lost.
	 */
	u64 deadline = timeout_ms > 0 ? ktime_ns() + (u64)timeout_ms * 1000000 : 0;
	DEFINE_WAIT(w);
	int ready;
	for (;;) {
		prepare_to_wait(&poll_wait_queue, &w, TASK_INTERRUPTIBLE);
		ready = poll_once(fds, n);
		if (ready || !timeout_ms)
			break;
		if (signal_pending()) {
			ready = -ERESTARTNOHAND;
			break;
		}
		if (!deadline) {
			schedule();
			continue;
		}
		u64 now = ktime_ns();
		if (now >= deadline)
			break;
		schedule_timeout(deadline - now);
	}
	finish_wait(&poll_wait_queue, &w);
	if (ready >= 0 && copy_to_user((void *)ufds, fds, n * sizeof(fds[0])))
		return -EFAULT;
	return ready;
}

SYSCALL_DEFINE(poll)
{
	return do_poll(a0, a1, (s64)(int)a2);
}

/* ppoll(fds, n, timeout timespec or NULL, sigmask, size): the mask is not applied here. */
SYSCALL_DEFINE(ppoll)
{
	struct timespec ts;
	s64 ms = -1;

	if (a2) {
		int err = get_timespec(&ts, a2);
		if (err)
			return err;
		ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	return do_poll(a0, a1, ms);
}

/*
 * sendfile(out, in, offset, count): copy in -> out through a kernel buffer.
 * The input must be a file whose bytes are in memory (a program, a /proc
 * snapshot): Linux refuses inputs it cannot read as pages with EINVAL
 * (a terminal, a pipe), and programs such as busybox's cat then fall
 * back to read and write -- which keeps a terminal's end of file (^D) an
 * event for one read, not swallowed inside a loop here. With an offset
 * pointer the input is read there and its own position is left alone.
 */
SYSCALL_DEFINE(sendfile)
{
	struct file *out = fget_for((int)a0, O_WRONLY), *in = fget_for((int)a1, O_RDONLY);
	char k[CHUNK];
	s64 off = 0;
	long done = 0, r = 0;

	if (!out || !in) {
		r = -EBADF;
		goto put;
	}
	if (!in->data) {
		r = -EINVAL;
		goto put;
	}
	if (a2 && (get_user(off, (s64 *)a2) || off < 0)) {
		r = off < 0 ? -EINVAL : -EFAULT;
		goto put;
	}
	while ((u64)done < a3) {
		size_t want = MIN(a3 - done, sizeof(k));
		ssize_t n;
		if (a2) {
			n = (u64)off < in->size ? (ssize_t)MIN(want, in->size - off) : 0;
			memcpy(k, in->data + off, n);
		} else {
			n = in->ops->read(in, k, want);
		}
		if (n <= 0) {
			r = n;
			break;
		}
		ssize_t w = out->ops->write(out, k, n);
		if (w < 0) {
			r = w;
			break;
		}
		done += w;
		off += w;
	}
	if (a2 && put_user(off, (s64 *)a2))
		r = -EFAULT;
put:
	if (out)
		fput(out);
	if (in)
		fput(in);
	return done ? done : r;
}

/* pipe2(fds[2], flags): fds[0] the read end, fds[1] the write end. */
static long do_pipe2(u64 ufds, u64 flags)
{
	struct file *rd, *wr;
	int fds[2];

	if (flags & ~(u64)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	int err = pipe_create(flags, &rd, &wr);
	if (err)
		return err;
	fds[0] = fd_install_from(my_files(), rd, 0, flags & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install_from(my_files(), wr, 0, flags & O_CLOEXEC);
	if (fds[1] < 0 || copy_to_user((void *)ufds, fds, sizeof(fds))) {
		if (fds[0] >= 0)
			fd_close(my_files(), fds[0]);
		else
			fput(rd);
		if (fds[1] >= 0)
			fd_close(my_files(), fds[1]);
		else
			fput(wr);
		return fds[1] < 0 ? -EMFILE : -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(pipe2)
{
	return do_pipe2(a0, a1);
}

SYSCALL_DEFINE(pipe)
{
	return do_pipe2(a0, 0);
}
