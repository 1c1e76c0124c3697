/*
 * thread.c - threads as Linux makes them: clone() sharing the address
 * space, joined by sleeping on a futex the kernel clears at thread exit.
 *
 * Each thread gets one mapping: a guard page at the bottom, the stack, and
 * its struct thread at the top. The struct is also the thread's TLS block
 * (CLONE_SETTLS loads its address into the FS base), so thread_self() is
 * one load from %fs:0 and shows each thread kept its own FS base.
 */
#include "user.h"

#define THREAD_MAP (256 * 1024)

/* The flags of a POSIX thread: share everything, be one process. */
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
		      CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |       \
		      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

long clone_thread(unsigned long flags, void *sp, int *ptid, int *ctid,
		  void *tls);

static struct thread main_thread;

/* The first code a new thread runs (clone.S calls it). */
static int thread_main(void *arg)
{
	struct thread *t = arg;

	t->ret = t->fn(t->arg);
	return t->ret;
}

/* On success stores the thread in *tp and returns its tid; else -errno. */
long thread_create(struct thread **tp, int (*fn)(void *), void *arg)
{
	long map = map_anon(THREAD_MAP, PROT_READ | PROT_WRITE);

	if (map < 0)
		return map;
	/* Running off the stack faults on the guard page instead of
	 * silently overwriting whatever is mapped below. */
	sys_mprotect((void *)map, PAGE_SIZE, PROT_NONE);

	struct thread *t = (struct thread *)
		((map + THREAD_MAP - sizeof(struct thread)) & ~63UL);
	*t = (struct thread){ .self = t, .fn = fn, .arg = arg,
			      .map = (void *)map, .map_len = THREAD_MAP };

	/* What clone.S pops in the child: the function, then its argument. */
	unsigned long *sp = (unsigned long *)((unsigned long)t & ~15UL) - 2;
	sp[0] = (unsigned long)thread_main;
	sp[1] = (unsigned long)t;

	long tid = clone_thread(THREAD_FLAGS, sp, &t->tid, &t->tid, t);
	if (tid < 0) {
		sys_munmap((void *)map, THREAD_MAP);
		return tid;
	}
	*tp = t;
	return tid;
}

/*
 * Sleeps until the kernel has zeroed t->tid. That happens after the thread
 * left user mode for good, so its stack may then be unmapped. The wait is a
 * shared (not PRIVATE) futex: Linux wakes the tid word as a shared futex,
 * and a private waiter would sleep on a different key and never wake.
 */
int thread_join(struct thread *t)
{
	int tid, ret;

	while ((tid = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE)) != 0)
		sys_futex(&t->tid, FUTEX_WAIT, tid, 0);
	ret = t->ret;
	sys_munmap(t->map, t->map_len);
	return ret;
}

struct thread *thread_self(void)
{
	struct thread *t;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(t));
	return t;
}

/* The main thread's struct is static; set_tid_address returns our tid. */
void thread_init_main(void)
{
	main_thread.self = &main_thread;
	main_thread.tid = (int)sys_set_tid_address(&main_thread.tid);
	sys_arch_prctl(ARCH_SET_FS, (unsigned long)&main_thread);
}
