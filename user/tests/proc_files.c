/*
 * proc_files - the /proc files tests read exist, hold the fields the
 * issue names, in Linux's exact format, with values that fit this process.
 *
 * Format matters because programs that run on Linux parse it: status lines
 * are "Key:\t" and, for sizes, the value right-aligned in 8 columns then
 * " kB" (Linux's "%8lu kB"); meminfo lines are "Key:", spaces, value, " kB";
 * vmstat lines are "name value".
 */
#include "check.h"

static char buf[16384];

static const char *next_line(const char *l)
{
	l = strchr(l, '\n');
	return l ? l + 1 : 0;
}

/* The line of buf starting with key, or NULL. */
static const char *find_line(const char *key)
{
	for (const char *l = buf; l; l = next_line(l))
		if (strncmp(l, key, strlen(key)) == 0)
			return l;
	return 0;
}

static size_t span(const char *s, const char *set)
{
	size_t n = 0;

	while (s[n] && strchr(set, s[n]))
		n++;
	return n;
}

/* "Key:\t" then exactly 8 columns of right-aligned digits, then " kB\n". */
static bool status_kb_format(const char *key)
{
	const char *l = find_line(key);

	if (!l)
		return false;
	l += strlen(key);
	if (*l++ != '\t')
		return false;
	size_t blanks = span(l, " "), digits = span(l + blanks, "0123456789");
	return digits > 0 && blanks + digits == 8 &&
	       strncmp(l + 8, " kB\n", 4) == 0;
}

/* "Key:", at least one space, digits, " kB\n". */
static bool meminfo_format(const char *key)
{
	const char *l = find_line(key);

	if (!l)
		return false;
	l += strlen(key);
	size_t blanks = span(l, " "), digits = span(l + blanks, "0123456789");
	return blanks > 0 && digits > 0 &&
	       strncmp(l + blanks + digits, " kB\n", 4) == 0;
}

/* Name is the program's file name, cut to 15 characters as Linux does. */
static void check_status(const char *argv0)
{
	const char *base = argv0;

	for (const char *s = argv0; *s; s++)
		if (*s == '/')
			base = s + 1;
	size_t n = strlen(base) < 15 ? strlen(base) : 15;

	check_section("/proc/self/status: Name, Pid, Threads, VmRSS, VmPTE");
	CHECK(proc_read("/proc/self/status", buf, sizeof(buf)) > 0);
	const char *name = find_line("Name:\t");
	CHECK(name != 0);
	CHECK(strncmp(name + 6, base, n) == 0 && name[6 + n] == '\n');
	CHECK_EQ(proc_status_kb("Pid"), sys_getpid());
	CHECK_EQ(proc_status_kb("Threads"), 1);
	CHECK(status_kb_format("VmRSS:"));
	CHECK(status_kb_format("VmPTE:"));
	CHECK(proc_status_kb("VmRSS") > 0);
	CHECK(proc_status_kb("VmPTE") > 0);
}

static void check_meminfo_vmstat(void)
{
	check_section("/proc/meminfo: MemTotal %ld kB, MemFree %ld kB, PageTables %ld kB",
		      meminfo_kb("MemTotal"), meminfo_kb("MemFree"),
		      meminfo_kb("PageTables"));
	CHECK(proc_read("/proc/meminfo", buf, sizeof(buf)) > 0);
	CHECK(meminfo_format("MemTotal:"));
	CHECK(meminfo_format("MemFree:"));
	CHECK(meminfo_format("PageTables:"));
	CHECK(meminfo_kb("MemFree") > 0);
	CHECK(meminfo_kb("MemFree") < meminfo_kb("MemTotal"));
	CHECK(meminfo_kb("PageTables") > 0);

	check_section("/proc/vmstat: pgfault %ld, nr_page_table_pages %ld",
		      vmstat("pgfault"), vmstat("nr_page_table_pages"));
	CHECK(proc_read("/proc/vmstat", buf, sizeof(buf)) > 0);
	CHECK(find_line("pgfault ") != 0);
	CHECK(vmstat("pgfault") > 0);
	CHECK(vmstat("nr_page_table_pages") > 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	check_status(argv[0]);
	check_meminfo_vmstat();
	return check_pass();
}
