/* Open files and descriptor tables (see file.h). */
#include "kernel/file.h"
#include "kernel/printk.h"
#include "kernel/procfs.h"
#include "kernel/string.h"
#include "mm/slab.h"

/* ---- the console: fds 0, 1, 2 ---- */

static ssize_t console_read(struct file *f, char *buf, size_t n)
{
	return 0;                        /* no keyboard input: end of file */
}

static ssize_t console_file_write(struct file *f, const char *buf, size_t n)
{
	console_write(buf, n);
	return n;
}

static const struct file_ops console_ops = {
	.read = console_read,
	.write = console_file_write,
};

/* One shared console file; it is never released. */
static struct file console_file = {
	.ops = &console_ops,
	.refcount = 1,
	.lock = SPINLOCK_INIT("console_file"),
};

/* ---- /proc files: a snapshot made at open ---- */

static ssize_t proc_read(struct file *f, char *buf, size_t n)
{
	spin_lock(&f->lock);
	size_t left = f->size - MIN(f->pos, f->size);
	n = MIN(n, left);
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	spin_unlock(&f->lock);
	return n;
}

static void proc_release(struct file *f)
{
	kfree(f->data);
	kfree(f);
}

static const struct file_ops proc_ops = {
	.read = proc_read,              /* no .write: opened read-only (write gives EBADF) */
	.release = proc_release,
};

int proc_open(const char *path, struct file **out)
{
	size_t max;
	proc_show_fn show = procfs_lookup(path, &max);
	if (!show)
		return -ENOENT;
	struct file *f = kzalloc(sizeof(*f));
	char *data = kmalloc(max);
	if (!f || !data) {
		kfree(f);
		kfree(data);
		return -ENOMEM;
	}
	f->ops = &proc_ops;
	f->refcount = 1;
	spin_lock_init(&f->lock, "proc_file");
	f->data = data;
	f->size = MIN(show(data, max), max - 1);
	*out = f;
	return 0;
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

int fd_install(struct files_struct *files, struct file *f)
{
	spin_lock(&files->lock);
	for (int fd = 0; fd < MAX_FDS; fd++) {
		if (!files->fd[fd]) {
			files->fd[fd] = f;
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
	spin_unlock(&files->lock);
	if (!f)
		return -EBADF;
	fput(f);
	return 0;
}

void files_destroy(struct files_struct *files)
{
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (files->fd[fd])
			fd_close(files, fd);
	kfree(files);
}
