/*
 * linux-init - the whole user space of the Linux guest that tools/bench
 * boots to compare Quiesce with Linux on the same emulated machine.
 *
 * Linux runs it as /init from a small initramfs (built by tools/bench)
 * holding it, the benchmark programs of user/bench in /bench, and
 * /bench/run.txt: one program and its arguments per line. It mounts /proc
 * (the benchmarks read /proc/self/status), runs each line to its end in a
 * child process, as Quiesce's init runs its modules, and powers off.
 *
 * What it prints, for tools/bench to read from the serial console:
 *     linux-init: run NAME ARGS...
 *     (the program's own lines: BENCH ...)
 *     linux-init: exit NAME status N
 *     linux-init: done
 */
#include "user.h"
#include "syscall.h"

#define NR_execve 59
#define NR_clone 56
#define NR_wait4 61
#define NR_mkdir 83
#define NR_mount 165
#define NR_reboot 169
#define SIGCHLD 17
#define REBOOT_MAGIC1 0xfee1deadL
#define REBOOT_MAGIC2 672274793L
#define REBOOT_POWER_OFF 0x4321fedcL
#define MAX_ARGS 32

static char *const envp[] = { "PATH=/bench", "HOME=/", "TERM=dumb", 0 };

/* fork(): clone without CLONE_VM, the child gets a copy of everything. */
static int run(char **argv)
{
	char path[128];
	int status = 0;

	snprintf(path, sizeof(path), "/bench/%s", argv[0]);
	long pid = syscall5(NR_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		long err = syscall3(NR_execve, (long)path, (long)argv, (long)envp);
		printf("linux-init: cannot run %s: %ld\n", path, err);
		sys_exit_group(126);
	}
	if (pid < 0)
		return 125;
	if (syscall4(NR_wait4, pid, (long)&status, 0, 0) < 0)
		return 125;
	/* A wait status: exit code in bits 8..15, or a signal number in 0..6. */
	return status & 0x7f ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
}

/* Split one line into words, in place; returns argc. */
static int split(char *line, char **argv)
{
	int argc = 0;

	while (*line && argc < MAX_ARGS - 1) {
		while (*line == ' ')
			*line++ = '\0';
		if (!*line)
			break;
		argv[argc++] = line;
		while (*line && *line != ' ')
			line++;
	}
	argv[argc] = 0;
	return argc;
}

int main(void)
{
	static char list[8192];
	char *argv[MAX_ARGS];

	syscall2(NR_mkdir, (long)"/proc", 0555);
	if (syscall5(NR_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0) < 0)
		printf("linux-init: cannot mount /proc\n");
	long fd = sys_open("/bench/run.txt", O_RDONLY);
	long n = fd < 0 ? 0 : sys_read((int)fd, list, sizeof(list) - 1);
	if (n < 0)
		n = 0;
	list[n] = '\0';
	for (char *line = list; *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (split(line, argv)) {
			printf("linux-init: run");
			for (int i = 0; argv[i]; i++)
				printf(" %s", argv[i]);
			printf("\n");
			printf("linux-init: exit %s status %d\n", argv[0], run(argv));
		}
		if (!end)
			break;
		line = end + 1;
	}
	printf("linux-init: done\n");
	syscall4(NR_reboot, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWER_OFF, 0);
	return 0;
}
