/*
 * proc_tree - /proc as a tree of directories, and the calls that walk it:
 * getdents64, the stat family, readlink, getcwd/chdir, lseek, pread64,
 * dup/fcntl; and the small ABI a C library's start-up and tools like
 * busybox id, date, free, ps rely on (ids, time, sysinfo, prlimit64).
 * Every answer is compared with something else the kernel says (a stat
 * with a getdents type, sysinfo with /proc/meminfo), so the program passes
 * on Linux and on Quiesce alike.
 */
#include "check.h"

static char buf[16384];

/* getdents64 of an open directory with a buffer of size bytes: is name there, with type? */
static int scan_dir(int fd, size_t size, const char *name, int *type, int *entries)
{
	static char d[8192];
	int found = 0;
	long n;

	*entries = 0;
	CHECK_EQ(sys_lseek(fd, 0, SEEK_SET), 0);
	while ((n = CHECK_OK(sys_getdents64(fd, d, size))) > 0) {
		for (long at = 0; at < n;) {
			struct linux_dirent64 *e = (void *)(d + at);
			CHECK(e->d_reclen % 8 == 0 && e->d_reclen > 19);
			if (!strcmp(e->d_name, name)) {
				found++;
				*type = e->d_type;
			}
			(*entries)++;
			at += e->d_reclen;
		}
	}
	return found;
}

static void check_getdents(void)
{
	char pid[16];
	int type = -1, big, small;

	check_section("getdents64 of /proc: self, meminfo, our own pid");
	snprintf(pid, sizeof(pid), "%ld", sys_getpid());
	long fd = CHECK_OK(sys_open("/proc", O_RDONLY | O_DIRECTORY));
	CHECK_EQ(scan_dir((int)fd, 8192, "self", &type, &big), 1);
	CHECK_EQ(type, DT_LNK);
	CHECK_EQ(scan_dir((int)fd, 8192, "meminfo", &type, &big), 1);
	CHECK_EQ(type, DT_REG);
	CHECK_EQ(scan_dir((int)fd, 8192, pid, &type, &big), 1);
	CHECK_EQ(type, DT_DIR);
	CHECK_EQ(scan_dir((int)fd, 8192, "..", &type, &big), 1);
	/* 64 bytes hold one or two entries per call: the positions carry the listing on. */
	CHECK_EQ(scan_dir((int)fd, 64, pid, &type, &small), 1);
	CHECK_EQ(small, big);
	CHECK_EQ(sys_getdents64((int)fd, buf, 8), 0);           /* at the end: nothing more */
	CHECK_EQ(sys_lseek((int)fd, 0, SEEK_SET), 0);
	CHECK_ERRNO(sys_getdents64((int)fd, buf, 8), EINVAL);   /* no entry fits */
	CHECK_EQ(sys_close((int)fd), 0);
	fd = CHECK_OK(sys_open("/proc/self/status", O_RDONLY));
	CHECK_ERRNO(sys_getdents64((int)fd, buf, sizeof(buf)), ENOTDIR);
	CHECK_EQ(sys_close((int)fd), 0);
	fd = CHECK_OK(sys_open("/proc/self/task", O_RDONLY | O_DIRECTORY));
	snprintf(pid, sizeof(pid), "%ld", sys_gettid());
	CHECK_EQ(scan_dir((int)fd, 8192, pid, &type, &big), 1);
	CHECK_EQ(big, 3);                     /* ".", "..", our one thread */
	CHECK_EQ(sys_close((int)fd), 0);
}

static void check_stat(void)
{
	struct stat st, st2;
	char link[32], pid[16];

	check_section("stat, lstat, fstat, newfstatat, readlink");
	CHECK_EQ(sys_stat("/proc", &st), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFDIR);
	long fd = CHECK_OK(sys_open("/proc", O_RDONLY | O_DIRECTORY));
	CHECK_EQ(sys_fstat((int)fd, &st2), 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_dev, st.st_dev);
	CHECK_EQ(sys_close((int)fd), 0);
	CHECK_EQ(sys_lstat("/proc/self", &st), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFLNK);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, "/proc/self", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFLNK);
	CHECK_EQ(sys_stat("/proc/self", &st), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFDIR);
	CHECK_EQ(sys_stat("/proc/self/status", &st), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFREG);
	snprintf(pid, sizeof(pid), "%ld", sys_getpid());
	long n = CHECK_OK(sys_readlink("/proc/self", link, sizeof(link)));
	CHECK_EQ(n, strlen(pid));
	CHECK(memcmp(link, pid, n) == 0);
	CHECK_EQ(sys_readlink("/proc/self", link, 1), 1);       /* cut, no NUL */
	CHECK_ERRNO(sys_readlink("/proc/meminfo", link, sizeof(link)), EINVAL);

	check_section("lookup errors: ENOENT, ENOTDIR, EISDIR, ELOOP");
	CHECK_ERRNO(sys_stat("/proc/meminfo/x", &st), ENOTDIR);
	CHECK_ERRNO(sys_stat("/nonexistent-quiesce", &st), ENOENT);
	CHECK_ERRNO(sys_stat("/proc/999999999", &st), ENOENT);
	CHECK_ERRNO(sys_open("/proc", O_WRONLY), EISDIR);
	CHECK_ERRNO(sys_open("/proc/meminfo", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERRNO(sys_open("/proc/self", O_RDONLY | O_NOFOLLOW), ELOOP);
}

static void check_cwd(void)
{
	char cwd[64];

	check_section("chdir, fchdir, getcwd, relative paths");
	CHECK_EQ(sys_chdir("/proc"), 0);
	CHECK_EQ(sys_getcwd(cwd, sizeof(cwd)), 6);              /* "/proc" and its NUL */
	CHECK(!strcmp(cwd, "/proc"));
	CHECK_ERRNO(sys_getcwd(cwd, 3), ERANGE);
	long fd = CHECK_OK(sys_open("self/status", O_RDONLY));
	CHECK_EQ(sys_close((int)fd), 0);
	CHECK_EQ(sys_chdir("self/.."), 0);                      /* "..": back in /proc */
	CHECK_EQ(sys_getcwd(cwd, sizeof(cwd)), 6);
	CHECK_EQ(sys_chdir(".."), 0);
	CHECK_EQ(sys_getcwd(cwd, sizeof(cwd)), 2);
	CHECK(!strcmp(cwd, "/"));
	CHECK_ERRNO(sys_chdir("/proc/meminfo"), ENOTDIR);
	fd = CHECK_OK(sys_open("/proc", O_RDONLY | O_DIRECTORY));
	CHECK_EQ(sys_fchdir((int)fd), 0);
	CHECK(sys_getcwd(cwd, sizeof(cwd)) > 0 && !strcmp(cwd, "/proc"));
	long fd2 = CHECK_OK(sys_openat((int)fd, "meminfo", O_RDONLY));
	CHECK_EQ(sys_close((int)fd2), 0);
	CHECK_EQ(sys_close((int)fd), 0);
}

/* The line of /proc/self/maps that holds addr, into line[]; 1 if there is one. */
static int maps_line(unsigned long addr, char *line, size_t size)
{
	CHECK(proc_read("/proc/self/maps", buf, sizeof(buf)) > 0);
	for (char *l = buf; *l;) {
		char *end = strchr(l, '\n');
		unsigned long lo = 0, hi = 0;
		char *p = l;
		for (; *p != '-'; p++)
			lo = lo * 16 + (*p <= '9' ? *p - '0' : *p - 'a' + 10);
		for (p++; *p != ' '; p++)
			hi = hi * 16 + (*p <= '9' ? *p - '0' : *p - 'a' + 10);
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (addr >= lo && addr < hi && len < size) {
			memcpy(line, l, len);
			line[len] = '\0';
			return 1;
		}
		if (!end)
			break;
		l = end + 1;
	}
	return 0;
}

static void check_self_files(int argc, char **argv)
{
	char line[256], head[64];
	int local = 0;

	check_section("/proc/self/maps, cmdline, stat");
	CHECK(maps_line((unsigned long)&local, line, sizeof(line)));
	size_t len = strlen(line);
	CHECK(len > 7 && !strcmp(line + len - 7, "[stack]"));
	CHECK(strstr(line, " rw-p ") != 0);
	CHECK(maps_line((unsigned long)check_self_files, line, sizeof(line)));
	CHECK(strstr(line, " r-xp ") != 0);

	long n = CHECK_OK(proc_read("/proc/self/cmdline", buf, sizeof(buf)));
	long want = 0;
	for (int i = 0; i < argc; i++) {
		CHECK(!strcmp(buf + want, argv[i]));
		want += strlen(argv[i]) + 1;
	}
	CHECK_EQ(n, want);

	CHECK(proc_read("/proc/self/stat", buf, sizeof(buf)) > 0);
	snprintf(head, sizeof(head), "%ld (", sys_getpid());
	CHECK(!strncmp(buf, head, strlen(head)));
	char *paren = strstr(buf, ") ");
	CHECK(paren && paren[2] == 'R');                         /* we are running */
	snprintf(head, sizeof(head), "/proc/%ld/status", sys_getpid());
	CHECK(proc_read(head, buf, sizeof(buf)) > 0 && !strncmp(buf, "Name:\t", 6));
}

static void check_offsets(void)
{
	char a[8], b[8];

	check_section("lseek, pread64, dup, dup2, dup3, fcntl");
	long fd = CHECK_OK(sys_open("/proc/self/status", O_RDONLY | O_CLOEXEC));
	CHECK_EQ(sys_read((int)fd, a, 5), 5);
	CHECK_EQ(sys_lseek((int)fd, 0, SEEK_CUR), 5);
	CHECK_EQ(sys_pread64((int)fd, b, 5, 0), 5);
	CHECK(!memcmp(a, b, 5) && !memcmp(a, "Name:", 5));
	CHECK_EQ(sys_lseek((int)fd, 0, SEEK_CUR), 5);            /* pread kept the offset */
	CHECK_ERRNO(sys_lseek((int)fd, -10, SEEK_SET), EINVAL);
	CHECK_EQ(sys_fcntl((int)fd, F_GETFD, 0), FD_CLOEXEC);
	long fd2 = CHECK_OK(sys_dup((int)fd));
	CHECK_EQ(sys_fcntl((int)fd2, F_GETFD, 0), 0);            /* dup clears close-on-exec */
	CHECK_EQ(sys_lseek((int)fd2, 0, SEEK_SET), 0);           /* one file, one offset */
	CHECK_EQ(sys_lseek((int)fd, 0, SEEK_CUR), 0);
	CHECK_EQ(sys_dup2((int)fd, 50), 50);
	CHECK_EQ(sys_dup3((int)fd, 50, O_CLOEXEC), 50);
	CHECK_EQ(sys_fcntl(50, F_GETFD, 0), FD_CLOEXEC);
	CHECK_ERRNO(sys_dup3((int)fd, (int)fd, 0), EINVAL);
	CHECK_EQ(sys_fcntl((int)fd, F_DUPFD, 40), 40);
	CHECK_EQ(sys_fcntl((int)fd, F_GETFL, 0) & 3, O_RDONLY);
	CHECK_ERRNO(sys_dup2(63, 62), EBADF);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(sys_close(i == 0 ? (int)fd : i == 1 ? (int)fd2 : i == 2 ? 50 : 40), 0);
}

static void check_identity_and_time(void)
{
	struct sysinfo si;
	struct rlimit rl;
	struct timespec ts;
	long t = 0;

	check_section("getuid family, time, sysinfo, prlimit64");
	CHECK(proc_read("/proc/self/status", buf, sizeof(buf)) > 0);
	char *uid = strstr(buf, "Uid:\t"), *gid = strstr(buf, "Gid:\t");
	CHECK(uid && gid);
	CHECK_EQ(sys_getuid(), atol(uid + 5));
	CHECK_EQ(sys_geteuid(), sys_getuid());
	CHECK_EQ(sys_getgid(), atol(gid + 5));
	CHECK_EQ(sys_getegid(), sys_getgid());
	CHECK(sys_getppid() >= 0);
	CHECK_EQ(sys_getpgid(0), sys_getpgid((int)sys_getpid()));
	CHECK(sys_getsid(0) > 0);

	long now = CHECK_OK(sys_time(&t));
	CHECK_EQ(t, now);
	CHECK(now > 1577836800L);                                /* after 2020: the RTC was read */
	CHECK_EQ(sys_clock_gettime(CLOCK_REALTIME, &ts), 0);
	CHECK(ts.tv_sec - now >= 0 && ts.tv_sec - now <= 2);

	CHECK_EQ(sys_sysinfo(&si), 0);
	CHECK(si.mem_unit > 0 && si.procs > 0);
	CHECK_EQ(si.totalram * si.mem_unit / 1024, meminfo_kb("MemTotal"));
	CHECK(si.freeram <= si.totalram);

	CHECK_EQ(sys_prlimit64(0, RLIMIT_NOFILE, 0, &rl), 0);
	CHECK(rl.rlim_cur > 3 && rl.rlim_cur <= rl.rlim_max);
	CHECK_EQ(sys_prlimit64(0, RLIMIT_NOFILE, &rl, 0), 0);    /* the same limit again */
	CHECK_EQ(sys_prlimit64(0, RLIMIT_STACK, 0, &rl), 0);
	CHECK(rl.rlim_cur >= 8ul << 20 || rl.rlim_cur == rl.rlim_max);
	CHECK_ERRNO(sys_prlimit64(0, 9999, 0, &rl), EINVAL);
}

int main(int argc, char **argv)
{
	check_getdents();
	check_stat();
	check_cwd();
	check_self_files(argc, argv);
	check_offsets();
	check_identity_and_time();
	return check_pass();
}
