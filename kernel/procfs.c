/* /proc file contents (see procfs.h). */
#include "kernel/procfs.h"
#include "kernel/process.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/page_alloc.h"

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
};

proc_show_fn procfs_lookup(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(proc_files); i++)
		if (!strcmp(path, proc_files[i].path))
			return proc_files[i].show;
	return NULL;
}
