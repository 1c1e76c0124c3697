/*
 * The console's line discipline (see tty.h).
 *
 * Two queues and two locks:
 *   raw      bytes from the serial interrupt, not yet processed; raw_lock,
 *            taken with interrupts off (the interrupt handler takes it);
 *   input    processed bytes ready for read(), with the lengths of the
 *            complete lines in it (canonical mode); lock, process context
 *            only (the tty thread and readers).
 * The line being edited lives apart from input until NL, EOF or EOL ends
 * it: erase and kill edit only that. In raw mode (no ICANON) each byte goes
 * to input at once and read() takes bytes, not lines.
 */
#include "kernel/tty.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/file.h"
#include "kernel/pipe.h"
#include "kernel/printk.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/wait.h"

/* termios bits and control characters (Linux's values) */
#define ICRNL   0000400
#define IXON    0002000
#define OPOST   0000001
#define ONLCR   0000004
#define ISIG    0000001
#define ICANON  0000002
#define ECHO    0000010
#define ECHOE   0000020
#define ECHOK   0000040
#define ECHOCTL 0001000
#define ECHOKE  0004000
#define IEXTEN  0100000
#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSUSP 10
#define VEOL 11
#define NCCS 19

#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TCFLSH     0x540b
#define TIOCSCTTY  0x540e
#define TIOCGPGRP  0x540f
#define TIOCSPGRP  0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541b
#define TIOCNOTTY  0x5422
#define TIOCGSID   0x5429

struct termios {
	u32 c_iflag, c_oflag, c_cflag, c_lflag;
	u8 c_line;
	u8 c_cc[NCCS];
};

struct winsize {
	u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

#define RAW_SIZE   1024
#define INPUT_SIZE 4096
#define LINE_MAX_  1024
#define MAX_LINES  64

static struct tty {
	spinlock_t raw_lock;              /* interrupts off: the serial IRQ takes it */
	u8 raw[RAW_SIZE];
	size_t raw_head, raw_len;
	struct wait_queue_head raw_wait;  /* the tty thread waits for bytes */

	spinlock_t lock;                  /* everything below */
	struct termios termios;
	struct winsize winsize;
	char line[LINE_MAX_];             /* the line being edited (canonical) */
	size_t line_len;
	char input[INPUT_SIZE];           /* ready for read() */
	size_t in_head, in_len;
	size_t lines[MAX_LINES];          /* canonical: lengths of the complete lines in input */
	int line_head, nr_lines;
	int fg_pgrp;
	struct wait_queue_head read_wait;
} tty;

void tty_receive_byte(u8 c)
{
	unsigned long flags = spin_lock_irqsave(&tty.raw_lock);
	if (tty.raw_len < RAW_SIZE)       /* a full queue drops the byte, as a UART overrun */
		tty.raw[(tty.raw_head + tty.raw_len++) % RAW_SIZE] = c;
	spin_unlock_irqrestore(&tty.raw_lock, flags);
	wake_up(&tty.raw_wait);
}

static void echo(const char *s, size_t n)
{
	if (tty.termios.c_lflag & ECHO)
		console_write(s, n);
}

/* Append bytes to input (lock held); what does not fit is lost, as on an overrun. */
static void input_add(const char *s, size_t n)
{
	for (size_t i = 0; i < n && tty.in_len < INPUT_SIZE; i++)
		tty.input[(tty.in_head + tty.in_len++) % INPUT_SIZE] = s[i];
}

/* The edited line is complete (NL, EOL, or EOF with add_nl false): give it to read(). */
static void line_done(bool add_nl)
{
	if (add_nl && tty.line_len < LINE_MAX_)
		tty.line[tty.line_len++] = '\n';
	if (tty.nr_lines == MAX_LINES || tty.in_len + tty.line_len > INPUT_SIZE) {
		tty.line_len = 0;                 /* nobody reads: drop it */
		return;
	}
	input_add(tty.line, tty.line_len);
	tty.lines[(tty.line_head + tty.nr_lines++) % MAX_LINES] = tty.line_len;
	tty.line_len = 0;
}

/* ^C, ^\: the signal for the foreground group, the line thrown away (lock held). */
static int signal_char(u8 c)
{
	const u8 *cc = tty.termios.c_cc;

	if (!(tty.termios.c_lflag & ISIG))
		return 0;
	if (c == cc[VINTR])
		return SIGINT;
	if (c == cc[VQUIT])
		return SIGQUIT;
	return 0;
}

/* Canonical editing of one byte (lock held). */
static void canon_byte(u8 c)
{
	const u8 *cc = tty.termios.c_cc;

	if (c == cc[VERASE] || c == '\b') {
		if (tty.line_len) {
			tty.line_len--;
			echo("\b \b", 3);
		}
	} else if (c == cc[VKILL]) {
		while (tty.line_len) {
			tty.line_len--;
			echo("\b \b", 3);
		}
	} else if (c == cc[VEOF]) {
		line_done(false);                 /* an empty line here is end of file */
	} else if (c == '\n' || (cc[VEOL] && c == cc[VEOL])) {
		echo("\n", 1);
		line_done(c == '\n');
	} else if (tty.line_len < LINE_MAX_ - 1) {
		tty.line[tty.line_len++] = c;
		if (c < 32 && c != '\t' && (tty.termios.c_lflag & ECHOCTL)) {
			char ctl[2] = { '^', (char)(c + 64) };
			echo(ctl, 2);
		} else {
			echo((char *)&c, 1);
		}
	}
}

/* One byte through the discipline; returns a signal to send, or 0. Lock held. */
static int process_byte(u8 c)
{
	if (c == '\r' && (tty.termios.c_iflag & ICRNL))
		c = '\n';
	int sig = signal_char(c);
	if (sig) {
		char ctl[3] = { '^', (char)(c + 64), '\n' };
		echo(ctl, 3);
		tty.line_len = 0;
		tty.in_len = tty.nr_lines = 0;    /* Linux flushes the input on ^C */
		return sig;
	}
	if (tty.termios.c_lflag & ICANON) {
		canon_byte(c);
	} else {
		input_add((char *)&c, 1);
		echo((char *)&c, 1);
	}
	return 0;
}

static bool raw_pending(void)
{
	return READ_ONCE(tty.raw_len) != 0;
}

/* The tty thread: raw bytes through the discipline, in process context. */
static int tty_thread(void *unused)
{
	for (;;) {
		wait_event(tty.raw_wait, raw_pending());
		unsigned long flags = spin_lock_irqsave(&tty.raw_lock);
		u8 c = tty.raw[tty.raw_head];
		tty.raw_head = (tty.raw_head + 1) % RAW_SIZE;
		tty.raw_len--;
		spin_unlock_irqrestore(&tty.raw_lock, flags);

		spin_lock(&tty.lock);
		int sig = process_byte(c);
		int pgrp = tty.fg_pgrp;
		spin_unlock(&tty.lock);
		if (sig && pgrp) {
			struct ksiginfo info = { .signo = sig, .code = SI_KERNEL };
			kill_pgrp(pgrp, &info);
		}
		wake_up_all(&tty.read_wait);
		poll_wake();
	}
	return 0;
}

void tty_init(void)
{
	spin_lock_init(&tty.raw_lock, "tty_raw");
	spin_lock_init(&tty.lock, "tty");
	init_waitqueue_head(&tty.raw_wait, "tty_raw");
	init_waitqueue_head(&tty.read_wait, "tty_read");
	tty.termios = (struct termios){
		.c_iflag = ICRNL | IXON, .c_oflag = OPOST | ONLCR, .c_cflag = 02277,
		.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
		.c_cc = { [VINTR] = 3, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025,
			  [VEOF] = 4, [VTIME] = 0, [VMIN] = 1, [VSUSP] = 032 },
	};
	tty.winsize = (struct winsize){ .ws_row = 24, .ws_col = 80 };
}

void tty_start(void)
{
	put_thread(kthread_run("tty", tty_thread, NULL, -1));   /* bytes that came before wait for it */
}

void tty_set_foreground(int pgrp)
{
	spin_lock(&tty.lock);
	tty.fg_pgrp = pgrp;
	spin_unlock(&tty.lock);
}

/* Is there something for read() (lock held)? A line, or in raw mode a byte. */
static bool readable(void)
{
	if (tty.termios.c_lflag & ICANON)
		return tty.nr_lines > 0;
	return tty.in_len > 0;
}

static bool readable_unlocked(void *unused)
{
	spin_lock(&tty.lock);
	bool r = readable();
	spin_unlock(&tty.lock);
	return r;
}

/* Take from input: one line at most (canonical), or what there is. Lock held. */
static size_t take_input(char *buf, size_t n)
{
	bool canon = tty.termios.c_lflag & ICANON;
	size_t avail = canon ? tty.lines[tty.line_head] : tty.in_len;
	size_t done = MIN(n, avail);

	for (size_t i = 0; i < done; i++)
		buf[i] = tty.input[(tty.in_head + i) % INPUT_SIZE];
	tty.in_head = (tty.in_head + done) % INPUT_SIZE;
	tty.in_len -= done;
	if (canon && (tty.lines[tty.line_head] -= done) == 0) {
		tty.line_head = (tty.line_head + 1) % MAX_LINES;   /* the line is used up */
		tty.nr_lines--;
	}
	return done;
}

ssize_t tty_read(struct file *f, char *buf, size_t n)
{
	for (;;) {
		spin_lock(&tty.lock);
		if (readable()) {
			size_t got = take_input(buf, n);  /* 0 for an empty line: end of file */
			spin_unlock(&tty.lock);
			return got;
		}
		bool raw_nowait = !(tty.termios.c_lflag & ICANON) && !tty.termios.c_cc[VMIN];
		spin_unlock(&tty.lock);
		if (raw_nowait || !n)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		int err = wait_event_interruptible(tty.read_wait, readable_unlocked(NULL));
		if (err)
			return err;
	}
}

unsigned int tty_poll(struct file *f)
{
	return POLLOUT | (readable_unlocked(NULL) ? POLLIN : 0);
}

/*
 * Canonical to raw mode: what was typed stays readable, as bytes. An end
 * of file typed before the switch (an empty line ended by ^D) becomes the
 * ^D byte itself, which is how a line editor in raw mode sees it -- a
 * shell must still see the end of input that arrived before it started.
 * The line being edited follows. Lock held.
 */
static void lines_to_bytes(void)
{
	static char out[INPUT_SIZE];          /* under tty.lock */
	size_t n = 0;

	for (; tty.nr_lines; tty.nr_lines--, tty.line_head = (tty.line_head + 1) % MAX_LINES) {
		size_t len = tty.lines[tty.line_head];
		if (!len && n < INPUT_SIZE)
			out[n++] = tty.termios.c_cc[VEOF];
		for (; len && n < INPUT_SIZE; len--, tty.in_len--) {
			out[n++] = tty.input[tty.in_head];
			tty.in_head = (tty.in_head + 1) % INPUT_SIZE;
		}
	}
	for (size_t i = 0; i < tty.line_len && n < INPUT_SIZE; i++)
		out[n++] = tty.line[i];
	tty.line_len = 0;
	tty.in_head = 0;
	tty.in_len = 0;
	input_add(out, n);
}

static long termios_set(unsigned int cmd, u64 arg)
{
	struct termios t;

	if (copy_from_user(&t, (const void *)arg, sizeof(t)))
		return -EFAULT;
	spin_lock(&tty.lock);
	bool was_canon = tty.termios.c_lflag & ICANON, canon = t.c_lflag & ICANON;
	tty.termios = t;
	if (was_canon && !canon) {
		lines_to_bytes();
	} else if (!was_canon && canon && tty.in_len) {
		tty.line_head = 0;                /* bytes typed in raw mode: one line of them */
		tty.lines[0] = tty.in_len;
		tty.nr_lines = 1;
	}
	if (cmd == TCSETSF)
		tty.in_len = tty.nr_lines = tty.line_len = 0;
	spin_unlock(&tty.lock);
	wake_up_all(&tty.read_wait);
	return 0;
}

long tty_ioctl(struct file *f, unsigned int cmd, u64 arg)
{
	int v;

	switch (cmd) {
	case TCGETS:
		return copy_to_user((void *)arg, &tty.termios, sizeof(tty.termios)) ? -EFAULT : 0;
	case TCSETS: case TCSETSW: case TCSETSF:
		return termios_set(cmd, arg);
	case TIOCGWINSZ:
		return copy_to_user((void *)arg, &tty.winsize, sizeof(tty.winsize)) ? -EFAULT : 0;
	case TIOCSWINSZ:
		return copy_from_user(&tty.winsize, (const void *)arg, sizeof(tty.winsize)) ? -EFAULT : 0;
	case TIOCGPGRP:
		return put_user(READ_ONCE(tty.fg_pgrp), (int *)arg);
	case TIOCSPGRP:
		if (get_user(v, (int *)arg))
			return -EFAULT;
		if (v <= 0)
			return -EINVAL;
		tty_set_foreground(v);
		return 0;
	case TIOCGSID:
		return put_user(current_process()->sid, (int *)arg);
	case FIONREAD:
		return put_user((int)READ_ONCE(tty.in_len), (int *)arg);
	case TCFLSH:
		spin_lock(&tty.lock);
		tty.in_len = tty.nr_lines = tty.line_len = 0;
		spin_unlock(&tty.lock);
		return 0;
	case TIOCSCTTY: case TIOCNOTTY:
		return 0;                         /* one terminal, always everyone's */
	default:
		return -ENOTTY;
	}
}
