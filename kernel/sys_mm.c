/* mmap, munmap, mprotect, brk, madvise: the work is in mm/ (mm/mm.h). */
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "mm/mm.h"

SYSCALL_DEFINE(mmap)
{
	return do_mmap(current->mm, a0, a1, a2, a3, (long)a4, a5);
}

SYSCALL_DEFINE(munmap)
{
	return do_munmap(current->mm, a0, a1);
}

SYSCALL_DEFINE(mprotect)
{
	return do_mprotect(current->mm, a0, a1, a2);
}

SYSCALL_DEFINE(brk)
{
	return do_brk(current->mm, a0);
}

SYSCALL_DEFINE(madvise)
{
	return do_madvise(current->mm, a0, a1, (int)a2);
}
