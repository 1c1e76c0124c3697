/*
 * The console as a terminal: the serial port's input through a line
 * discipline (kernel/tty.c), so that a shell can be used interactively.
 *
 * Bytes typed arrive in the serial interrupt and wait in a small raw
 * queue; a kernel thread ("tty") then does what Linux's n_tty does, in
 * process context: turn CR into NL, echo, edit the line being typed
 * (erase, kill, ^D), turn ^C and ^\ into SIGINT and SIGQUIT for the
 * foreground process group, and hand complete lines (canonical mode) or
 * single bytes (raw mode) to read(). termios (TCGETS/TCSETS) switches
 * between the two, as a shell's line editor does.
 */
#pragma once
#include "kernel/types.h"

struct file;

/* Boot: the queues and the default termios, before the serial IRQ is on. */
void tty_init(void);
/* Start the thread that processes input (once threads can be made: kernel_init). */
void tty_start(void);
/* The serial interrupt handler hands each received byte here. Any context. */
void tty_receive_byte(u8 c);
/* The process group ^C signals and TIOCGPGRP reports (init gives the terminal to what it runs). */
void tty_set_foreground(int pgrp);

/* The console file's operations (kernel/file.c uses them for fds 0-2, /dev/console, /dev/tty). */
ssize_t tty_read(struct file *f, char *buf, size_t n);
unsigned int tty_poll(struct file *f);
long tty_ioctl(struct file *f, unsigned int cmd, u64 arg);
