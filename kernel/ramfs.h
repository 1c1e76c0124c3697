/*
 * ramfs: the root file tree, in memory and read-only (see fs.h).
 *
 * init builds it once, before the first program runs, from the GRUB
 * modules: each bundled program becomes /bin/NAME, each file added with
 * run-elf --add goes where it said. A regular file's bytes are the
 * module's, in place (the module's memory is reserved for good). After
 * that nothing changes it, so readers take no lock.
 */
#pragma once
#include "kernel/fs.h"

struct file;

/*
 * The empty tree: /, /bin, /dev with null, console and tty, /proc (procfs),
 * and /sys/kernel/mm/transparent_hugepage/ (files generated at open).
 */
void ramfs_init(void);

/*
 * Add a regular file at path (absolute; missing directories are made),
 * its contents data[0..size), mode S_IFREG | perm. 0, -EEXIST, -ENOMEM,
 * -ENOTDIR (a component is a file), -EINVAL (not an absolute path).
 */
int ramfs_add_file(const char *path, const void *data, size_t size, u32 perm);
/* Add a symlink at path pointing to target: 0 or -errno as above. */
int ramfs_add_symlink(const char *path, const char *target);

/* The device behind a character-device node: set f's ops (kernel/file.c). */
int console_open(struct file *f);
int null_open(struct file *f);
