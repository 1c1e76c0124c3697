/*
 * Open files and descriptor tables.
 *
 * A struct file is one open of a node of the file tree (kernel/fs.h): the
 * console, /dev/null, a program in /bin, a /proc file or a directory. Its
 * readable bytes, if it has any, are in data[0..size): a ramfs file's
 * bytes in place, or a /proc file's text made at open (a snapshot, freed
 * at release). Every function here works on kernel buffers: the syscalls
 * (kernel/sys_file.c, kernel/sys_fs.c) copy to and from user memory
 * around them.
 */
#pragma once
#include "kernel/fs.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

#define MAX_FDS 64

/* open flags (Linux's values) */
#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR      00000002
#define O_CREAT     00000100
#define O_EXCL      00000200
#define O_NOCTTY    00000400
#define O_TRUNC     00001000
#define O_APPEND    00002000
#define O_NONBLOCK  00004000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW  00400000
#define O_CLOEXEC   02000000
#define O_PATH      010000000

struct file;

/* poll events (Linux's values) */
#define POLLIN   0x001
#define POLLPRI  0x002
#define POLLOUT  0x004
#define POLLERR  0x008
#define POLLHUP  0x010
#define POLLNVAL 0x020

/* A NULL read or write: the file is not open that way (Linux's FMODE_READ/WRITE). */
struct file_ops {
	ssize_t (*read)(struct file *f, char *buf, size_t n);
	ssize_t (*write)(struct file *f, const char *buf, size_t n);
	/* POLL* bits ready now; NULL: always ready to read and write (memory, /dev/null). */
	unsigned int (*poll)(struct file *f);
	/* ioctl(cmd, user arg): -ENOTTY if the file has no such request; NULL: none. */
	long (*ioctl)(struct file *f, unsigned int cmd, u64 arg);
	void (*release)(struct file *f);     /* the last reference went */
};

struct file {
	const struct file_ops *ops;
	int refcount;                /* descriptors and callers holding it; atomic */
	unsigned int flags;          /* O_ACCMODE and status flags (F_GETFL) */
	struct fs_node node;         /* what was opened: fstat, getdents, fchdir */
	spinlock_t lock;             /* protects pos */
	u64 pos;                     /* byte offset; a directory: the readdir position */
	const char *data;            /* readable bytes, or NULL */
	size_t size;
	void *buffer;                /* owned by the file (a /proc snapshot): kfree'd at release */
	void *private_data;          /* the object behind it: a pipe, the terminal */
};

/* A process's descriptor table; shared by its threads (CLONE_FILES). */
struct files_struct {
	spinlock_t lock;             /* protects fd[] and cloexec */
	struct file *fd[MAX_FDS];
	u64 cloexec;                 /* bit fd: FD_CLOEXEC */
};

/* A table with the console on 0, 1 and 2. */
struct files_struct *files_create(void);
/* fork: a copy of old, each file shared (one more reference), FD_CLOEXEC kept. */
struct files_struct *files_dup(struct files_struct *old);
/* exec: close the descriptors marked FD_CLOEXEC. */
void files_close_on_exec(struct files_struct *files);
/* Close every descriptor and free the table. */
void files_destroy(struct files_struct *files);

/* The file behind fd with a reference taken, or NULL (EBADF). */
struct file *fget(struct files_struct *files, int fd);
void fput(struct file *f);
/* Install f at the lowest free descriptor >= min; returns it or -EMFILE. */
int fd_install_from(struct files_struct *files, struct file *f, int min, bool cloexec);
static inline int fd_install(struct files_struct *files, struct file *f)
{
	return fd_install_from(files, f, 0, false);
}
int fd_close(struct files_struct *files, int fd);
/* dup2/dup3: make newfd refer to oldfd's file, closing what newfd held. newfd or -EBADF. */
int fd_dup_to(struct files_struct *files, int oldfd, int newfd, bool cloexec);
/* FD_CLOEXEC of an open descriptor (fcntl F_GETFD/F_SETFD). */
bool fd_get_cloexec(struct files_struct *files, int fd);
void fd_set_cloexec(struct files_struct *files, int fd, bool on);

/* A new file for node n with flags, refcount 1, no ops yet: for a file system's open. */
struct file *file_alloc(const struct fs_node *n, unsigned int flags);
/*
 * Open the node at path (absolute, or relative to *base; NULL: the root)
 * with O_* flags: 0 with *out holding a reference, or -errno (ENOENT,
 * ENOTDIR, EISDIR, EROFS, EACCES, ELOOP, ENOMEM).
 */
int file_open(const struct fs_node *base, const char *path, unsigned int flags,
	      struct file **out);

/* read for files whose bytes are data[0..size) (see above). */
ssize_t file_data_read(struct file *f, char *buf, size_t n);
/* ... with data_file_ops: read-only, buffer freed at release. */
extern const struct file_ops data_file_ops;
/* The operations of a directory: read and write fail with EISDIR. */
extern const struct file_ops dir_file_ops;
