/*
 * The file tree: names, directories and what a name resolves to.
 *
 * There are two file systems, both in memory and read-only:
 *   - ramfs (kernel/ramfs.c): the root, built once by init from the GRUB
 *     modules before the first program runs (the bundled programs in /bin,
 *     files added with run-elf --add, a few device nodes in /dev), never
 *     changed afterwards;
 *   - procfs (kernel/procfs.c), mounted on /proc: directories and files
 *     generated from the kernel's state when they are looked up and opened.
 *
 * A name resolves to a struct fs_node: a small value (Linux splits it into
 * a dentry and an inode) that says which file system it belongs to and
 * which of its objects it is. It is copied freely and pins nothing: a /proc
 * node of a process that has exited meanwhile just fails its next lookup
 * or open with ENOENT, as on Linux.
 */
#pragma once
#include "kernel/types.h"

/* st_mode's type bits and getdents64's d_type (Linux's values). */
#define S_IFMT   0170000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define DT_FIFO 1
#define DT_CHR  2
#define DT_DIR  4
#define DT_REG  8
#define DT_LNK  10

#define NAME_MAX 255
#define PATH_MAX 4096
#define MAXSYMLINKS 8                  /* links followed in one lookup (Linux: 40) */

struct file;
struct fs_ops;

struct fs_node {
	const struct fs_ops *ops;      /* its file system */
	u32 mode;                      /* S_IF* type and permission bits */
	u64 ino;                       /* unique within its file system */
	void *priv;                    /* ramfs: its struct ramfs_node */
	int kind, pid, tid;            /* procfs: which entry, about which process/thread */
};

/* What stat() reports beyond the node's mode and ino. */
struct kstat {
	u64 dev, ino, nlink, size, rdev;
	u32 mode;
};

/*
 * A file system's operations on its nodes. Each returns 0 or -errno;
 * those a node's type does not have may be NULL.
 */
struct fs_ops {
	/* dir: the entry called name (one component, not "." or ".."). */
	int (*lookup)(const struct fs_node *dir, const char *name, struct fs_node *out);
	/* dir: its parent (the root is its own). */
	void (*parent)(const struct fs_node *dir, struct fs_node *out);
	/*
	 * dir: the first entry at position *pos or later, its name into
	 * name[NAME_MAX + 1]; *pos moves past it. 1: an entry, 0: the end.
	 * Positions are the file system's own; 0 is the start.
	 */
	int (*readdir)(const struct fs_node *dir, u64 *pos, char *name, struct fs_node *out);
	/* symlink: its target, NUL-terminated, into buf; the length or -errno. */
	int (*readlink)(const struct fs_node *n, char *buf, size_t size);
	/* open for reading or writing: set f->ops, f->data, f->size. */
	int (*open)(const struct fs_node *n, struct file *f);
	/* st->size, st->nlink, st->rdev (the rest is filled in from the node). */
	void (*getattr)(const struct fs_node *n, struct kstat *st);
	/* dir: its absolute path into buf (getcwd); snprintf's return. */
	int (*path)(const struct fs_node *n, char *buf, size_t size);
};

/* The root directory (ramfs's). */
void fs_root(struct fs_node *out);

/* lookup flags */
#define LOOKUP_FOLLOW    0x1           /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 0x2           /* the result must be a directory */

/*
 * Resolve path (a kernel string) starting at *base for a relative one, at
 * the root for an absolute one. Symlinks on the way are followed, the last
 * one only with LOOKUP_FOLLOW. 0 or -ENOENT, -ENOTDIR, -ELOOP,
 * -ENAMETOOLONG, -EACCES.
 */
int path_lookup(const struct fs_node *base, const char *path, unsigned flags,
		struct fs_node *out);

/* stat of a node: every field of a Linux stat the tree can say something about. */
void fs_getattr(const struct fs_node *n, struct kstat *st);

/* A directory entry's d_type from a mode. */
static inline u8 mode_to_dtype(u32 mode)
{
	return (mode >> 12) & 15;
}
