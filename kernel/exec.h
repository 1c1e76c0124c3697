/* Loading a checked ELF image into a fresh address space (Linux's execve, minus files). */
#pragma once
#include "kernel/elf.h"

struct mm_struct;

#define STACK_TOP   0x7ffffffff000ul   /* Linux's highest stack top without ASLR */
#define STACK_SIZE  (8ul << 20)        /* the default 8 MiB stack limit; demand paged */
#define MAX_ARGS    256                /* argv and envp strings, each */

struct process;

/*
 * Map img's segments and a stack into mm (which must be loaded on this CPU:
 * use_mm), set the heap start, and build the initial stack Linux builds:
 * argc, argv, envp, auxv. argv/envp are NULL-ended arrays of kernel
 * strings. Returns 0 with the entry point and stack pointer, or -errno.
 */
int exec_load(struct mm_struct *mm, const struct elf_image *img,
	      const char *const argv[], const char *const envp[], u64 *entry, u64 *sp);

/*
 * Give the running thread (the only one of process p) a new address space
 * with img loaded into it (exec_load), and make it p's. The old mm, if
 * any, is dropped; on failure it stays in place and -errno is returned.
 */
int exec_into_new_mm(struct process *p, const struct elf_image *img,
		     const char *const argv[], const char *const envp[], u64 *entry, u64 *sp);
