/*
 * Circular doubly-linked lists, Linux style: a `struct list_head` is embedded
 * in each object, and container_of() (list_entry) gets the object back.
 * An empty list is a head pointing at itself.
 */
#pragma once
#include "kernel/types.h"

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h->prev = h;
}

static inline void __list_insert(struct list_head *n, struct list_head *prev,
				 struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* Insert n right after head (a stack). */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	__list_insert(n, head, head->next);
}

/* Insert n right before head, i.e. at the end (a queue). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	__list_insert(n, head->prev, head);
}

/* Unlink e; it is left pointing at itself, so list_empty(e) is then true. */
static inline void list_del_init(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	INIT_LIST_HEAD(e);
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_last_entry(head, type, member) list_entry((head)->prev, type, member)

#define list_for_each_entry(pos, head, member)                                \
	for (pos = list_entry((head)->next, __typeof__(*pos), member);         \
	     &pos->member != (head);                                           \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))

/* As above, but pos may be unlinked inside the loop body. */
#define list_for_each_entry_safe(pos, tmp, head, member)                      \
	for (pos = list_entry((head)->next, __typeof__(*pos), member),         \
	     tmp = list_entry(pos->member.next, __typeof__(*pos), member);     \
	     &pos->member != (head);                                           \
	     pos = tmp, tmp = list_entry(tmp->member.next, __typeof__(*tmp), member))
