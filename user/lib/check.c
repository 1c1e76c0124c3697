/*
 * check.c - the reporting side of check.h.
 */
#include "check.h"

static long checks;

void check_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# %s:%d: %s\n", file, line, msg);
	printf("# FAIL after %ld checks passed\n", checks);
	sys_exit_group(1);
}

void check_counted(void)
{
	__atomic_add_fetch(&checks, 1, __ATOMIC_RELAXED);
}

/* Says what the next checks are about, as a KTAP comment line. */
void check_section(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# %s\n", msg);
}

int check_pass(void)
{
	printf("# PASS: %ld checks\n", checks);
	return 0;
}

/* The errno names tests expect, for readable diagnostics. */
const char *errno_name(long ret)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
		{ EEXIST, "EEXIST" }, { EINVAL, "EINVAL" }, { ENOSYS, "ENOSYS" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ENAMETOOLONG, "ENAMETOOLONG" },
		{ EOVERFLOW, "EOVERFLOW" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ret == -names[i].err)
			return names[i].name;
	return ret < 0 && ret > -4096 ? "(-errno)" : "";
}
