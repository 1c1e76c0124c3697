/*
 * Checked user copies (see uaccess.h).
 *
 * The copies are `rep movsb` / `rep stosb`: when one faults, the CPU stops
 * with RIP still on the instruction and RCX holding the bytes not yet done.
 * If the #PF handler resolves the fault (demand paging), the instruction
 * simply resumes; if not, the exception table sends it to the label after
 * it with RCX intact, which is then the count of bytes left undone.
 */
#include "arch/x86_64/uaccess.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/thread.h"

/* Copy n bytes; returns the bytes NOT copied (0: all). Either side may be user memory. */
static unsigned long raw_copy_user(void *dst, const void *src, unsigned long n)
{
	stac();
	__asm__ volatile("1: rep movsb\n"
			 "2:\n\t"
			 EXTABLE_ENTRY(1b, 2b)
			 : "+c"(n), "+D"(dst), "+S"(src) : : "memory");
	clac();
	return n;
}

int copy_from_user(void *dst, const void __user *src, size_t n)
{
	unsigned long left = n;

	if (access_ok(src, n))
		left = raw_copy_user(dst, src, n);
	if (left)       /* never hand the caller stale kernel bytes */
		memset((char *)dst + (n - left), 0, left);
	return left ? -EFAULT : 0;
}

int copy_to_user(void __user *dst, const void *src, size_t n)
{
	if (!access_ok(dst, n))
		return -EFAULT;
	return raw_copy_user(dst, src, n) ? -EFAULT : 0;
}

int clear_user(void __user *dst, size_t n)
{
	if (!access_ok(dst, n))
		return -EFAULT;
	stac();
	__asm__ volatile("1: rep stosb\n"
			 "2:\n\t"
			 EXTABLE_ENTRY(1b, 2b)
			 : "+c"(n), "+D"(dst) : "a"(0) : "memory");
	clac();
	return n ? -EFAULT : 0;
}

/* Read one user byte: 0, or -EFAULT. The caller has checked the address and done stac(). */
static int get_user_u8(char *out, const char __user *p)
{
	int err = 0;
	char c = 0;

	__asm__ volatile("1: movb (%2), %1\n\t"
			 EXTABLE_EFAULT_TAIL
			 : "+r"(err), "+q"(c) : "r"(p), [efault] "i"(-EFAULT) : "memory");
	*out = c;
	return err;
}

long strncpy_from_user(char *dst, const char __user *src, long count)
{
	long i;

	if (count <= 0)
		return 0;
	/* Only the bytes up to the end of user space may be read. */
	if ((unsigned long)src >= USER_TOP)
		return -EFAULT;
	long max = MIN(count, (long)(USER_TOP - (unsigned long)src));
	stac();
	for (i = 0; i < max; i++) {
		if (get_user_u8(&dst[i], src + i)) {
			clac();
			return -EFAULT;
		}
		if (!dst[i])
			break;
	}
	clac();
	if (i == max && max < count)
		return -EFAULT;       /* ran into the end of user space without a NUL */
	return i;
}

void pagefault_disable(void)
{
	current->pagefault_disabled++;
	barrier();                /* the count is up before the accesses it covers */
}

void pagefault_enable(void)
{
	barrier();
	if (current->pagefault_disabled <= 0)
		panic("pagefault_enable without pagefault_disable in thread %s", current->name);
	current->pagefault_disabled--;
}

bool faulthandler_disabled(void)
{
	struct thread *t = current;

	/* No thread yet (early boot, before sched_init_cpu): nothing to page in for. */
	return !t || t->pagefault_disabled || sched_atomic_context();
}
