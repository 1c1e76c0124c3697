/* Open files and descriptor tables (see file.h). */
#include "kernel/file.h"
#include "kernel/printk.h"
#include "kernel/ramfs.h"
#include "kernel/string.h"
#include "kernel/tty.h"
#include "mm/slab.h"

static void file_free(struct file *f)
{
	kfree(f->buffer);
	kfree(f);
}

/* ---- the console: fds 0, 1 and 2 of every process, /dev/console, /dev/tty ---- */

static ssize_t console_file_write(struct file *f, const char *buf, size_t n)
{
	console_write(buf, n);
	return n;
}

/* Reading, polling and the terminal ioctls are the line discipline's (kernel/tty.c). */
static const struct file_ops console_ops = {
	.read = tty_read,
	.write = console_file_write,
	.poll = tty_poll,
	.ioctl = tty_ioctl,
	.release = file_free,          /* an open of /dev/console; never the shared one below */
};

/* One shared console file; it is never released. */
static struct file console_file = {
	.ops = &console_ops,
	.refcount = 1,
	.flags = O_RDWR,
	.node = { .mode = S_IFCHR | 0620 },
	.lock = SPINLOCK_INIT("console_file"),
};

/* Opening /dev/console or /dev/tty gives a file of its own on the same device. */
int console_open(struct file *f)
{
	f->ops = &console_ops;
	return 0;
}

/* ---- /dev/null ---- */

static ssize_t null_read(struct file *f, char *buf, size_t n)
{
	return 0;
}

static ssize_t null_write(struct file *f, const char *buf, size_t n)
{
	return n;
}

static const struct file_ops null_ops = {
	.read = null_read, .write = null_write, .release = file_free,
};

int null_open(struct file *f)
{
	f->ops = &null_ops;
	return 0;
}

/* ---- files whose bytes are in memory: ramfs files, /proc snapshots ---- */

const struct file_ops data_file_ops = {
	.read = file_data_read,          /* no .write: opened read-only (write gives EBADF) */
	.release = file_free,
};

ssize_t file_data_read(struct file *f, char *buf, size_t n)
{
	spin_lock(&f->lock);
	size_t left = f->size - MIN(f->pos, f->size);
	n = MIN(n, left);
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	spin_unlock(&f->lock);
	return n;
}

static ssize_t dir_read(struct file *f, char *buf, size_t n)
{
	return -EISDIR;
}

static ssize_t dir_write(struct file *f, const char *buf, size_t n)
{
	return -EISDIR;
}

const struct file_ops dir_file_ops = { .read = dir_read, .write = dir_write, .release = file_free };

struct file *file_alloc(const struct fs_node *n, unsigned int flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->refcount = 1;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	f->node = *n;
	spin_lock_init(&f->lock, "file");
	return f;
}

/* Checks that do not depend on the file system, then its open. */
static int open_node(const struct fs_node *n, unsigned int flags, struct file **out)
{
	if (S_ISDIR(n->mode) && (flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	if (S_ISLNK(n->mode))
		return -ELOOP;                 /* O_NOFOLLOW and the last component is a link */
	if (!n->ops->open)
		return -EACCES;
	struct file *f = file_alloc(n, flags);
	if (!f)
		return -ENOMEM;
	int err = n->ops->open(n, f);
	if (err) {
		kfree(f->buffer);
		kfree(f);
		return err;
	}
	*out = f;
	return 0;
}

int file_open(const struct fs_node *base, const char *path, unsigned int flags,
	      struct file **out)
{
	struct fs_node root, n;
	unsigned lookup = (flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW) |
			  (flags & O_DIRECTORY ? LOOKUP_DIRECTORY : 0);

	if (!base) {
		fs_root(&root);
		base = &root;
	}
	int err = path_lookup(base, path, lookup, &n);
	if (err == -ENOENT && (flags & O_CREAT))
		return -EROFS;                 /* nothing can be created: every tree is read-only */
	if (err)
		return err;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	return open_node(&n, flags, out);
}

/* ---- descriptor tables ---- */

struct files_struct *files_create(void)
{
	struct files_struct *files = kzalloc(sizeof(*files));
	if (!files)
		return NULL;
	spin_lock_init(&files->lock, "files");
	for (int fd = 0; fd < 3; fd++) {
		__atomic_fetch_add(&console_file.refcount, 1, __ATOMIC_RELAXED);
		files->fd[fd] = &console_file;
	}
	return files;
}

struct files_struct *files_dup(struct files_struct *old)
{
	struct files_struct *files = kzalloc(sizeof(*files));
	if (!files)
		return NULL;
	spin_lock_init(&files->lock, "files");
	spin_lock(&old->lock);
	for (int fd = 0; fd < MAX_FDS; fd++) {
		files->fd[fd] = old->fd[fd];
		if (files->fd[fd])
			__atomic_fetch_add(&files->fd[fd]->refcount, 1, __ATOMIC_RELAXED);
	}
	files->cloexec = old->cloexec;
	spin_unlock(&old->lock);
	return files;
}

void files_close_on_exec(struct files_struct *files)
{
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (READ_ONCE(files->cloexec) & (1ull << fd))
			fd_close(files, fd);
}

void fput(struct file *f)
{
	if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) == 0 && f->ops->release)
		f->ops->release(f);
}

struct file *fget(struct files_struct *files, int fd)
{
	struct file *f = NULL;

	if (fd < 0 || fd >= MAX_FDS)
		return NULL;
	spin_lock(&files->lock);
	f = files->fd[fd];
	if (f)
		__atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
	spin_unlock(&files->lock);
	return f;
}

int fd_install_from(struct files_struct *files, struct file *f, int min, bool cloexec)
{
	spin_lock(&files->lock);
	for (int fd = MAX(min, 0); fd < MAX_FDS; fd++) {
		if (!files->fd[fd]) {
			files->fd[fd] = f;
			if (cloexec)
				files->cloexec |= 1ull << fd;
			else
				files->cloexec &= ~(1ull << fd);
			spin_unlock(&files->lock);
			return fd;
		}
	}
	spin_unlock(&files->lock);
	return -EMFILE;
}

int fd_close(struct files_struct *files, int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return -EBADF;
	spin_lock(&files->lock);
	struct file *f = files->fd[fd];
	files->fd[fd] = NULL;
	files->cloexec &= ~(1ull << fd);
	spin_unlock(&files->lock);
	if (!f)
		return -EBADF;
	fput(f);
	return 0;
}

int fd_dup_to(struct files_struct *files, int oldfd, int newfd, bool cloexec)
{
	if (oldfd < 0 || oldfd >= MAX_FDS || newfd < 0 || newfd >= MAX_FDS)
		return -EBADF;
	spin_lock(&files->lock);
	struct file *f = files->fd[oldfd], *old = files->fd[newfd];
	if (!f) {
		spin_unlock(&files->lock);
		return -EBADF;
	}
	__atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
	files->fd[newfd] = f;
	if (cloexec)
		files->cloexec |= 1ull << newfd;
	else
		files->cloexec &= ~(1ull << newfd);
	spin_unlock(&files->lock);
	if (old)
		fput(old);                    /* closed silently, as dup2 does */
	return newfd;
}

bool fd_get_cloexec(struct files_struct *files, int fd)
{
	spin_lock(&files->lock);
	bool on = files->cloexec & (1ull << fd);
	spin_unlock(&files->lock);
	return on;
}

void fd_set_cloexec(struct files_struct *files, int fd, bool on)
{
	spin_lock(&files->lock);
	if (on)
		files->cloexec |= 1ull << fd;
	else
		files->cloexec &= ~(1ull << fd);
	spin_unlock(&files->lock);
}

void files_destroy(struct files_struct *files)
{
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (files->fd[fd])
			fd_close(files, fd);
	kfree(files);
}
