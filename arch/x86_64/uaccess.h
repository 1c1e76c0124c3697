/*
 * Checked access to user memory.
 *
 * Every pointer a system call gets from user space is used only through
 * these. Each one
 *   - refuses a range that is not entirely below TASK_SIZE (a kernel
 *     address, a non-canonical one, or a range that wraps): -EFAULT;
 *   - opens user memory to the kernel with STAC for the copy alone and
 *     closes it with CLAC (SMAP, when the CPU has it, makes any other kernel
 *     access to a user page fault);
 *   - lets the copy fault: a fault on a not-yet-touched page is demand
 *     paging (the #PF handler calls handle_mm_fault for current->mm and
 *     the copy goes on); a fault that handle_mm_fault refuses (no VMA,
 *     PROT_NONE, read-only) resumes at the instruction's exception fixup
 *     (extable.h), and the call returns -EFAULT.
 * They work on the running thread's own address space (current->mm, which
 * is loaded while it runs). A kernel thread has none: its copies of user
 * addresses fail with -EFAULT, whatever mm its CPU has loaded lazily. They
 * may sleep (mmap_lock) when they fault; where that is not allowed --
 * faulthandler_disabled() -- a fault is not handled and they return
 * -EFAULT, so a copy of memory that is not mapped yet fails there.
 */
#pragma once
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pgtable.h"

/*
 * Open / close user memory to the kernel (RFLAGS.AC, for SMAP). Only where
 * the CPU has SMAP: elsewhere the instructions do not exist (#UD).
 */
static __always_inline void stac(void)
{
	if (cpu_has.smap)
		__asm__ volatile("stac" ::: "memory");
}

static __always_inline void clac(void)
{
	if (cpu_has.smap)
		__asm__ volatile("clac" ::: "memory");
}

/* Marks a pointer into user space (documentation only). */
#define __user

/* Is [ptr, ptr + size) entirely in user space? */
static inline bool access_ok(const void __user *ptr, size_t size)
{
	unsigned long addr = (unsigned long)ptr;
	return size <= USER_TOP && addr <= USER_TOP - size;
}

/* Copy n bytes from user src; 0, or -EFAULT (then the uncopied tail of dst is zeroed). */
int copy_from_user(void *dst, const void __user *src, size_t n);
/* Copy n bytes to user dst; 0, or -EFAULT (some bytes may have been written). */
int copy_to_user(void __user *dst, const void *src, size_t n);
/* Zero n bytes of user memory; 0 or -EFAULT. */
int clear_user(void __user *dst, size_t n);
/*
 * Copy a NUL-terminated string of at most count bytes (NUL included) from
 * user src. Returns its length without the NUL (dst is then terminated), or
 * count if no NUL came within count bytes (dst is then not terminated), or
 * -EFAULT. As Linux's strncpy_from_user.
 */
long strncpy_from_user(char *dst, const char __user *src, long count);

/* One value of the pointer's type: get_user(x, uptr) / put_user(x, uptr), 0 or -EFAULT. */
#define get_user(x, uptr) ({                                                  \
	__typeof__(*(uptr)) __gu_val;                                         \
	int __gu_err = copy_from_user(&__gu_val, (uptr), sizeof(__gu_val));   \
	(x) = __gu_err ? (__typeof__(*(uptr)))0 : __gu_val;                    \
	__gu_err; })

#define put_user(x, uptr) ({                                                  \
	__typeof__(*(uptr)) __pu_val = (x);                                   \
	copy_to_user((uptr), &__pu_val, sizeof(__pu_val)); })

/*
 * Faults on user addresses are not handled between these (they nest): a
 * copy that faults fails with -EFAULT at once instead of sleeping in the
 * fault handler. For code that may not sleep, or holds a lock the fault
 * path takes (mmap_lock): try the copy this way, and on -EFAULT drop the
 * lock and retry with faults allowed. Per thread, as in Linux.
 */
void pagefault_disable(void);
void pagefault_enable(void);

/*
 * True where a user-address fault must not be handled, because its handler
 * could sleep: under pagefault_disable(), or in any context that must not
 * sleep (sched_atomic_context: an interrupt handler, a spinlock held,
 * inside rcu_read_lock(), preemption off). Linux's faulthandler_disabled().
 */
bool faulthandler_disabled(void);
