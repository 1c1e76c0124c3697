/*
 * procfs: /proc, generated from the kernel's state (see fs.h).
 *
 *   /proc/meminfo vmstat uptime loadavg stat mounts version
 *   /proc/self -> PID          /proc/thread-self -> PID/task/TID
 *   /proc/PID/  status stat statm cmdline comm maps smaps_rollup pagetable cwd exe task/
 *   /proc/PID/task/TID/  status stat comm
 *
 * in Linux's formats, so one program reads the same keys on Linux and on
 * Quiesce (docs/design.md, section 10). A file's text is made when it is
 * opened (a snapshot) and read from that buffer. Directories are listed
 * afresh on every getdents; a process that exits between a lookup and an
 * open makes the open fail with ENOENT.
 */
#pragma once
#include "kernel/fs.h"

/* The root of /proc (ramfs mounts it at /proc). */
void procfs_root(struct fs_node *out);

/* The text of /proc/meminfo, for tests. */
size_t proc_meminfo_show(char *buf, size_t size);
