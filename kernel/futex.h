/*
 * Futexes: sleeping on a user word. FUTEX_WAIT sleeps if *uaddr still
 * holds the expected value; FUTEX_WAKE wakes sleepers on that word. This is
 * all user-space locks (our user/lib mutex, musl's pthreads) need from the
 * kernel.
 *
 * A futex is named by (mm, user address): every mapping is private to one
 * process here, so "shared" futexes reduce to the same key.
 */
#pragma once
#include "kernel/types.h"

struct mm_struct;

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/*
 * Sleep while *uaddr == val, for at most timeout_ns (0: no limit) or until
 * deadline_ns on the monotonic clock (absolute, if nonzero), woken by a
 * futex_wake whose bitset meets ours. 0 when woken; -EAGAIN (value
 * differed), -ETIMEDOUT, -EINTR (killed), -EFAULT, -EINVAL (unaligned).
 */
long futex_wait(struct mm_struct *mm, unsigned long uaddr, u32 val, u64 timeout_ns,
		u64 deadline_ns, u32 bitset);
/* Wake up to n sleepers on uaddr (any bitset); returns how many woke. */
long futex_wake(struct mm_struct *mm, unsigned long uaddr, int n);
long futex_wake_bitset(struct mm_struct *mm, unsigned long uaddr, int n, u32 bitset);

/* Set up the hash buckets; once, at boot, before any process runs. */
void futex_init(void);
