/*
 * init: run the user programs GRUB handed over as modules, one after another.
 *
 * A module's string (after its path on GRUB's module2 line) says what it is:
 *
 *   NAME ARGS...      a program: the file /bin/NAME, run with argv NAME ARGS...
 *   /PATH [/LINK...]  a file at /PATH (tools/run-elf --add), with symlinks to
 *                     it at each /LINK; not run
 *
 * Words are separated by spaces; a word may carry any byte as %XX (hex),
 * so that an argument can hold a space (tools/run-elf encodes them).
 * Every module becomes a file of the tree (kernel/ramfs.h) before the
 * first program runs. For each program init prints a KTAP result:
 * ok if it exited with the status expected of it (0 unless init.expect says
 * otherwise) AND everything it used came back: free pages, page-table
 * pages, threads and processes at their baseline once it is gone. A leak
 * fails the program that leaked, not a later one.
 *
 * init=ktap (default): power off with 0 if every program passed, else 1.
 * init=exit: power off with the last program's exit status (tools/run-elf).
 *
 * init.shell=PATH: after the programs, run PATH (the ISO's is busybox's sh)
 * on the console for a person to use, and power off when it exits -- at
 * the end of its input (Ctrl-D; tools/qemu-run sends one when its own
 * input ends, so `make run < /dev/null` still ends).
 */
#include "kernel/init.h"
#include "kernel/bootinfo.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "kernel/printk.h"
#include "kernel/process.h"
#include "kernel/file.h"
#include "kernel/ramfs.h"
#include "kernel/tty.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/vmstat.h"
#include "arch/x86_64/pgtable.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

#define EXIT_NOT_EXECUTABLE 126    /* as a shell says of a file it cannot run */
#define MAX_ARGV 64

static const char *init_mode = "ktap";
BOOT_OPTION_STR("init", init_mode, "ktap|exit: report each program as KTAP, or power off "
		"with the last program's exit status");
static const char *init_expect = "";
BOOT_OPTION_STR("init.expect", init_expect, "NAME:STATUS,...: exit statuses that mean pass");
static const char *init_shell = "";
BOOT_OPTION_STR("init.shell", init_shell, "PATH: after the programs, run PATH as a shell on the "
		"console; power off when it exits (end of input)");
static const char *init_only = "*";
BOOT_OPTION_STR("init.only", init_only, "GLOB: run only the programs whose name matches");
static unsigned long init_loop;
BOOT_OPTION_ULONG("init.loop", init_loop, "SECONDS: run the programs over and over for this "
		  "long (make soak), a progress line each minute and a summary");
static bool init_any_status;
BOOT_OPTION_BOOL("init.any_status", init_any_status, "a program passes whatever its exit "
		 "status if it gave everything back (under allocation-failure injection, "
		 "programs rightly see ENOMEM)");

/* The status NAME is expected to exit with, from init.expect=NAME:STATUS,... */
static int expected_status(const char *name)
{
	size_t len = strlen(name);

	for (const char *p = init_expect; *p;) {
		const char *colon = strchr(p, ':');
		if (!colon)
			break;
		unsigned long status = 0;
		const char *q = colon + 1;
		while (*q >= '0' && *q <= '9')
			status = status * 10 + (*q++ - '0');
		if ((size_t)(colon - p) == len && !strncmp(p, name, len))
			return (int)status;
		p = *q == ',' ? q + 1 : q;
	}
	return 0;
}

/* What must come back after a program: a snapshot. */
struct usage {
	unsigned long free_pages;
	long pt_pages;
	int threads, processes;
};

static struct usage usage_now(void)
{
	/* R1 step 3: a program's page tables are freed by RCU callbacks after
	 * it is gone; count what it leaked, not what is on its way back. */
	return (struct usage){ nr_free_pages_settled(), vm_state_read(NR_PAGE_TABLE_PAGES),
			       nr_threads(), nr_processes() };
}

static bool usage_equal(const struct usage *a, const struct usage *b)
{
	return a->free_pages == b->free_pages && a->pt_pages == b->pt_pages &&
	       a->threads == b->threads && a->processes == b->processes;
}

/*
 * Compare with the baseline, giving exiting threads up to 200 ms to be
 * reaped (each is freed by the next thread on its CPU). Prints what leaked.
 */
static bool check_leaks(const char *name, const struct usage *base)
{
	struct usage now;

	for (int i = 0; i < 20; i++) {
		now = usage_now();
		if (usage_equal(&now, base))
			return true;
		sleep_ns(10 * 1000 * 1000);
	}
	printk("# %s: leaked: free pages %ld, page-table pages %ld, threads %d, processes %d\n",
	       name, (long)(base->free_pages - now.free_pages), now.pt_pages - base->pt_pages,
	       now.threads - base->threads, now.processes - base->processes);
	return false;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Turn each %XX of the word s into its byte, in place; a lone % stays. */
static void percent_decode(char *s)
{
	char *out = s;

	for (; *s; s++) {
		int hi, lo;
		if (*s == '%' && (hi = hex_digit(s[1])) >= 0 && (lo = hex_digit(s[2])) >= 0) {
			*out++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Split a module string into argv (in place: it is our copy), decoding each word. */
static int split_args(char *s, const char *argv[])
{
	int argc = 0;

	while (*s && argc < MAX_ARGV - 1) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		argv[argc++] = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = '\0';
		percent_decode((char *)argv[argc - 1]);
	}
	argv[argc] = NULL;
	return argc;
}

/* argv[0] of a module's command line: its first word. */
static void program_name(const char *cmdline, char *name, size_t size)
{
	size_t n = 0;

	while (cmdline[n] && cmdline[n] != ' ' && n + 1 < size) {
		name[n] = cmdline[n];
		n++;
	}
	name[n] = '\0';
}

/* A module whose string starts with '/' is a file for the tree, not a program. */
static bool is_file_module(const struct boot_module *m)
{
	return m->name[0] == '/';
}

/* Put one module in the tree: a program in /bin, or a file with its links. */
static void add_module(const struct boot_module *m)
{
	static char cmd[4096];          /* a module string, percent-encoded arguments and all */
	const char *argv[MAX_ARGV];
	char path[NAME_MAX + 8];
	const void *data = phys_to_virt(m->start);
	size_t size = m->end - m->start;

	strlcpy(cmd, m->name, sizeof(cmd));
	int argc = split_args(cmd, argv), err;
	if (!argc)
		return;
	if (is_file_module(m)) {
		err = ramfs_add_file(argv[0], data, size, 0755);
		for (int i = 1; i < argc && !err; i++)
			err = ramfs_add_symlink(argv[i], argv[0]);
	} else {
		snprintf(path, sizeof(path), "/bin/%s", argv[0]);
		err = ramfs_add_file(path, data, size, 0755);
		if (err == -EEXIST)
			err = 0;                  /* the same program again, with other arguments */
	}
	if (err)
		printk("init: module '%s' not added to the file tree (%d)\n", m->name, err);
}

void init_fs(void)
{
	ramfs_init();
	for (int i = 0; i < bootinfo.nr_modules; i++)
		add_module(&bootinfo.modules[i]);
}

/* Run one program to its end; returns its exit status. */
static int run_one(const struct boot_module *m, char *cmd, bool *clean)
{
	static const char *const envp[] = { "PATH=/", "HOME=/", "TERM=dumb", NULL };
	const char *argv[MAX_ARGV], *why = "";
	int err;

	if (!split_args(cmd, argv))
		argv[0] = "a.out", argv[1] = NULL;
	char path[NAME_MAX + 8];
	snprintf(path, sizeof(path), "/bin/%s", argv[0]);      /* where add_module put it */
	struct usage base = usage_now();
	struct process *p = process_spawn(path, phys_to_virt(m->start), m->end - m->start,
					  argv, envp, &err, &why);
	if (!p) {
		printk("%s: cannot run: %s\n", argv[0],
		       err == -ENOEXEC ? why : "out of memory");
		*clean = true;
		return EXIT_NOT_EXECUTABLE;
	}
	tty_set_foreground(p->pgid);      /* ^C on the console is for it */
	int status = process_wait(p);
	*clean = check_leaks(argv[0], &base);
	return status;
}

/* init.shell: the shell from the tree, on the console, until it exits. */
static void run_shell(const char *path)
{
	static const char *const envp[] = { "PATH=/bin", "HOME=/", "TERM=vt100", NULL };
	const char *argv[] = { path, NULL }, *why = "";
	struct file *f;
	int err;

	for (const char *s = path; *s; s++)
		if (*s == '/')
			argv[0] = s + 1;          /* "sh": busybox picks its applet by name */
	err = file_open(NULL, path, O_RDONLY, &f);
	if (err) {
		printk("init: no shell at %s (%d)\n", path, err);
		return;
	}
	struct process *p = process_spawn(path, f->data, f->size, argv, envp, &err, &why);
	fput(f);                          /* the bytes stay: a ramfs file is a module in place */
	if (!p) {
		printk("init: cannot run %s: %s\n", path, err == -ENOEXEC ? why : "out of memory");
		return;
	}
	printk("init: %s on the console; the end of input (Ctrl-D) powers off\n", path);
	tty_set_foreground(p->pgid);
	int status = process_wait(p);
	printk("init: %s exited with status %d\n", path, status);
}

/* Run the program of module i; true if it passed (status as expected, nothing leaked). */
static bool run_module(int i, int *status)
{
	static char cmd[4096];          /* a module string, percent-encoded arguments and all */
	char name[64];
	bool clean;

	program_name(bootinfo.modules[i].name, name, sizeof(name));
	strlcpy(cmd, bootinfo.modules[i].name, sizeof(cmd));
	*status = run_one(&bootinfo.modules[i], cmd, &clean);
	return clean && (init_any_status || *status == expected_status(name));
}

/*
 * init.loop=SECONDS (make soak): every program, round after round, until
 * the time is up. A failure says which; each minute a progress line; the
 * free pages after each round are compared with those after the first, so
 * a slow leak that no single program shows still shows as drift.
 */
static int soak(void)
{
	u64 start = ktime_ns(), end = start + init_loop * 1000000000ull, next = start + 60000000000ull;
	unsigned long runs = 0, failed = 0, rounds = 0, first_free = 0;
	long drift = 0;
	int status;

	printk("soak: running %d programs over and over for %lu s\n", bootinfo.nr_modules,
	       init_loop);
	while (ktime_ns() < end) {
		for (int i = 0; i < bootinfo.nr_modules; i++, runs++) {
			if (is_file_module(&bootinfo.modules[i]))
				continue;             /* a file for the tree, not a program */
			if (!run_module(i, &status)) {
				failed++;
				printk("soak: FAILED %s (exit status %d)\n", bootinfo.modules[i].name,
				       status);
			}
			if (ktime_ns() >= next) {
				printk("soak: %lu min: %lu programs run, %lu failed, free-page drift %ld\n",
				       (unsigned long)((ktime_ns() - start) / 60000000000ull), runs,
				       failed, drift);
				next += 60000000000ull;
			}
		}
		unsigned long free = nr_free_pages_settled();
		first_free = rounds++ ? first_free : free;
		drift = (long)free - (long)first_free;
	}
	printk("soak: done: %lu rounds, %lu programs run, %lu failed, free-page drift %ld "
	       "after the first round\n", rounds, runs, failed, drift);
	fault_inject_report();
	return failed || drift ? EXIT_TESTS_FAILED : EXIT_OK;
}

int init_run_programs(void)
{
	int planned = 0, number = 0, failed = 0, status = 0;
	bool ktap = strcmp(init_mode, "exit") != 0;

	if (init_loop)
		return soak();
	for (int i = 0; i < bootinfo.nr_modules; i++)
		planned += !is_file_module(&bootinfo.modules[i]) &&
			   glob_match(init_only, bootinfo.modules[i].name);
	if (ktap)
		printk("KTAP version 1\n1..%d\n", planned);
	for (int i = 0; i < bootinfo.nr_modules; i++) {
		const struct boot_module *m = &bootinfo.modules[i];
		char name[64];
		if (is_file_module(m) || !glob_match(init_only, m->name))
			continue;
		u64 start = ktime_ns();
		program_name(m->name, name, sizeof(name));
		bool ok = run_module(i, &status);
		failed += !ok;
		if (ktap)
			printk("# %s: exit status %d, %lu ms\n%s %d %s\n", name, status,
			       (unsigned long)((ktime_ns() - start) / 1000000),
			       ok ? "ok" : "not ok", ++number, name);
	}
	if (*init_shell)
		run_shell(init_shell);
	fault_inject_report();
	if (!ktap)
		return status;
	return failed ? EXIT_TESTS_FAILED : EXIT_OK;
}
