/*
 * Tests of kernel/tty.c: the canonical line discipline, fed as the serial
 * interrupt feeds it (tty_receive_byte) and read as a program reads the
 * console (tty_read). The tty thread processes the bytes; a read waits for
 * a complete line, so no test here waits on time.
 */
#include "kernel/file.h"
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "kernel/tty.h"

static void type(const char *s)
{
	for (; *s; s++)
		tty_receive_byte((u8)*s);
}

/* One read of the console, NUL-terminated into buf: its length. */
static ssize_t read_line(char *buf, size_t size)
{
	struct file f = { .flags = O_RDONLY };
	ssize_t n = tty_read(&f, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/*
 * Start from an empty queue: earlier tests may have fed the terminal (the
 * serial loopback of ioapic_serial_irq). Everything typed before the
 * marker comes out of the queue before it does.
 */
static bool drain(void)
{
	char buf[128];

	type("\n@mark@\n");
	for (int i = 0; i < 1000; i++)
		if (read_line(buf, sizeof(buf)) >= 0 && !strcmp(buf, "@mark@\n"))
			return true;
	return false;
}

KTEST(tty_canonical_editing)
{
	char buf[64];

	KT_ASSERT(drain());
	/* CR becomes NL; DEL and ^H erase one character; one read gives one line. */
	type("ab\x7f" "c\r" "xy\b" "z\n");
	KT_EXPECT_EQ(read_line(buf, sizeof(buf)), 3);
	KT_EXPECT(!strcmp(buf, "ac\n"));
	KT_EXPECT_EQ(read_line(buf, sizeof(buf)), 3);
	KT_EXPECT(!strcmp(buf, "xz\n"));
	/* ^U kills what was typed on the line so far. */
	type("gone\x15" "kept\n");
	KT_EXPECT_EQ(read_line(buf, sizeof(buf)), 5);
	KT_EXPECT(!strcmp(buf, "kept\n"));
	/* A short read leaves the rest of the line for the next one. */
	type("long line\n");
	KT_EXPECT_EQ(read_line(buf, 5), 4);
	KT_EXPECT(!strcmp(buf, "long"));
	KT_EXPECT_EQ(read_line(buf, sizeof(buf)), 6);
	KT_EXPECT(!strcmp(buf, " line\n"));
}

KTEST(tty_ctrl_d_is_end_of_file)
{
	char buf[64];

	KT_ASSERT(drain());
	/* ^D after text ends the line without a newline; on an empty line it is EOF. */
	type("abc\x04" "\x04");
	KT_EXPECT_EQ(read_line(buf, sizeof(buf)), 3);
	KT_EXPECT(!strcmp(buf, "abc"));
	KT_EXPECT_EQ(read_line(buf, sizeof(buf)), 0);
	/* After the end of file, reading goes on: the next line comes. */
	type("more\n");
	KT_EXPECT_EQ(read_line(buf, sizeof(buf)), 5);
	KT_EXPECT(!strcmp(buf, "more\n"));
}
