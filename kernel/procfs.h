/*
 * The read-only /proc files, in Linux's formats, so one test program reads
 * the same keys on Linux and on Quiesce (docs/design.md, section 8); and
 * the few /sys files a program asks to know what to expect (THP).
 *
 * A file's text is generated when it is opened (a snapshot) and read from
 * that buffer.
 */
#pragma once
#include "kernel/types.h"

/* What /proc/self/status reports about a process. */
struct proc_status_info {
	const char *name;
	int pid, ppid;
	int threads;
	unsigned long vm_size_kb;      /* total size of the VMAs */
	unsigned long rss_kb;          /* resident pages */
	unsigned long pte_kb;          /* page-table pages of the mm (VmPTE) */
};

size_t proc_status_show(char *buf, size_t size, const struct proc_status_info *info);
size_t proc_meminfo_show(char *buf, size_t size);

/* What /proc/self/smaps_rollup reports: the sums over every VMA. */
struct proc_smaps_info {
	unsigned long start, end;      /* the first VMA's start, the last one's end */
	unsigned long rss_kb;          /* resident pages, all anonymous and private */
	unsigned long anon_huge_kb;    /* of which mapped by huge PMDs */
};

size_t proc_smaps_rollup_show(char *buf, size_t size, const struct proc_smaps_info *info);

/* Room for a /proc file's text, unless its entry says more (the page-table dump). */
#define PROC_FILE_MAX 8192

/*
 * The generator of a /proc path, or NULL if there is no such file; *max
 * gets the room its text needs. "/proc/<own pid>/..." is "/proc/self/...".
 */
typedef size_t (*proc_show_fn)(char *buf, size_t size);
proc_show_fn procfs_lookup(const char *path, size_t *max);
