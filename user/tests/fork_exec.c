/*
 * fork_exec - processes: execve (of this very program, /proc/self/exe),
 * what crosses it and what it resets (argv, envp, close-on-exec
 * descriptors, caught and ignored signals), wait4's and waitid's status
 * encodings for exit codes and signals, WNOHANG, ECHILD, SIGCHLD with its
 * siginfo, process groups, and vfork sharing memory until the child exits.
 * Passes on Linux too.
 */
#include "check.h"

extern char **environ;

/* Run as "fork_exec exec-child CLOEXEC_FD KEPT_FD": check what exec kept and reset. */
static int exec_child(int argc, char **argv)
{
	struct kernel_sigaction act;

	if (argc != 5 || strcmp(argv[4], "two words") != 0)
		return 31;
	if (!environ[0] || strcmp(environ[0], "QUIESCE_TEST=1") != 0 || environ[1])
		return 32;
	if (sys_fcntl((int)atol(argv[2]), F_GETFD, 0) != -EBADF)
		return 33;                       /* O_CLOEXEC: closed by exec */
	if (sys_fcntl((int)atol(argv[3]), F_GETFD, 0) != 0)
		return 34;                       /* kept */
	if (sys_rt_sigaction(SIGUSR1, 0, &act, 8) || act.handler != SIG_DFL)
		return 35;                       /* a handler: back to the default */
	if (sys_rt_sigaction(SIGUSR2, 0, &act, 8) || act.handler != SIG_IGN)
		return 36;                       /* ignored: stays ignored */
	return 5;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
}

static void check_exec(void)
{
	char cloexec_fd[16], kept_fd[16];
	struct kernel_sigaction ign = { .handler = SIG_IGN, .flags = SA_RESTORER,
					.restorer = signal_restorer };

	check_section("execve: argv, envp, close-on-exec, signal actions");
	long fd1 = CHECK_OK(sys_open("/proc/self/status", O_RDONLY | O_CLOEXEC));
	long fd2 = CHECK_OK(sys_open("/proc/self/status", O_RDONLY));
	snprintf(cloexec_fd, sizeof(cloexec_fd), "%ld", fd1);
	snprintf(kept_fd, sizeof(kept_fd), "%ld", fd2);
	CHECK_EQ(set_handler(SIGUSR1, on_usr1, 0, 0), 0);
	CHECK_EQ(sys_rt_sigaction(SIGUSR2, &ign, 0, 8), 0);
	char *argv[] = { "fork_exec", "exec-child", cloexec_fd, kept_fd, "two words", 0 };
	char *envp[] = { "QUIESCE_TEST=1", 0 };
	long pid = CHECK_OK(sys_fork());
	if (pid == 0) {
		sys_execve("/proc/self/exe", argv, envp);
		sys_exit_group(30);              /* exec failed */
	}
	int status = wait_child((int)pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 5);
	CHECK_EQ(sys_close((int)fd1), 0);
	CHECK_EQ(sys_close((int)fd2), 0);
	CHECK_ERRNO(sys_execve("/nonexistent-quiesce", argv, envp), ENOENT);
	CHECK_ERRNO(sys_execve("/proc", argv, envp), EACCES);
	CHECK_ERRNO(sys_execve("/proc/self/status", argv, envp), EACCES);   /* no x bit */
}

/* A child that ends as told: exit code, or a signal. */
static volatile unsigned long null_address = 8;

static long child_that(int how)
{
	long pid = CHECK_OK(sys_fork());

	if (pid)
		return pid;
	if (how == 1)
		sys_kill((int)sys_getpid(), SIGTERM);
	if (how == 2)
		*(volatile int *)null_address = 1;   /* SIGSEGV */
	if (how == 3)
		for (;;)
			sys_pause();             /* until the parent kills it */
	sys_exit_group(42);
}

static volatile int chld_pid, chld_code, chld_status;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	chld_pid = si->kill.pid;
	chld_code = si->si_code;
	chld_status = si->kill.status;
}

static void check_wait(void)
{
	siginfo_t info;
	int status;

	check_section("wait4 status: exit code, SIGTERM, SIGSEGV, SIGKILL; WNOHANG; ECHILD");
	CHECK_EQ(set_handler(SIGCHLD, on_chld, SA_RESTART, 0), 0);
	long pid = child_that(0);
	status = wait_child((int)pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
	CHECK_EQ(status, 42 << 8);
	CHECK_EQ(chld_pid, pid);                 /* SIGCHLD came, with the child's siginfo */
	CHECK_EQ(chld_code, CLD_EXITED);
	CHECK_EQ(chld_status, 42);
	pid = child_that(1);
	status = wait_child((int)pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK_EQ(chld_code, CLD_KILLED);
	pid = child_that(2);
	status = wait_child((int)pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	pid = child_that(3);
	CHECK_EQ(sys_wait4((int)pid, &status, WNOHANG, 0), 0);   /* alive: nothing to reap */
	CHECK_EQ(sys_kill((int)pid, SIGKILL), 0);
	status = wait_child((int)pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_ERRNO(sys_wait4(-1, &status, 0, 0), ECHILD);
	CHECK_ERRNO(sys_wait4((int)sys_getpid(), &status, 0, 0), ECHILD);

	check_section("waitid: WNOWAIT leaves the zombie, CLD_EXITED and si_status");
	pid = child_that(0);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(sys_waitid(P_PID, (int)pid, &info, WEXITED | WNOWAIT), 0);
	CHECK_EQ(info.kill.pid, pid);
	CHECK_EQ(info.si_code, CLD_EXITED);
	CHECK_EQ(info.kill.status, 42);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(sys_waitid(P_ALL, 0, &info, WEXITED), 0);       /* still there: reaped now */
	CHECK_EQ(info.kill.pid, pid);
	CHECK_ERRNO(sys_waitid(P_ALL, 0, &info, WEXITED | WNOHANG), ECHILD);
	struct kernel_sigaction dfl = { .handler = SIG_DFL, .flags = SA_RESTORER,
					.restorer = signal_restorer };
	CHECK_EQ(sys_rt_sigaction(SIGCHLD, &dfl, 0, 8), 0);
}

static void check_groups(void)
{
	check_section("process groups: setpgid in the child, getpgid from the parent");
	long pid = child_that(3);
	CHECK_EQ(sys_setpgid((int)pid, (int)pid), 0);            /* the child leads a new group */
	CHECK_EQ(sys_getpgid((int)pid), pid);
	CHECK_EQ(sys_getsid((int)pid), sys_getsid(0));           /* same session */
	CHECK_EQ(sys_kill(-(int)pid, SIGKILL), 0);               /* kill the whole group */
	int status = wait_child((int)pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_ERRNO(sys_setpgid(1 << 30, 0), ESRCH);
	CHECK_ERRNO(sys_kill(-(int)pid, SIGKILL), ESRCH);        /* the group is gone */
}

static volatile int vfork_flag;

/* vfork: the child runs on our memory and stack until it exits; raw, so it never returns. */
static void check_vfork(void)
{
	long ret;

	check_section("vfork: the child's store is ours, the parent waits for its exit");
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movl $7, %1\n\t"                /* in the child */
			 "mov %3, %%eax\n\t"
			 "mov $9, %%edi\n\t"
			 "syscall\n\t"                    /* exit(9): never returns */
			 "1:"
			 : "=a"(ret), "=m"(vfork_flag)
			 : "a"(SYS_vfork), "i"(SYS_exit)
			 : "rcx", "r11", "rdi", "memory");
	CHECK(ret > 0);
	CHECK_EQ(vfork_flag, 7);                 /* shared memory, and the child ran first */
	int status = wait_child((int)ret);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child(argc, argv);
	check_exec();
	check_wait();
	check_groups();
	check_vfork();
	return check_pass();
}
