/*
 * Open files: just enough for the bundled programs. File descriptors 0-2
 * are the serial console; open() can reach the read-only /proc files.
 * Every function here works on kernel buffers: the syscalls (kernel/
 * sys_file.c) copy to and from user memory around them.
 */
#pragma once
#include "kernel/spinlock.h"
#include "kernel/types.h"

#define MAX_FDS 64

struct file;

/* A NULL read or write: the file is not open that way (Linux's FMODE_READ/WRITE). */
struct file_ops {
	ssize_t (*read)(struct file *f, char *buf, size_t n);
	ssize_t (*write)(struct file *f, const char *buf, size_t n);
	void (*release)(struct file *f);
};

struct file {
	const struct file_ops *ops;
	int refcount;                /* fd slots pointing here; atomic */
	spinlock_t lock;             /* protects pos */
	size_t pos;
	char *data;                  /* a /proc file: its text, made at open */
	size_t size;
};

/* A process's descriptor table; shared by its threads (CLONE_FILES). */
struct files_struct {
	spinlock_t lock;             /* protects fd[] */
	struct file *fd[MAX_FDS];
};

/* A table with the console on 0, 1 and 2. */
struct files_struct *files_create(void);
/* Close every descriptor and free the table. */
void files_destroy(struct files_struct *files);

/* The file behind fd with a reference taken, or NULL (EBADF). */
struct file *fget(struct files_struct *files, int fd);
void fput(struct file *f);
/* Install f at the lowest free descriptor; returns it or -EMFILE. */
int fd_install(struct files_struct *files, struct file *f);
int fd_close(struct files_struct *files, int fd);

/* Open a /proc file by absolute path; -ENOENT if there is none. */
int proc_open(const char *path, struct file **out);
