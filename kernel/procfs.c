/*
 * procfs (see procfs.h). Every node is (kind, pid, tid): which entry, and
 * about which process and thread. The entries of each directory are a
 * table; the numbered directories come from the process list.
 */
#include "kernel/procfs.h"
#include "arch/x86_64/rtc.h"
#include "kernel/file.h"
#include "kernel/percpu.h"
#include "kernel/process.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"
#include "mm/huge_memory.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/ptdump.h"
#include "mm/slab.h"

#define PROC_DEV 0x0016          /* st_dev of every /proc node */
#define PROC_FILE_MAX 16384      /* a snapshot longer than this is cut */
#define USER_HZ 100              /* clock ticks in /proc (Linux's USER_HZ) */

enum proc_kind {
	PROC_ROOT, PROC_PID_DIR, PROC_TASK_DIR, PROC_TID_DIR,   /* directories */
	PROC_SELF, PROC_THREAD_SELF, PROC_CWD, PROC_EXE,        /* symlinks */
	PROC_FILE,                                              /* files: kind >= PROC_FILE */
};

/* What a file's text is made from: the process and thread, NULL/0 for /proc's own files. */
typedef size_t (*proc_show_fn)(char *buf, size_t size, struct process *p, int tid);

struct proc_entry {
	const char *name;
	int kind;                    /* enum proc_kind, or PROC_FILE for a file */
	proc_show_fn show;
};

static const struct fs_ops proc_ops;

/* Append to buf like snprintf, never past size; returns the new length. */
static __printf(4, 5) size_t append(char *buf, size_t size, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	len += vsnprintf(buf + len, len < size ? size - len : 0, fmt, ap);
	va_end(ap);
	return len;
}

/* ---- /proc's own files ---- */

size_t proc_meminfo_show(char *buf, size_t size)
{
	unsigned long kb_per_page = PAGE_SIZE / 1024;
	size_t n = 0;

	/* Linux pads the label to 16 columns and the number to 8. */
	n = append(buf, size, n, "MemTotal:       %8lu kB\n", totalram_pages() * kb_per_page);
	n = append(buf, size, n, "MemFree:        %8lu kB\n", nr_free_pages() * kb_per_page);
	n = append(buf, size, n, "MemAvailable:   %8lu kB\n", nr_free_pages() * kb_per_page);
	n = append(buf, size, n, "PageTables:     %8lu kB\n",
		   (unsigned long)vm_state_read(NR_PAGE_TABLE_PAGES) * kb_per_page);
	n = append(buf, size, n, "AnonHugePages:  %8lu kB\n",
		   (unsigned long)vm_state_read(NR_ANON_THPS) * (PMD_SIZE / 1024));
	/* No swap and no page cache here. */
	n = append(buf, size, n, "Buffers:        %8lu kB\n", 0ul);
	n = append(buf, size, n, "Cached:         %8lu kB\n", 0ul);
	n = append(buf, size, n, "SwapTotal:      %8lu kB\n", 0ul);
	n = append(buf, size, n, "SwapFree:       %8lu kB\n", 0ul);
	return n;
}

static size_t show_meminfo(char *buf, size_t size, struct process *p, int tid)
{
	return proc_meminfo_show(buf, size);
}

static size_t show_vmstat(char *buf, size_t size, struct process *p, int tid)
{
	return vmstat_show(buf, size);
}

static size_t show_uptime(char *buf, size_t size, struct process *p, int tid)
{
	u64 cs = ktime_ns() / 10000000;          /* hundredths of a second */
	return append(buf, size, 0, "%lu.%02lu 0.00\n", cs / 100, cs % 100);
}

/* No load average is kept: zeros, then running/total threads and the last pid. */
static size_t show_loadavg(char *buf, size_t size, struct process *p, int tid)
{
	return append(buf, size, 0, "0.00 0.00 0.00 1/%d %d\n", nr_threads(),
		      process_next_pid(0));
}

static size_t show_stat(char *buf, size_t size, struct process *p, int tid)
{
	size_t n = append(buf, size, 0, "cpu  0 0 0 0 0 0 0 0 0 0\n");

	for (int cpu = 0; cpu < nr_cpus; cpu++)
		n = append(buf, size, n, "cpu%d 0 0 0 0 0 0 0 0 0 0\n", cpu);
	n = append(buf, size, n, "btime %lu\nprocesses %d\nprocs_running 1\n",
		   (unsigned long)(rtc_boot_epoch_ns() / 1000000000), nr_processes());
	return n;
}

static size_t show_mounts(char *buf, size_t size, struct process *p, int tid)
{
	return append(buf, size, 0, "rootfs / ramfs ro 0 0\nproc /proc proc ro 0 0\n");
}

static size_t show_version(char *buf, size_t size, struct process *p, int tid)
{
	return append(buf, size, 0, "Linux version 6.18.0-quiesce (Quiesce teaching kernel)\n");
}

/* ---- a process's files ---- */


/* What /proc says about a process's memory, read from an mm it holds a count on. */
struct mm_numbers {
	unsigned long vm_pages, start_stack;
	long rss, pte_bytes;
};

static struct mm_numbers mm_numbers(struct process *p)
{
	struct mm_numbers n = { 0 };
	struct mm_struct *mm = process_get_mm(p);   /* NULL before the first exec */

	if (mm) {
		n = (struct mm_numbers){ total_vm_pages(mm), mm->start_stack, get_mm_rss(mm),
					 mm_pgtables_bytes(mm) };
		mmdrop(mm);
	}
	return n;
}

static size_t show_status(char *buf, size_t size, struct process *p, int tid)
{
	size_t n = 0;
	char state = process_state(p);
	struct mm_numbers m = mm_numbers(p);

	n = append(buf, size, n, "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\n", p->name, p->umask,
		   state, state == 'R' ? "running" : state == 'Z' ? "zombie" : "sleeping");
	n = append(buf, size, n, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n",
		   p->pid, tid ? tid : p->pid, p->ppid);
	n = append(buf, size, n, "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	/* Linux prints these as "%8lu kB" after the tab. */
	unsigned long kb = PAGE_SIZE / 1024;
	n = append(buf, size, n, "VmSize:\t%8lu kB\n", m.vm_pages * kb);
	n = append(buf, size, n, "VmRSS:\t%8lu kB\n", m.rss * kb);
	n = append(buf, size, n, "RssAnon:\t%8lu kB\n", m.rss * kb);
	n = append(buf, size, n, "VmPTE:\t%8lu kB\n", m.pte_bytes / 1024);
	n = append(buf, size, n, "Threads:\t%d\n", READ_ONCE(p->nr_threads));
	return n;
}

/*
 * Linux's 52 fields; what Quiesce does not keep (CPU times, faults,
 * signals) is 0. Busybox ps reads state, ppid, pgrp, session, tty,
 * times, priority, threads, start time, vsize and rss.
 */
static size_t show_stat_pid(char *buf, size_t size, struct process *p, int tid)
{
	struct mm_numbers m = mm_numbers(p);
	size_t n = append(buf, size, 0, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 %d 0 ",
			  tid ? tid : p->pid, p->name, process_state(p), p->ppid, p->pgid,
			  p->sid, READ_ONCE(p->nr_threads));
	n = append(buf, size, n, "%lu %lu %ld 18446744073709551615 ",
		   (unsigned long)(p->start_ns / (1000000000 / USER_HZ)), m.vm_pages * PAGE_SIZE,
		   m.rss);
	n = append(buf, size, n, "0 0 %lu 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		   m.start_stack);
	return n;
}

static size_t show_statm(char *buf, size_t size, struct process *p, int tid)
{
	struct mm_numbers m = mm_numbers(p);
	return append(buf, size, 0, "%lu %ld 0 0 0 0 0\n", m.vm_pages, m.rss);
}

/*
 * /proc/PID/smaps_rollup: the sums over every VMA. Every page here is
 * anonymous, private and dirty, so every sum that Linux splits by kind is
 * the RSS or zero (shared pages after a fork count in full on each side,
 * as Linux's Rss does; Pss would halve them: not modelled).
 */
static size_t show_smaps_rollup(char *buf, size_t size, struct process *p, int tid)
{
	static const char *const rss_lines[] = {
		"Rss", "Pss", "Pss_Dirty", "Pss_Anon", "Private_Dirty", "Referenced", "Anonymous",
	};
	static const char *const zero_lines[] = {
		"Pss_File", "Pss_Shmem", "Shared_Clean", "Shared_Dirty", "Private_Clean", "KSM",
		"LazyFree", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb",
		"Private_Hugetlb", "Swap", "SwapPss", "Locked",
	};
	struct mm_struct *mm = process_get_mm(p);
	unsigned long start = 0, end = 0, rss_kb = 0, huge_kb = 0;
	size_t n = 0;

	if (mm) {
		down_read(&mm->mmap_lock);
		if (!list_empty(&mm->vma_list)) {
			start = list_first_entry(&mm->vma_list, struct vm_area_struct, vm_list)->vm_start;
			end = list_last_entry(&mm->vma_list, struct vm_area_struct, vm_list)->vm_end;
		}
		up_read(&mm->mmap_lock);
		rss_kb = get_mm_rss(mm) * (PAGE_SIZE / 1024);
		huge_kb = get_mm_thp_pmds(mm) * (PMD_SIZE / 1024);
		mmdrop(mm);
	}
	/* Linux pads the first line to column 73 and each label to 16 columns. */
	n = append(buf, size, n, "%08lx-%08lx ---p 00000000 00:00 0", start, end);
	n = append(buf, size, n, "%*s[rollup]\n", n < 73 ? (int)(73 - n) : 1, "");
	for (size_t i = 0; i < ARRAY_SIZE(rss_lines); i++)
		n = append(buf, size, n, "%s:%*s%8lu kB\n", rss_lines[i],
			   (int)(15 - strlen(rss_lines[i])), "", rss_kb);
	n = append(buf, size, n, "AnonHugePages:  %8lu kB\n", huge_kb);
	for (size_t i = 0; i < ARRAY_SIZE(zero_lines); i++)
		n = append(buf, size, n, "%s:%*s%8lu kB\n", zero_lines[i],
			   (int)(15 - strlen(zero_lines[i])), "", 0ul);
	return n;
}

/* /proc/PID/pagetable: the process's page tables, one line per table (mm/ptdump.h). */
static size_t show_pagetable(char *buf, size_t size, struct process *p, int tid)
{
	struct mm_struct *mm = process_get_mm(p);
	size_t n;

	if (!mm)
		return 0;
	n = ptdump_show(mm, p->pid, p->name, buf, size);
	mmdrop(mm);
	return n;
}

static size_t show_cmdline(char *buf, size_t size, struct process *p, int tid)
{
	size_t n = MIN(p->cmdline_len, size);
	memcpy(buf, p->cmdline, n);
	return n;
}

static size_t show_comm(char *buf, size_t size, struct process *p, int tid)
{
	return append(buf, size, 0, "%s\n", p->name);
}

/*
 * The name Linux gives an anonymous mapping, or NULL. [heap]: the VMA
 * overlaps the heap [start_brk, brk) -- an empty heap has none (Linux
 * names the VMA touching start_brk, but there the data segment before it
 * is a file mapping and named after the file first).
 */
static const char *vma_name(struct mm_struct *mm, struct vm_area_struct *vma)
{
	if (vma->vm_start < mm->brk && vma->vm_end > mm->start_brk)
		return "[heap]";
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		return "[stack]";
	return NULL;
}

/*
 * One line per VMA: "start-end perms offset dev inode", padded to column
 * 73 when a name follows. Every mapping here is anonymous and private
 * (the program's segments are copies, kernel/exec.c): offset, device and
 * inode are 0, as Linux shows for anonymous memory.
 */
static size_t show_maps(char *buf, size_t size, struct process *p, int tid)
{
	struct mm_struct *mm = process_get_mm(p);
	struct vm_area_struct *vma;
	size_t n = 0;

	if (!mm)
		return 0;
	down_read(&mm->mmap_lock);
	for_each_vma(mm, vma) {
		unsigned long f = vma->vm_flags;
		size_t start = n;
		n = append(buf, size, n, "%08lx-%08lx %c%c%cp 00000000 00:00 0", vma->vm_start,
			   vma->vm_end, f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-',
			   f & VM_EXEC ? 'x' : '-');
		const char *name = vma_name(mm, vma);
		if (name)
			n = append(buf, size, n, "%*s%s", (int)(73 - MIN(n - start, 73ul)), "", name);
		n = append(buf, size, n, "\n");
	}
	up_read(&mm->mmap_lock);
	mmdrop(mm);
	return n;
}

/* ---- the directory tables ---- */

static const struct proc_entry root_entries[] = {
	{ "self", PROC_SELF, NULL }, { "thread-self", PROC_THREAD_SELF, NULL },
	{ "meminfo", PROC_FILE, show_meminfo }, { "vmstat", PROC_FILE, show_vmstat },
	{ "uptime", PROC_FILE, show_uptime }, { "loadavg", PROC_FILE, show_loadavg },
	{ "stat", PROC_FILE, show_stat }, { "mounts", PROC_FILE, show_mounts },
	{ "version", PROC_FILE, show_version },
};

static const struct proc_entry pid_entries[] = {
	{ "status", PROC_FILE, show_status }, { "stat", PROC_FILE, show_stat_pid },
	{ "statm", PROC_FILE, show_statm }, { "cmdline", PROC_FILE, show_cmdline },
	{ "comm", PROC_FILE, show_comm }, { "maps", PROC_FILE, show_maps },
	{ "smaps_rollup", PROC_FILE, show_smaps_rollup }, { "cwd", PROC_CWD, NULL }, { "exe", PROC_EXE, NULL }, { "task", PROC_TASK_DIR, NULL },
	{ "pagetable", PROC_FILE, show_pagetable },
};

static const struct proc_entry tid_entries[] = {
	{ "status", PROC_FILE, show_status }, { "stat", PROC_FILE, show_stat_pid },
	{ "comm", PROC_FILE, show_comm },
};

/* A file's kind is PROC_FILE + its index in one table; which table, its directory says. */
enum { TABLE_ROOT, TABLE_PID, TABLE_TID };
#define FILE_KIND(table, i) (PROC_FILE + (table) * 32 + (i))

static const struct proc_entry *file_entry(int kind)
{
	int table = (kind - PROC_FILE) / 32, i = (kind - PROC_FILE) % 32;

	if (table == TABLE_ROOT)
		return &root_entries[i];
	return table == TABLE_PID ? &pid_entries[i] : &tid_entries[i];
}

static u32 kind_mode(int kind)
{
	if (kind >= PROC_FILE)
		return S_IFREG | 0444;
	return kind <= PROC_TID_DIR ? S_IFDIR | 0555 : S_IFLNK | 0777;
}

static void make_node(int kind, int pid, int tid, struct fs_node *out)
{
	*out = (struct fs_node){
		.ops = &proc_ops, .mode = kind_mode(kind), .kind = kind, .pid = pid, .tid = tid,
		.ino = ((u64)pid << 40) + ((u64)tid << 12) + kind + 1,
	};
}

void procfs_root(struct fs_node *out)
{
	make_node(PROC_ROOT, 0, 0, out);
}

/* ---- the file system operations ---- */

/* A decimal pid or tid as a directory name: its value, or -1. */
static int parse_id(const char *name)
{
	unsigned long v;

	if (name[0] < '1' || name[0] > '9' || parse_ulong(name, &v) || v > 0x7fffffff)
		return -1;
	return (int)v;
}

static bool process_alive(int pid)
{
	struct process *p = process_find(pid);

	if (p)
		process_put(p);
	return p != NULL;
}

static bool thread_alive(int pid, int tid)
{
	struct process *p = process_find(pid);
	bool alive = p && process_has_thread(p, tid);

	if (p)
		process_put(p);
	return alive;
}

/* The table of a directory kind, its length, and its TABLE_* number. */
static const struct proc_entry *dir_table(int kind, size_t *len, int *table)
{
	switch (kind) {
	case PROC_ROOT:
		*len = ARRAY_SIZE(root_entries), *table = TABLE_ROOT;
		return root_entries;
	case PROC_PID_DIR:
		*len = ARRAY_SIZE(pid_entries), *table = TABLE_PID;
		return pid_entries;
	case PROC_TID_DIR:
		*len = ARRAY_SIZE(tid_entries), *table = TABLE_TID;
		return tid_entries;
	default:
		*len = 0, *table = 0;
		return NULL;
	}
}

static void table_node(const struct proc_entry *e, int table, int i, int pid, int tid,
		       struct fs_node *out)
{
	make_node(e->kind == PROC_FILE ? FILE_KIND(table, i) : e->kind, pid, tid, out);
}

static int proc_lookup(const struct fs_node *dir, const char *name, struct fs_node *out)
{
	size_t len;
	int table, id = parse_id(name);
	const struct proc_entry *t = dir_table(dir->kind, &len, &table);

	if (dir->pid && !process_alive(dir->pid))
		return -ENOENT;              /* the process exited since the directory was found */
	for (size_t i = 0; i < len; i++) {
		if (!strcmp(name, t[i].name)) {
			table_node(&t[i], table, i, dir->pid, dir->tid, out);
			return 0;
		}
	}
	if (dir->kind == PROC_ROOT && id > 0 && process_alive(id)) {
		make_node(PROC_PID_DIR, id, 0, out);
		return 0;
	}
	if (dir->kind == PROC_TASK_DIR && id > 0 && thread_alive(dir->pid, id)) {
		make_node(PROC_TID_DIR, dir->pid, id, out);
		return 0;
	}
	return -ENOENT;
}

static void proc_parent(const struct fs_node *dir, struct fs_node *out)
{
	switch (dir->kind) {
	case PROC_ROOT:
		fs_root(out);
		break;
	case PROC_PID_DIR:
		procfs_root(out);
		break;
	case PROC_TASK_DIR:
		make_node(PROC_PID_DIR, dir->pid, 0, out);
		break;
	default:
		make_node(PROC_TASK_DIR, dir->pid, 0, out);
	}
}

/* The smallest tid >= from of a live thread of pid, or 0. */
static int next_tid(int pid, int from)
{
	struct process *p = process_find(pid);
	struct thread *t;
	int best = 0;

	if (!p)
		return 0;
	spin_lock(&p->lock);
	list_for_each_entry(t, &p->threads, process_node)
		if (t->tid >= from && (!best || t->tid < best))
			best = t->tid;
	spin_unlock(&p->lock);
	process_put(p);
	return best;
}

/*
 * Positions: 0 ".", 1 "..", then the table, then the numbered entries at
 * table end + their number, so that a process created or gone between two
 * getdents calls moves no other entry.
 */
static int proc_readdir(const struct fs_node *dir, u64 *pos, char *name, struct fs_node *out)
{
	size_t len;
	int table;
	const struct proc_entry *t = dir_table(dir->kind, &len, &table);

	if (*pos < 2) {
		strlcpy(name, *pos == 0 ? "." : "..", NAME_MAX + 1);
		if (*pos == 0)
			*out = *dir;
		else
			proc_parent(dir, out);
		(*pos)++;
		return 1;
	}
	if (*pos < 2 + len) {
		int i = *pos - 2;
		strlcpy(name, t[i].name, NAME_MAX + 1);
		table_node(&t[i], table, i, dir->pid, dir->tid, out);
		(*pos)++;
		return 1;
	}
	u64 base = 2 + len;
	int id = 0;
	if (dir->kind == PROC_ROOT)
		id = process_next_pid(*pos - base);
	else if (dir->kind == PROC_TASK_DIR)
		id = next_tid(dir->pid, *pos - base);
	if (!id)
		return 0;
	snprintf(name, NAME_MAX + 1, "%d", id);
	if (dir->kind == PROC_ROOT)
		make_node(PROC_PID_DIR, id, 0, out);
	else
		make_node(PROC_TID_DIR, dir->pid, id, out);
	*pos = base + id + 1;
	return 1;
}

static int proc_readlink(const struct fs_node *n, char *buf, size_t size)
{
	struct process *me = current_process();
	int len;

	switch (n->kind) {
	case PROC_SELF:
		if (!me)
			return -ENOENT;          /* a kernel thread has no self */
		len = snprintf(buf, size, "%d", me->pid);
		break;
	case PROC_THREAD_SELF:
		if (!me)
			return -ENOENT;
		len = snprintf(buf, size, "%d/task/%d", me->pid, current->tid);
		break;
	case PROC_CWD: {
		struct process *p = process_find(n->pid);
		if (!p)
			return -ENOENT;
		spin_lock(&p->lock);
		struct fs_node cwd = p->cwd;
		spin_unlock(&p->lock);
		process_put(p);
		len = cwd.ops->path(&cwd, buf, size);
		break;
	}
	case PROC_EXE: {
		struct process *p = process_find(n->pid);
		if (!p)
			return -ENOENT;
		spin_lock(&p->lock);
		len = strlcpy(buf, p->exe, size);
		spin_unlock(&p->lock);
		process_put(p);
		break;
	}
	default:
		return -ENOENT;
	}
	return len < (int)size ? len : -ENAMETOOLONG;
}

/* Open a file: make its text now, from the process it is about. */
static int proc_open(const struct fs_node *n, struct file *f)
{
	struct process *p = NULL;

	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if (n->kind < PROC_FILE) {
		f->ops = &dir_file_ops;
		return 0;
	}
	if (n->pid && !(p = process_find(n->pid)))
		return -ENOENT;
	int err = -ENOENT;
	if (p && n->tid && !process_has_thread(p, n->tid))
		goto out;
	err = -ENOMEM;
	proc_show_fn show = file_entry(n->kind)->show;
	size_t room = show == show_pagetable ? PTDUMP_MAX : PROC_FILE_MAX;   /* the one big file */
	if (!(f->buffer = kmalloc(room)))
		goto out;
	f->ops = &data_file_ops;
	f->data = f->buffer;
	f->size = MIN(show(f->buffer, room, p, n->tid), room);
	err = 0;
out:
	if (p)
		process_put(p);
	return err;
}

static void proc_getattr(const struct fs_node *n, struct kstat *st)
{
	st->dev = PROC_DEV;
	st->nlink = S_ISDIR(n->mode) ? 2 : 1;
}

static int proc_path(const struct fs_node *n, char *buf, size_t size)
{
	switch (n->kind) {
	case PROC_PID_DIR:
		return snprintf(buf, size, "/proc/%d", n->pid);
	case PROC_TASK_DIR:
		return snprintf(buf, size, "/proc/%d/task", n->pid);
	case PROC_TID_DIR:
		return snprintf(buf, size, "/proc/%d/task/%d", n->pid, n->tid);
	default:
		return snprintf(buf, size, "/proc");
	}
}

static const struct fs_ops proc_ops = {
	.lookup = proc_lookup, .parent = proc_parent, .readdir = proc_readdir,
	.readlink = proc_readlink, .open = proc_open, .getattr = proc_getattr,
	.path = proc_path,
};
