/* Tests of kernel/fs.c and kernel/ramfs.c: path lookup over the tree. */
#include "kernel/fs.h"
#include "kernel/ktest.h"
#include "kernel/ramfs.h"
#include "kernel/string.h"

static int lookup(const char *path, unsigned flags, struct fs_node *out)
{
	struct fs_node root;

	fs_root(&root);
	return path_lookup(&root, path, flags, out);
}

KTEST(fs_lookup_paths)
{
	struct fs_node a, b;

	KT_ASSERT_EQ(lookup("/", 0, &a), 0);
	KT_EXPECT(S_ISDIR(a.mode));
	KT_ASSERT_EQ(lookup("/proc/..", 0, &b), 0);        /* ".." of a mount: back in ramfs */
	KT_EXPECT_EQ(b.ino, a.ino);
	KT_ASSERT_EQ(lookup("//proc/./", 0, &a), 0);
	KT_ASSERT_EQ(lookup("/proc", 0, &b), 0);
	KT_EXPECT(S_ISDIR(a.mode) && a.ino == b.ino);
	KT_ASSERT_EQ(lookup("/proc//meminfo", 0, &a), 0);
	KT_EXPECT(S_ISREG(a.mode));
	KT_ASSERT_EQ(lookup("/dev/null", 0, &a), 0);
	KT_EXPECT(S_ISCHR(a.mode));
	KT_EXPECT_EQ(lookup("/nonexistent", 0, &a), -ENOENT);
	KT_EXPECT_EQ(lookup("/proc/meminfo/x", 0, &a), -ENOTDIR);
	KT_EXPECT_EQ(lookup("/proc/meminfo/", 0, &a), -ENOTDIR);
	KT_EXPECT_EQ(lookup("/dev/null", LOOKUP_DIRECTORY, &a), -ENOTDIR);
	KT_EXPECT_EQ(lookup("", 0, &a), -ENOENT);
	char name[NAME_MAX + 3] = "/";
	memset(name + 1, 'x', NAME_MAX + 1);
	name[NAME_MAX + 2] = '\0';
	KT_EXPECT_EQ(lookup(name, 0, &a), -ENAMETOOLONG);
}

KTEST(fs_symlinks)
{
	struct fs_node a, b;
	char buf[64];

	/* The tree is read-only for programs; a test may still add to it. */
	ramfs_add_symlink("/ktest/fs/loop", "loop");
	ramfs_add_symlink("/ktest/fs/up", "../fs/to-proc");
	ramfs_add_symlink("/ktest/fs/to-proc", "/proc");
	KT_EXPECT_EQ(lookup("/ktest/fs/loop", LOOKUP_FOLLOW, &a), -ELOOP);
	KT_ASSERT_EQ(lookup("/ktest/fs/loop", 0, &a), 0);      /* not followed: the link itself */
	KT_EXPECT(S_ISLNK(a.mode));
	KT_ASSERT_EQ(lookup("/ktest/fs/up/meminfo", 0, &a), 0); /* two links, one relative */
	KT_ASSERT_EQ(lookup("/proc/meminfo", 0, &b), 0);
	KT_EXPECT_EQ(a.ino, b.ino);
	KT_ASSERT_EQ(lookup("/ktest/fs/up/", 0, &a), 0);        /* a trailing slash follows */
	KT_EXPECT(S_ISDIR(a.mode));
	KT_ASSERT_EQ(lookup("/ktest/fs", 0, &a), 0);
	KT_EXPECT_EQ(a.ops->path(&a, buf, sizeof(buf)), 9);
	KT_EXPECT(!strcmp(buf, "/ktest/fs"));
	KT_EXPECT_EQ(ramfs_add_symlink("/ktest/fs/loop", "x"), -EEXIST);
	KT_EXPECT_EQ(ramfs_add_symlink("/ktest/fs/loop/x", "x"), -ENOTDIR);
	KT_EXPECT_EQ(ramfs_add_symlink("relative", "x"), -EINVAL);
}
