/* Pipes (see pipe.h). */
#include "kernel/pipe.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

#define PIPE_SIZE PAGE_SIZE            /* Linux gives 16 pages; one is plenty here */

struct pipe {
	spinlock_t lock;                   /* protects everything below */
	char *buf;                         /* PIPE_SIZE bytes, a ring */
	size_t head, len;                  /* the oldest byte, and how many there are */
	int readers, writers;              /* open ends */
	struct wait_queue_head wait;       /* readers wait for data, writers for room */
};

DECLARE_WAIT_QUEUE_HEAD(poll_wait_queue);

void poll_wake(void)
{
	wake_up_all(&poll_wait_queue);
}

/* Something changed: wake the other end, and anyone polling. */
static void pipe_wake(struct pipe *p)
{
	wake_up_all(&p->wait);
	poll_wake();
}

/* Take up to n bytes out of the ring: how many. p->lock held. */
static size_t pipe_take(struct pipe *p, char *dst, size_t n)
{
	size_t done = 0;

	while (done < n && p->len) {
		size_t run = MIN(MIN(n - done, p->len), PIPE_SIZE - p->head);
		memcpy(dst + done, p->buf + p->head, run);
		p->head = (p->head + run) % PIPE_SIZE;
		p->len -= run;
		done += run;
	}
	return done;
}

/* Put up to n bytes into the ring: how many fitted. p->lock held. */
static size_t pipe_put(struct pipe *p, const char *src, size_t n)
{
	size_t done = 0;

	while (done < n && p->len < PIPE_SIZE) {
		size_t tail = (p->head + p->len) % PIPE_SIZE;
		size_t run = MIN(MIN(n - done, PIPE_SIZE - p->len), PIPE_SIZE - tail);
		memcpy(p->buf + tail, src + done, run);
		p->len += run;
		done += run;
	}
	return done;
}

static ssize_t pipe_read(struct file *f, char *buf, size_t n)
{
	struct pipe *p = f->private_data;

	for (;;) {
		spin_lock(&p->lock);
		size_t got = pipe_take(p, buf, n);
		bool eof = !p->writers;
		spin_unlock(&p->lock);
		if (got) {
			pipe_wake(p);
			return got;
		}
		if (eof || !n)
			return 0;                  /* every writer is gone: end of file */
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		int err = wait_event_interruptible(p->wait, READ_ONCE(p->len) || !READ_ONCE(p->writers));
		if (err)
			return err;
	}
}

/* Writing where nobody reads: SIGPIPE to the writer, then EPIPE. */
static ssize_t broken_pipe(void)
{
	struct process *me = current_process();
	struct ksiginfo info = { .signo = SIGPIPE, .code = SI_USER, .pid = me->pid };

	send_signal_tid(me, current->tid, &info);
	return -EPIPE;
}

static ssize_t pipe_write(struct file *f, const char *buf, size_t n)
{
	struct pipe *p = f->private_data;
	size_t done = 0;

	while (done < n) {
		spin_lock(&p->lock);
		bool no_reader = !p->readers;
		size_t put = no_reader ? 0 : pipe_put(p, buf + done, n - done);
		spin_unlock(&p->lock);
		if (no_reader)
			return done ? (ssize_t)done : broken_pipe();
		if (put) {
			done += put;
			pipe_wake(p);
			continue;
		}
		if (f->flags & O_NONBLOCK)
			return done ? (ssize_t)done : -EAGAIN;
		int err = wait_event_interruptible(p->wait, READ_ONCE(p->len) < PIPE_SIZE ||
							     !READ_ONCE(p->readers));
		if (err)
			return done ? (ssize_t)done : err;
	}
	return done;
}

static unsigned int pipe_poll(struct file *f)
{
	struct pipe *p = f->private_data;
	unsigned int mask = 0;

	spin_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY) {
		if (p->len)
			mask |= POLLIN;
		if (!p->writers)
			mask |= POLLHUP;
	} else {
		if (p->len < PIPE_SIZE)
			mask |= POLLOUT;
		if (!p->readers)
			mask |= POLLERR;
	}
	spin_unlock(&p->lock);
	return mask;
}

/* One end closed: the other side may now see end of file or EPIPE. */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->private_data;

	spin_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	bool last = !p->readers && !p->writers;
	spin_unlock(&p->lock);
	pipe_wake(p);
	kfree(f);
	if (last) {
		free_page((unsigned long)p->buf);
		kfree(p);
	}
}

static const struct file_ops pipe_ops = {
	.read = pipe_read, .write = pipe_write, .poll = pipe_poll, .release = pipe_release,
};

int pipe_create(unsigned int flags, struct file **rd, struct file **wr)
{
	struct fs_node node = { .mode = S_IFIFO | 0600 };
	struct pipe *p = kzalloc(sizeof(*p));
	char *buf = (char *)__get_free_page();
	struct file *r = file_alloc(&node, O_RDONLY | (flags & O_NONBLOCK));
	struct file *w = file_alloc(&node, O_WRONLY | (flags & O_NONBLOCK));

	if (!p || !buf || !r || !w) {
		kfree(p);
		if (buf)
			free_page((unsigned long)buf);
		kfree(r);
		kfree(w);
		return -ENOMEM;
	}
	spin_lock_init(&p->lock, "pipe");
	init_waitqueue_head(&p->wait, "pipe");
	p->buf = buf;
	p->readers = p->writers = 1;
	r->ops = w->ops = &pipe_ops;
	r->private_data = w->private_data = p;
	*rd = r;
	*wr = w;
	return 0;
}
