/* fork, vfork, clone of a process (kernel/fork.c). */
#pragma once
#include "kernel/types.h"

/*
 * A new process, a copy of the caller (see fork.c): clone's flags (the
 * low byte the signal sent at exit), stack, parent/child tid pointers,
 * TLS. Returns the child's pid, or -EINVAL, -ENOMEM.
 */
long do_fork(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls);
