/*
 * pipes - pipe2 between processes: data across fork, end of file when the
 * last writer closes, SIGPIPE/EPIPE when no reader is left, O_NONBLOCK,
 * a writer blocked on a full pipe until the reader drains it, poll, and a
 * shell's redirection (dup2 onto stdout, then execve). Passes on Linux
 * too; nothing depends on the pipe's size, which differs.
 */
#include "check.h"

#define BIG (256 * 1024)                  /* more than any pipe holds */

static char buf[BIG];

/* Read until end of file: the byte count. */
static long read_all(int fd, char *dst, long max)
{
	long n, total = 0;

	while ((n = sys_read(fd, dst + total, max - total)) > 0)
		total += n;
	CHECK_EQ(n, 0);
	return total;
}

static void check_basic(void)
{
	int p[2];

	check_section("across fork: data, end of file, a blocked writer drained");
	CHECK_EQ(sys_pipe2(p, O_CLOEXEC), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), FD_CLOEXEC);
	long pid = CHECK_OK(sys_fork());
	if (pid == 0) {
		sys_close(p[0]);
		for (long i = 0; i < BIG; i++)
			buf[i] = (char)(i * 7);
		/* Blocks until the parent reads: the pipe is far smaller. */
		sys_exit_group(sys_write(p[1], buf, BIG) == BIG ? 0 : 1);
	}
	CHECK_EQ(sys_close(p[1]), 0);            /* else we would never see end of file */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read_all(p[0], buf, BIG), BIG);
	for (long i = 0; i < BIG; i += 4093)
		CHECK_EQ(buf[i], (char)(i * 7));
	int status = wait_child((int)pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(sys_close(p[0]), 0);
}

static void check_broken(void)
{
	int p[2];
	struct kernel_sigaction ign = { .handler = SIG_IGN, .flags = SA_RESTORER,
					.restorer = signal_restorer }, dfl = ign;

	check_section("no reader: SIGPIPE kills the writer, or EPIPE if it ignores it");
	dfl.handler = SIG_DFL;
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(sys_close(p[0]), 0);
	long pid = CHECK_OK(sys_fork());
	if (pid == 0)
		sys_exit_group(sys_write(p[1], "x", 1) == -EPIPE ? 2 : 3);
	int status = wait_child((int)pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
	CHECK_EQ(sys_rt_sigaction(SIGPIPE, &ign, 0, 8), 0);
	CHECK_ERRNO(sys_write(p[1], "x", 1), EPIPE);
	CHECK_EQ(sys_rt_sigaction(SIGPIPE, &dfl, 0, 8), 0);
	CHECK_EQ(sys_close(p[1]), 0);
}

static void check_nonblock_and_poll(void)
{
	int p[2];
	struct pollfd fds[2];

	check_section("O_NONBLOCK: EAGAIN both ways; poll: POLLIN, POLLOUT, POLLHUP");
	CHECK_EQ(sys_pipe2(p, O_NONBLOCK), 0);
	CHECK_ERRNO(sys_read(p[0], buf, 1), EAGAIN);
	fds[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	CHECK_EQ(sys_poll(fds, 2, 0), 1);        /* only the write end is ready */
	CHECK_EQ(fds[0].revents, 0);
	CHECK_EQ(fds[1].revents, POLLOUT);
	long filled = 0, n;
	while ((n = sys_write(p[1], buf, 1000)) > 0)
		filled += n;
	CHECK_EQ(n, -EAGAIN);
	CHECK(filled > 0);
	CHECK_EQ(sys_poll(fds, 2, 0), 1);        /* full: only the read end */
	CHECK_EQ(fds[0].revents, POLLIN);
	CHECK_EQ(fds[1].revents, 0);
	CHECK_EQ(sys_close(p[1]), 0);
	CHECK_EQ(sys_poll(fds, 1, 0), 1);
	CHECK_EQ(fds[0].revents, POLLIN | POLLHUP);   /* data left, and no writer */
	long drained = 0;
	while ((n = sys_read(p[0], buf, sizeof(buf))) > 0)
		drained += n;
	CHECK_EQ(n, 0);                           /* end of file, not EAGAIN */
	CHECK_EQ(drained, filled);
	CHECK_EQ(sys_close(p[0]), 0);
	fds[0].fd = p[0];
	CHECK_EQ(sys_poll(fds, 1, 0), 1);
	CHECK_EQ(fds[0].revents, POLLNVAL);
}

/* The shell's `prog | ...`: stdout is the pipe, then exec. */
static void check_redirect(void)
{
	int p[2];
	char *argv[] = { "pipes", "say", "hello through a pipe", 0 };
	char *envp[] = { 0 };

	check_section("dup2 onto stdout, then execve: the new program writes into the pipe");
	CHECK_EQ(sys_pipe2(p, 0), 0);
	long pid = CHECK_OK(sys_fork());
	if (pid == 0) {
		sys_dup2(p[1], 1);
		sys_close(p[0]);
		sys_close(p[1]);
		sys_execve("/proc/self/exe", argv, envp);
		sys_exit_group(9);
	}
	CHECK_EQ(sys_close(p[1]), 0);
	long n = read_all(p[0], buf, 100);
	buf[n] = '\0';
	CHECK(!strcmp(buf, "hello through a pipe\n"));
	int status = wait_child((int)pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(sys_close(p[0]), 0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "say")) {
		printf("%s\n", argv[2]);
		return 0;
	}
	check_basic();
	check_broken();
	check_nonblock_and_poll();
	check_redirect();
	return check_pass();
}
