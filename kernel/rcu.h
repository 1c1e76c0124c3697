/*
 * RCU (read-copy-update): the types other code embeds before RCU itself
 * exists. A structure that will be freed after a grace period carries a
 * struct rcu_head; call_rcu() (kernel/rcu.c, a later issue) queues it on the
 * `next` chain and calls `func` with it once every CPU has passed a
 * quiescent state (DESIGN.md, rule R1 step 3).
 */
#pragma once
#include "kernel/types.h"

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};
