/*
 * start.c - from the kernel's initial stack to main() and back to exit.
 *
 * The layout read here is Linux's (fs/binfmt_elf.c, create_elf_tables):
 * argc, then argv and envp as NULL-terminated pointer arrays, then the
 * auxiliary vector of (type, value) pairs ending in AT_NULL. Quiesce builds
 * the same stack, which is what lets one binary run on both.
 */
#include "user.h"

void relocate_self(void);
void __libc_start(long *sp) NORETURN;
/* A program may define main with fewer parameters; passing three to it is
 * harmless in the x86-64 calling convention. */
int main(int argc, char **argv, char **envp);

char **environ;
static unsigned long *auxv;

unsigned long getauxval(unsigned long type)
{
	for (unsigned long *a = auxv; a[0] != AT_NULL; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}

void __libc_start(long *sp)
{
	/* A static-PIE must fix its own pointers before it reads any. */
	relocate_self();

	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **p = envp;

	while (*p)
		p++;
	environ = envp;
	auxv = (unsigned long *)(p + 1);

	thread_init_main();
	sys_exit_group(main(argc, argv, envp));
}
