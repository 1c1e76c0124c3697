/*
 * ramfs: the read-only in-memory root (see ramfs.h). A node is a struct
 * ramfs_node; directories keep their children in a singly linked list in
 * the order they were added, which is also the order getdents lists them.
 */
#include "kernel/ramfs.h"
#include "kernel/file.h"
#include "kernel/printk.h"
#include "kernel/procfs.h"
#include "kernel/string.h"
#include "mm/huge_memory.h"
#include "mm/slab.h"

#define RAMFS_DEV 0x0001        /* st_dev of every ramfs node */
#define GENERATED_MAX 4096      /* a generated file's text is cut here */

struct ramfs_node {
	char name[NAME_MAX + 1];
	u32 mode;
	u64 ino;
	struct ramfs_node *parent;             /* the root is its own */
	struct ramfs_node *children, *next;    /* a directory's entries; the next sibling */
	const u8 *data;                        /* regular file: its bytes, in place */
	size_t size;                           /* ... and their number; a symlink: strlen(target) */
	const char *target;                    /* symlink */
	int (*dev_open)(struct file *f);       /* character device */
	size_t (*show)(char *buf, size_t size); /* a generated file (/sys): its text, made at open */
	u64 rdev;                              /* ... its device number */
	bool proc_mount;                       /* /proc: procfs is mounted here */
};

static struct ramfs_node *root;
static u64 next_ino = 1;
static const struct fs_ops ramfs_ops;

static void to_fs_node(struct ramfs_node *n, struct fs_node *out)
{
	if (n->proc_mount) {
		procfs_root(out);            /* the mount hides the directory below it */
		return;
	}
	*out = (struct fs_node){ .ops = &ramfs_ops, .mode = n->mode, .ino = n->ino, .priv = n };
}

void fs_root(struct fs_node *out)
{
	to_fs_node(root, out);
}

static struct ramfs_node *child(struct ramfs_node *dir, const char *name)
{
	for (struct ramfs_node *c = dir->children; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int ramfs_lookup(const struct fs_node *dir, const char *name, struct fs_node *out)
{
	struct ramfs_node *c = child(dir->priv, name);

	if (!c)
		return -ENOENT;
	to_fs_node(c, out);
	return 0;
}

static void ramfs_parent(const struct fs_node *dir, struct fs_node *out)
{
	to_fs_node(((struct ramfs_node *)dir->priv)->parent, out);
}

/* Positions: 0 is ".", 1 is "..", 2 + i the i-th child. */
static int ramfs_readdir(const struct fs_node *dir, u64 *pos, char *name, struct fs_node *out)
{
	struct ramfs_node *d = dir->priv, *c = d->children;

	if (*pos < 2) {
		strlcpy(name, *pos == 0 ? "." : "..", NAME_MAX + 1);
		to_fs_node(*pos == 0 ? d : d->parent, out);
		(*pos)++;
		return 1;
	}
	for (u64 i = 2; c && i < *pos; i++)
		c = c->next;
	if (!c)
		return 0;
	strlcpy(name, c->name, NAME_MAX + 1);
	to_fs_node(c, out);
	(*pos)++;
	return 1;
}

static int ramfs_readlink(const struct fs_node *n, char *buf, size_t size)
{
	const struct ramfs_node *r = n->priv;
	return strlcpy(buf, r->target, size) < size ? (int)r->size : -ENAMETOOLONG;
}

static int ramfs_open(const struct fs_node *n, struct file *f);

static void ramfs_getattr(const struct fs_node *n, struct kstat *st)
{
	const struct ramfs_node *r = n->priv;

	st->dev = RAMFS_DEV;
	st->size = S_ISDIR(r->mode) ? 4096 : r->size;
	st->rdev = r->rdev;
	st->nlink = 1;
	if (S_ISDIR(r->mode)) {               /* "." and the parent's entry, one ".." per subdirectory */
		st->nlink = 2;
		for (struct ramfs_node *c = r->children; c; c = c->next)
			st->nlink += S_ISDIR(c->mode);
	}
}

/* "/" and the names from the root down to n: measured first, then written from the end. */
static int ramfs_path(const struct fs_node *n, char *buf, size_t size)
{
	const struct ramfs_node *r = n->priv;
	size_t len = 0;

	for (const struct ramfs_node *a = r; a->parent != a; a = a->parent)
		len += 1 + strlen(a->name);
	if (!len)
		return strlcpy(buf, "/", size);
	if (len >= size)
		return len;                   /* too long: snprintf's answer, nothing written */
	buf[len] = '\0';
	for (size_t at = len; r->parent != r; r = r->parent) {
		size_t l = strlen(r->name);
		at -= l;
		memcpy(buf + at, r->name, l);
		buf[--at] = '/';
	}
	return len;
}

static const struct fs_ops ramfs_ops = {
	.lookup = ramfs_lookup, .parent = ramfs_parent, .readdir = ramfs_readdir,
	.readlink = ramfs_readlink, .open = ramfs_open, .getattr = ramfs_getattr,
	.path = ramfs_path,
};

/* ---- building the tree (init, before any program runs) ---- */

static struct ramfs_node *new_node(struct ramfs_node *dir, const char *name, u32 mode)
{
	struct ramfs_node *n = kzalloc(sizeof(*n));

	if (!n)
		return NULL;
	strlcpy(n->name, name, sizeof(n->name));
	n->mode = mode;
	n->ino = next_ino++;
	n->parent = dir ? dir : n;
	if (dir) {                            /* append: getdents lists in the order added */
		struct ramfs_node **link = &dir->children;
		while (*link)
			link = &(*link)->next;
		*link = n;
	}
	return n;
}

/*
 * The directory that will hold the last component of path, made as needed;
 * the last component's name into name. NULL with *err set on failure.
 */
static struct ramfs_node *parent_dir(const char *path, char *name, int *err)
{
	struct ramfs_node *dir = root;

	*err = -EINVAL;
	if (*path != '/')
		return NULL;
	for (;;) {
		while (*path == '/')
			path++;
		size_t len = 0;
		while (path[len] && path[len] != '/')
			len++;
		if (!len || len > NAME_MAX)
			return NULL;
		memcpy(name, path, len);
		name[len] = '\0';
		path += len;
		if (!*path)
			return dir;                   /* name is the last component */
		struct ramfs_node *c = child(dir, name);
		if (!c)
			c = new_node(dir, name, S_IFDIR | 0755);
		*err = c ? -ENOTDIR : -ENOMEM;
		if (!c || !S_ISDIR(c->mode))
			return NULL;
		dir = c;
	}
}

static struct ramfs_node *add_node(const char *path, u32 mode, int *err)
{
	char name[NAME_MAX + 1];
	struct ramfs_node *dir = parent_dir(path, name, err);

	if (!dir)
		return NULL;
	if (child(dir, name)) {
		*err = -EEXIST;
		return NULL;
	}
	struct ramfs_node *n = new_node(dir, name, mode);
	*err = n ? 0 : -ENOMEM;
	return n;
}

int ramfs_add_file(const char *path, const void *data, size_t size, u32 perm)
{
	int err;
	struct ramfs_node *n = add_node(path, S_IFREG | (perm & 07777), &err);

	if (n) {
		n->data = data;
		n->size = size;
	}
	return err;
}

int ramfs_add_symlink(const char *path, const char *target)
{
	int err;
	char *copy = kmalloc(strlen(target) + 1);
	struct ramfs_node *n = copy ? add_node(path, S_IFLNK | 0777, &err) : NULL;

	if (!n) {
		kfree(copy);
		return copy ? err : -ENOMEM;
	}
	strlcpy(copy, target, strlen(target) + 1);
	n->target = copy;
	n->size = strlen(copy);
	return 0;
}

/* A read-only file whose text show() makes at each open (Linux's sysfs attributes). */
static void add_generated(const char *path, size_t (*show)(char *buf, size_t size))
{
	int err;
	struct ramfs_node *n = add_node(path, S_IFREG | 0444, &err);

	if (n)
		n->show = show;
}

static void add_device(const char *path, int (*dev_open)(struct file *f), u64 rdev)
{
	int err;
	struct ramfs_node *n = add_node(path, S_IFCHR | 0666, &err);

	if (n) {
		n->dev_open = dev_open;
		n->rdev = rdev;
	}
}

#define MKDEV(major, minor) (((u64)(major) << 8) | (minor))
#define THP_SYS "/sys/kernel/mm/transparent_hugepage/"

void ramfs_init(void)
{
	int err;

	root = new_node(NULL, "/", S_IFDIR | 0755);
	if (!root)
		panic("ramfs: no memory for the root");
	add_node("/bin", S_IFDIR | 0755, &err);
	add_node("/dev", S_IFDIR | 0755, &err);
	add_device("/dev/null", null_open, MKDEV(1, 3));
	add_device("/dev/console", console_open, MKDEV(5, 1));
	add_device("/dev/tty", console_open, MKDEV(5, 0));
	struct ramfs_node *proc = add_node("/proc", S_IFDIR | 0555, &err);
	if (proc)
		proc->proc_mount = true;
	/* The few /sys files a program reads to know what to expect of THP. */
	add_generated(THP_SYS "enabled", thp_enabled_show);
	add_generated(THP_SYS "use_zero_page", thp_use_zero_page_show);
	add_generated(THP_SYS "hpage_pmd_size", thp_hpage_pmd_size_show);
	add_generated(THP_SYS "khugepaged/scan_sleep_millisecs", khugepaged_scan_sleep_show);
	add_generated(THP_SYS "khugepaged/pages_collapsed", khugepaged_pages_collapsed_show);
	add_generated(THP_SYS "khugepaged/full_scans", khugepaged_full_scans_show);
}

static int ramfs_open(const struct fs_node *n, struct file *f)
{
	const struct ramfs_node *r = n->priv;

	if (S_ISCHR(r->mode))
		return r->dev_open(f);
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	if (S_ISDIR(r->mode)) {
		f->ops = &dir_file_ops;
		return 0;
	}
	if (r->show) {
		if (!(f->buffer = kmalloc(GENERATED_MAX)))
			return -ENOMEM;
		f->ops = &data_file_ops;
		f->data = f->buffer;
		f->size = MIN(r->show(f->buffer, GENERATED_MAX), GENERATED_MAX);
		return 0;
	}
	f->ops = &data_file_ops;
	f->data = (const char *)r->data;
	f->size = r->size;
	return 0;
}
