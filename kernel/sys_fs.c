/*
 * The file-tree system calls: open, getdents64, the stat family, readlink,
 * access, getcwd, chdir, umask, and the calls that would change the tree
 * (every tree here is read-only: EROFS). The work is in kernel/fs.c,
 * kernel/ramfs.c and kernel/procfs.c; here user memory is copied in and
 * out and Linux's argument rules are kept.
 */
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "mm/slab.h"

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EACCESS          0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* A path from user memory into a kmalloc'd PATH_MAX buffer (kfree it): 0 or -errno. */
static int get_path(u64 upath, char **out)
{
	char *path = kmalloc(PATH_MAX);

	if (!path)
		return -ENOMEM;
	long len = strncpy_from_user(path, (const char *)upath, PATH_MAX);
	if (len < 0 || len == PATH_MAX) {
		kfree(path);
		return len < 0 ? (int)len : -ENAMETOOLONG;
	}
	*out = path;
	return 0;
}

/* Where a relative path of an *at() call starts: the cwd, or the directory dirfd. */
static int dirfd_node(int dirfd, struct fs_node *out)
{
	struct process *p = current_process();

	if (dirfd == AT_FDCWD) {
		spin_lock(&p->lock);
		*out = p->cwd;
		spin_unlock(&p->lock);
		return 0;
	}
	struct file *f = fget(p->files, dirfd);
	if (!f)
		return -EBADF;
	*out = f->node;
	fput(f);
	return 0;
}

/*
 * Resolve the user path upath of an *at() call. An empty path with
 * AT_EMPTY_PATH names dirfd itself (any file, not only a directory).
 */
static int user_lookup(int dirfd, u64 upath, unsigned lookup, int at_flags, struct fs_node *out)
{
	char *path;
	struct fs_node base;
	int err = get_path(upath, &path);

	if (err)
		return err;
	if (!*path && (at_flags & AT_EMPTY_PATH)) {
		err = dirfd_node(dirfd, out);
	} else if (!*path) {
		err = -ENOENT;                    /* before dirfd is looked at, as Linux */
	} else if (!(err = (*path == '/' ? 0 : dirfd_node(dirfd, &base)))) {
		if (*path == '/')
			fs_root(&base);
		err = path_lookup(&base, path, lookup, out);
	}
	kfree(path);
	return err;
}

static long do_openat(int dirfd, u64 upath, u64 flags)
{
	struct process *p = current_process();
	struct fs_node base;
	struct file *f;
	char *path;
	int err = get_path(upath, &path);

	if (err)
		return err;
	/* "" is ENOENT and an absolute path ignores dirfd: neither looks at it. */
	err = !*path ? -ENOENT : *path == '/' ? 0 : dirfd_node(dirfd, &base);
	if (!err)
		err = file_open(*path == '/' ? NULL : &base, path, flags, &f);
	kfree(path);
	if (err)
		return err;
	int fd = fd_install_from(p->files, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		fput(f);
	return fd;
}

SYSCALL_DEFINE(open)
{
	return do_openat(AT_FDCWD, a0, (u32)a1);    /* flags is an int: its upper half is not read */
}

SYSCALL_DEFINE(openat)
{
	return do_openat((int)a0, a1, (u32)a2);
}

/* Every tree is read-only: creating, removing or renaming anything fails so. */
SYSCALL_DEFINE(read_only_fs)
{
	return -EROFS;
}

/* ---- getdents64 ---- */

struct linux_dirent64 {
	u64 d_ino;
	s64 d_off;                /* the position after this entry (for lseek) */
	u16 d_reclen;
	u8 d_type;
	char d_name[];
} __packed;

#define GETDENTS_CHUNK 4096

/* Fill buf with entries from *pos on: bytes used, or -EINVAL if the first does not fit. */
static long fill_dirents(struct file *f, u64 *pos, char *buf, size_t size)
{
	char name[NAME_MAX + 1];
	struct fs_node child;
	size_t used = 0;
	u64 next = *pos;

	while (f->node.ops->readdir(&f->node, &next, name, &child)) {
		size_t reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + strlen(name) + 1, 8);
		if (used + reclen > size)
			return used ? (long)used : -EINVAL;
		struct linux_dirent64 *d = (void *)(buf + used);
		memset(d, 0, reclen);
		d->d_ino = child.ino;
		d->d_off = next;
		d->d_reclen = reclen;
		d->d_type = mode_to_dtype(child.mode);
		memcpy(d->d_name, name, strlen(name) + 1);
		used += reclen;
		*pos = next;
	}
	return used;
}

SYSCALL_DEFINE(getdents64)
{
	struct file *f = fget(current_process()->files, (int)a0);
	long r = -ENOTDIR;

	if (!f)
		return -EBADF;
	if (S_ISDIR(f->node.mode) && f->node.ops && f->node.ops->readdir) {
		size_t size = MIN(a2, (u64)GETDENTS_CHUNK);
		char *buf = kmalloc(GETDENTS_CHUNK);
		r = -ENOMEM;
		if (buf) {
			spin_lock(&f->lock);
			u64 pos = f->pos;
			spin_unlock(&f->lock);
			r = fill_dirents(f, &pos, buf, size);
			if (r > 0 && copy_to_user((void *)a1, buf, r))
				r = -EFAULT;
			if (r >= 0) {
				spin_lock(&f->lock);
				f->pos = pos;
				spin_unlock(&f->lock);
			}
			kfree(buf);
		}
	}
	fput(f);
	return r;
}

/* ---- the stat family ---- */

struct linux_stat {
	u64 st_dev, st_ino, st_nlink;
	u32 st_mode, st_uid, st_gid, __pad0;
	u64 st_rdev;
	s64 st_size, st_blksize, st_blocks;
	u64 st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	s64 __unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat is 144 bytes on x86-64");

/* Every file is as old as the boot: the tree was made then. */
static u64 boot_seconds(void)
{
	return rtc_boot_epoch_ns() / 1000000000;
}

static int put_stat(const struct fs_node *n, u64 ubuf)
{
	struct kstat k;
	fs_getattr(n, &k);
	u64 t = boot_seconds();
	struct linux_stat st = {
		.st_dev = k.dev, .st_ino = k.ino, .st_nlink = k.nlink, .st_mode = k.mode,
		.st_rdev = k.rdev, .st_size = k.size, .st_blksize = 4096,
		.st_blocks = DIV_ROUND_UP(k.size, 512), .st_atime = t, .st_mtime = t, .st_ctime = t,
	};
	return copy_to_user((void *)ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

static long do_fstatat(int dirfd, u64 upath, u64 ubuf, int flags)
{
	struct fs_node n;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	int err = user_lookup(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
			      flags, &n);
	return err ? err : put_stat(&n, ubuf);
}

SYSCALL_DEFINE(stat)
{
	return do_fstatat(AT_FDCWD, a0, a1, 0);
}

SYSCALL_DEFINE(lstat)
{
	return do_fstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE(newfstatat)
{
	return do_fstatat((int)a0, a1, a2, (int)a3);
}

SYSCALL_DEFINE(fstat)
{
	struct file *f = fget(current_process()->files, (int)a0);

	if (!f)
		return -EBADF;
	int err = put_stat(&f->node, a1);
	fput(f);
	return err;
}

struct statx_timestamp {
	s64 tv_sec;
	u32 tv_nsec;
	s32 __reserved;
};

struct statx {
	u32 stx_mask, stx_blksize;
	u64 stx_attributes;
	u32 stx_nlink, stx_uid, stx_gid;
	u16 stx_mode, __spare0;
	u64 stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	u32 stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	u64 __spare2[14];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx is 256 bytes");
#define STATX_BASIC_STATS 0x7ff

/* statx(dirfd, path, flags, mask, buf): what stat says, in statx's layout. */
SYSCALL_DEFINE(statx)
{
	struct fs_node n;
	struct kstat k;

	if (a2 & ~(u64)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	int err = user_lookup((int)a0, a1, a2 & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
			      (int)a2, &n);
	if (err)
		return err;
	fs_getattr(&n, &k);
	struct statx_timestamp t = { .tv_sec = boot_seconds() };
	struct statx sx = {
		.stx_mask = STATX_BASIC_STATS, .stx_blksize = 4096, .stx_nlink = k.nlink,
		.stx_mode = k.mode, .stx_ino = k.ino, .stx_size = k.size,
		.stx_blocks = DIV_ROUND_UP(k.size, 512), .stx_atime = t, .stx_btime = t,
		.stx_ctime = t, .stx_mtime = t, .stx_rdev_major = k.rdev >> 8,
		.stx_rdev_minor = k.rdev & 0xff, .stx_dev_major = k.dev >> 8,
		.stx_dev_minor = k.dev & 0xff,
	};
	return copy_to_user((void *)a4, &sx, sizeof(sx)) ? -EFAULT : 0;
}

/* ---- readlink, access ---- */

static long do_readlinkat(int dirfd, u64 upath, u64 ubuf, long size)
{
	struct fs_node n;

	if (size <= 0)
		return -EINVAL;
	int err = user_lookup(dirfd, upath, 0, 0, &n);
	if (err)
		return err;
	if (!S_ISLNK(n.mode))
		return -EINVAL;
	char *target = kmalloc(PATH_MAX);
	if (!target)
		return -ENOMEM;
	long len = n.ops->readlink(&n, target, PATH_MAX);
	if (len >= 0) {                       /* no NUL, cut to the buffer: Linux's answer */
		len = MIN(len, size);
		if (copy_to_user((void *)ubuf, target, len))
			len = -EFAULT;
	}
	kfree(target);
	return len;
}

SYSCALL_DEFINE(readlink)
{
	return do_readlinkat(AT_FDCWD, a0, a1, (long)a2);
}

SYSCALL_DEFINE(readlinkat)
{
	return do_readlinkat((int)a0, a1, a2, (long)a3);
}

/*
 * Every process is root, so only what no permission overrides can fail:
 * writing to a read-only tree, and executing a file with no x bit.
 */
static long do_faccessat(int dirfd, u64 upath, u64 mode, int flags)
{
	struct fs_node n;

	if (mode & ~(u64)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int err = user_lookup(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
			      flags, &n);
	if (err)
		return err;
	if ((mode & W_OK) && !S_ISCHR(n.mode))
		return -EROFS;
	if ((mode & X_OK) && !S_ISDIR(n.mode) && !(n.mode & 0111))
		return -EACCES;
	return 0;
}

SYSCALL_DEFINE(access)
{
	return do_faccessat(AT_FDCWD, a0, a1, 0);
}

SYSCALL_DEFINE(faccessat)
{
	return do_faccessat((int)a0, a1, a2, 0);
}

SYSCALL_DEFINE(faccessat2)
{
	return do_faccessat((int)a0, a1, a2, (int)a3);
}

/* ---- the working directory, umask ---- */

SYSCALL_DEFINE(getcwd)
{
	struct process *p = current_process();
	char *buf = kmalloc(PATH_MAX);

	if (!buf)
		return -ENOMEM;
	spin_lock(&p->lock);
	struct fs_node cwd = p->cwd;
	spin_unlock(&p->lock);
	long len = cwd.ops->path(&cwd, buf, PATH_MAX);
	if (len >= PATH_MAX)
		len = -ENAMETOOLONG;
	else if ((u64)len + 1 > a1)
		len = -ERANGE;
	else if (copy_to_user((void *)a0, buf, len + 1))
		len = -EFAULT;
	else
		len++;                        /* the syscall counts the NUL */
	kfree(buf);
	return len;
}

static long set_cwd(const struct fs_node *n)
{
	struct process *p = current_process();

	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	spin_lock(&p->lock);
	p->cwd = *n;
	spin_unlock(&p->lock);
	return 0;
}

SYSCALL_DEFINE(chdir)
{
	struct fs_node n;
	int err = user_lookup(AT_FDCWD, a0, LOOKUP_FOLLOW, 0, &n);

	return err ? err : set_cwd(&n);
}

SYSCALL_DEFINE(fchdir)
{
	struct fs_node n;
	int err = dirfd_node((int)a0, &n);

	if (err || (int)a0 == AT_FDCWD)
		return err ? err : -EBADF;
	return set_cwd(&n);
}

SYSCALL_DEFINE(umask)
{
	struct process *p = current_process();

	spin_lock(&p->lock);
	u32 old = p->umask;
	p->umask = a0 & 0777;
	spin_unlock(&p->lock);
	return old;
}
