/*
 * Pipes: a one-page ring buffer between a read end and a write end
 * (kernel/pipe.c). Reading an empty pipe sleeps until a writer writes or
 * the last writer closes (then end of file); writing a full one sleeps
 * until a reader reads; writing with no reader left raises SIGPIPE and
 * fails with EPIPE.
 */
#pragma once
#include "kernel/types.h"

struct file;

/* A new pipe: its read end in *rd, its write end in *wr (O_NONBLOCK from flags). */
int pipe_create(unsigned int flags, struct file **rd, struct file **wr);

/*
 * Sleepers in poll (kernel/sys_file.c) wait here; anything that may make
 * a file ready (a pipe, console input) wakes them all to look again.
 */
extern struct wait_queue_head poll_wait_queue;
void poll_wake(void);
