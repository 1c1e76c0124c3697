/* Tests of kernel/file.c: descriptor tables and /proc snapshots. */
#include "kernel/file.h"
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

KTEST(files_fd_table)
{
	unsigned long free_before = nr_free_pages_settled();
	struct files_struct *files = files_create();
	struct file *f;

	KT_ASSERT(files != NULL);
	KT_EXPECT(fget(files, 1) != NULL);
	fput(files->fd[1]);
	KT_EXPECT(fget(files, 3) == NULL);             /* EBADF */
	KT_EXPECT(fget(files, -1) == NULL);
	KT_EXPECT(fget(files, MAX_FDS) == NULL);
	KT_ASSERT_EQ(file_open(NULL, "/proc/meminfo", O_RDONLY, &f), 0);
	KT_EXPECT_EQ(fd_install(files, f), 3);         /* lowest free */
	KT_EXPECT_EQ(fd_close(files, 3), 0);
	KT_EXPECT_EQ(fd_close(files, 3), -EBADF);      /* twice */
	KT_EXPECT_EQ(file_open(NULL, "/proc/nonesuch", O_RDONLY, &f), -ENOENT);
	files_destroy(files);
	KT_EXPECT_EQ(nr_free_pages_settled(), free_before);
}

KTEST(files_proc_read_snapshot)
{
	struct file *f;
	char buf[64];

	KT_ASSERT_EQ(file_open(NULL, "/proc/meminfo", O_RDONLY, &f), 0);
	ssize_t n = f->ops->read(f, buf, 9);
	KT_EXPECT_EQ(n, 9);
	KT_EXPECT(!memcmp(buf, "MemTotal:", 9));
	size_t total = 9;
	while ((n = f->ops->read(f, buf, sizeof(buf))) > 0)
		total += n;
	KT_EXPECT_EQ(n, 0);                            /* then end of file */
	KT_EXPECT_EQ(total, f->size);
	KT_EXPECT(f->ops->write == NULL);               /* read-only: write gives EBADF */
	fput(f);
}
