/* /proc file contents (see procfs.h). */
#include "kernel/procfs.h"
#include "kernel/process.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"
#include "mm/huge_memory.h"
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
	n = append(buf, size, n, "AnonHugePages:  %8lu kB\n",
		   (unsigned long)vm_state_read(NR_ANON_THPS) * (PMD_SIZE / 1024));
	return n;
}

size_t proc_smaps_rollup_show(char *buf, size_t size, const struct proc_smaps_info *p)
{
	/* Every page is anonymous, private, dirty and mapped once: they all get the RSS. */
	static const char *const rss_lines[] = {
		"Rss", "Pss", "Pss_Dirty", "Pss_Anon", "Private_Dirty", "Referenced", "Anonymous",
	};
	static const char *const zero_lines[] = {
		"Pss_File", "Pss_Shmem", "Shared_Clean", "Shared_Dirty", "Private_Clean", "KSM",
		"LazyFree", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb",
		"Private_Hugetlb", "Swap", "SwapPss", "Locked",
	};
	size_t n = 0;

	/* Linux pads the first line to column 73 and each label to 16 columns. */
	n = append(buf, size, n, "%08lx-%08lx ---p 00000000 00:00 0", p->start, p->end);
	n = append(buf, size, n, "%*s[rollup]\n", n < 73 ? (int)(73 - n) : 1, "");
	for (size_t i = 0; i < ARRAY_SIZE(rss_lines); i++)
		n = append(buf, size, n, "%s:%*s%8lu kB\n", rss_lines[i],
			   (int)(15 - strlen(rss_lines[i])), "", p->rss_kb);
	n = append(buf, size, n, "AnonHugePages:  %8lu kB\n", p->anon_huge_kb);
	for (size_t i = 0; i < ARRAY_SIZE(zero_lines); i++)
		n = append(buf, size, n, "%s:%*s%8lu kB\n", zero_lines[i],
			   (int)(15 - strlen(zero_lines[i])), "", 0ul);
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
	{ "/proc/self/smaps_rollup", process_smaps_rollup_show },
	{ "/sys/kernel/mm/transparent_hugepage/enabled", thp_enabled_show },
	{ "/sys/kernel/mm/transparent_hugepage/use_zero_page", thp_use_zero_page_show },
	{ "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", thp_hpage_pmd_size_show },
	{ "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs",
	  khugepaged_scan_sleep_show },
	{ "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_collapsed",
	  khugepaged_pages_collapsed_show },
	{ "/sys/kernel/mm/transparent_hugepage/khugepaged/full_scans", khugepaged_full_scans_show },
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
