/*
 * proc.c - reading one number out of a /proc file.
 *
 * Tests check the kernel's own accounting (VmRSS, VmPTE, PageTables,
 * pgfault) the way one reads it on Linux, so the same program gives
 * comparable figures on both kernels. Each call reads the file afresh: the
 * values change from one moment to the next.
 */
#include "user.h"

/* Reads the whole file (up to size - 1 bytes) into buf as a string;
 * returns its length or -errno. */
long proc_read(const char *path, char *buf, size_t size)
{
	long fd = sys_open(path, O_RDONLY | O_CLOEXEC);
	long n, len = 0;

	if (fd < 0)
		return fd;
	while ((size_t)len < size - 1 &&
	       (n = sys_read((int)fd, buf + len, size - 1 - len)) > 0)
		len += n;
	sys_close((int)fd);
	buf[len] = '\0';
	return len;
}

/* Finds a line "<key><sep>..." and returns the number after it, or -1. */
static long find_field(const char *path, const char *key, char sep)
{
	char buf[16384];          /* /proc/vmstat is the longest, ~6 KiB */
	size_t klen = strlen(key);

	if (proc_read(path, buf, sizeof(buf)) < 0)
		return -1;
	for (const char *line = buf; line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == sep)
			return atol(line + klen + 1);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

long proc_status_kb(const char *field)
{
	return find_field("/proc/self/status", field, ':');
}

long meminfo_kb(const char *field)
{
	return find_field("/proc/meminfo", field, ':');
}

long vmstat(const char *name)
{
	return find_field("/proc/vmstat", name, ' ');
}

long smaps_rollup_kb(const char *field)
{
	return find_field("/proc/self/smaps_rollup", field, ':');
}

const char *thp_enabled(void)
{
	static const char *const modes[] = { "always", "madvise", "never" };
	char buf[64];

	if (proc_read("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)) < 0)
		return NULL;
	for (int i = 0; i < 3; i++) {
		char want[16];
		snprintf(want, sizeof(want), "[%s]", modes[i]);
		if (strstr(buf, want))
			return modes[i];
	}
	return NULL;
}
