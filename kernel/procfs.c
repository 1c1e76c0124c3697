/* /proc file contents (see procfs.h). */
#include "kernel/procfs.h"
#include "kernel/process.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/page_alloc.h"
#include "mm/ptdump.h"

/* Append to buf like snprintf, never past size; returns the new length. */
static __printf(4, 5) size_t append(char *buf, size_t size, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	len += vsnprintf(buf + len, len < size ? size - len : 0, fmt, ap);
	va_end(ap);
	return len;
}

size_t proc_status_show(char *buf, size_t size, const struct proc_status_info *p)
{
	size_t n = 0;

	n = append(buf, size, n, "Name:\t%s\nUmask:\t0022\nState:\tR (running)\n", p->name);
	n = append(buf, size, n, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n",
		   p->pid, p->pid, p->ppid);
	n = append(buf, size, n, "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	/* Linux prints these as "%8lu kB" after the tab. */
	n = append(buf, size, n, "VmSize:\t%8lu kB\n", p->vm_size_kb);
	n = append(buf, size, n, "VmRSS:\t%8lu kB\n", p->rss_kb);
	n = append(buf, size, n, "RssAnon:\t%8lu kB\n", p->rss_kb);
	n = append(buf, size, n, "VmPTE:\t%8lu kB\n", p->pte_kb);
	n = append(buf, size, n, "Threads:\t%d\n", p->threads);
	return n;
}

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
	return n;
}

static const struct {
	const char *path;
	proc_show_fn show;
} proc_files[] = {
	{ "/proc/self/status", process_status_show },
	{ "/proc/thread-self/status", process_status_show },
	{ "/proc/meminfo", proc_meminfo_show },
	{ "/proc/vmstat", vmstat_show },
	{ "/proc/self/pagetable", process_pagetable_show },
};

/*
 * "/proc/<pid>/NAME" with the caller's own pid is "/proc/self/NAME". No
 * other pid can be named: init runs one program at a time and there is no
 * fork, so the caller is the only user process there is (-ENOENT for the
 * rest, as Linux for a pid that does not exist). Returns the path to look
 * up: path itself, or self_path filled in.
 */
static const char *resolve_pid(const char *path, char *self_path, size_t size)
{
	const char *p = path + 6;          /* after "/proc/" */
	int pid = 0;

	if (strncmp(path, "/proc/", 6) || *p < '1' || *p > '9')
		return path;
	for (; *p >= '0' && *p <= '9' && pid < 1000000000; p++)
		pid = pid * 10 + (*p - '0');
	struct process *self = current_process();
	if (*p != '/' || !self || pid != self->pid)
		return NULL;
	snprintf(self_path, size, "/proc/self%s", p);
	return self_path;
}

proc_show_fn procfs_lookup(const char *path, size_t *max)
{
	char self_path[64];

	path = resolve_pid(path, self_path, sizeof(self_path));
	for (size_t i = 0; path && i < ARRAY_SIZE(proc_files); i++) {
		if (!strcmp(path, proc_files[i].path)) {
			proc_show_fn show = proc_files[i].show;
			/* Every file fits in PROC_FILE_MAX but the page-table dump. */
			*max = show == process_pagetable_show ? PTDUMP_MAX : PROC_FILE_MAX;
			return show;
		}
	}
	return NULL;
}
