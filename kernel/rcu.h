/*
 * RCU (read-copy-update): the types other code embeds before RCU itself
 * exists. A structure that will be freed after a grace period carries a
 * struct rcu_head; call_rcu() (kernel/rcu.c, a later issue) queues it on the
 * `next` chain and calls `func` with it once every CPU has passed a
 * quiescent state (DESIGN.md, rule R1 step 3).
 */
#pragma once
#include "kernel/percpu.h"
#include "kernel/types.h"

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

/*
 * Read-side critical sections. PLACEHOLDERS until kernel/rcu.c exists: they
 * only disable preemption, which is what a reader must do (DESIGN.md: an RCU
 * read-side section disables preemption and never sleeps). Nothing waits for
 * readers yet, because nothing is freed after a grace period yet; the
 * lockless page-table walker (pte_offset_map, rule R3) already brackets its
 * walk with them, so making call_rcu() real needs no change there.
 */
static inline void rcu_read_lock(void)   { preempt_disable(); }
static inline void rcu_read_unlock(void) { preempt_enable(); }
