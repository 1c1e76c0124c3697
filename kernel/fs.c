/*
 * Path lookup (Linux's namei): from a path to the node it names, one
 * component at a time, following symlinks (see fs.h).
 */
#include "kernel/fs.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/slab.h"

static int walk(struct fs_node *cur, const char *path, unsigned flags, int depth);

/*
 * cur is the directory holding the symlink *link: replace *link by what
 * its target names, resolved from cur (or the root for an absolute one).
 * The target goes in a buffer of its own, so a chain of links costs the
 * stack only one walk() frame per link.
 */
static int follow_link(const struct fs_node *cur, struct fs_node *link, int depth)
{
	if (depth >= MAXSYMLINKS)
		return -ELOOP;
	char *target = kmalloc(PATH_MAX);
	if (!target)
		return -ENOMEM;
	int err = link->ops->readlink(link, target, PATH_MAX);
	if (err >= 0) {
		struct fs_node start = *cur;
		err = walk(&start, target, LOOKUP_FOLLOW, depth + 1);
		if (!err)
			*link = start;
	}
	kfree(target);
	return err;
}

/* Copy the component at *path into name and move *path past it: its length or -errno. */
static int next_component(const char **path, char *name)
{
	size_t len = 0;

	while ((*path)[len] && (*path)[len] != '/')
		len++;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, *path, len);
	name[len] = '\0';
	*path += len;
	return len;
}

/* Resolve path from *cur, leaving the result in *cur. */
static int walk(struct fs_node *cur, const char *path, unsigned flags, int depth)
{
	char name[NAME_MAX + 1];

	if (*path == '/')
		fs_root(cur);
	for (;;) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		int len = next_component(&path, name);
		if (len < 0)
			return len;
		bool trailing_slash = *path == '/';
		const char *rest = path;
		while (*rest == '/')
			rest++;
		bool last = !*rest;
		if (!S_ISDIR(cur->mode))
			return -ENOTDIR;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			cur->ops->parent(cur, cur);
			continue;
		}
		struct fs_node next;
		int err = cur->ops->lookup(cur, name, &next);
		if (err)
			return err;
		/* A link in the middle is always followed; the last one if asked
		 * to, or if a trailing slash says it must be a directory. */
		if (S_ISLNK(next.mode) && (!last || trailing_slash || (flags & LOOKUP_FOLLOW))) {
			err = follow_link(cur, &next, depth);
			if (err)
				return err;
		}
		if (last && trailing_slash && !S_ISDIR(next.mode))
			return -ENOTDIR;
		*cur = next;
	}
	if ((flags & LOOKUP_DIRECTORY) && !S_ISDIR(cur->mode))
		return -ENOTDIR;
	return 0;
}

int path_lookup(const struct fs_node *base, const char *path, unsigned flags,
		struct fs_node *out)
{
	struct fs_node cur = *base;

	if (!*path)
		return -ENOENT;               /* "" names nothing (no AT_EMPTY_PATH here) */
	int err = walk(&cur, path, flags, 0);
	if (!err)
		*out = cur;
	return err;
}

void fs_getattr(const struct fs_node *n, struct kstat *st)
{
	*st = (struct kstat){ .ino = n->ino, .mode = n->mode, .nlink = 1 };
	if (n->ops && n->ops->getattr)      /* the shared console file has no file system */
		n->ops->getattr(n, st);
}
