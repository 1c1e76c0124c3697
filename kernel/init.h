/* init: run the programs GRUB loaded as modules (see kernel/init.c). */
#pragma once

/* Run them; returns the status to power off with. Process context. */
int init_run_programs(void);

/* Build the file tree (kernel/ramfs.h) and put every GRUB module in it. Once, at boot. */
void init_fs(void);
