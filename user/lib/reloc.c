/*
 * reloc.c - a static-PIE relocates itself.
 *
 * A static-PIE is linked at address 0 and loaded wherever the kernel chose.
 * There is no dynamic linker, so before anything reads a pointer stored in
 * data (a string table, a function table), the program adds its load base
 * to each such pointer: the R_X86_64_RELATIVE entries of its .rela.dyn.
 * The kernel only maps the segments and jumps to the entry; it never patches
 * the image, on Linux or on Quiesce.
 *
 * This code runs before relocation, so it must itself need none: the symbols
 * are hidden (reached PC-relative) and it calls no other function.
 */
#include <stdint.h>
#include "syscall.h"
#include "uapi.h"

struct elf64_dyn {
	int64_t tag;
	uint64_t val;
};

struct elf64_rela {
	uint64_t offset;
	uint64_t info;
	int64_t addend;
};

#define DT_NULL   0
#define DT_RELA   7
#define DT_RELASZ 8
#define R_X86_64_RELATIVE 8

#ifdef __PIE__
/* Defined by the linker in every PIE. Hidden, so the compiler reaches
 * them PC-relative, never through a GOT entry that is not relocated yet. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const struct elf64_dyn _DYNAMIC[] __attribute__((visibility("hidden")));

void relocate_self(void)
{
	/* Linked at 0, so where the ELF header sits now is the load base. */
	uintptr_t base = (uintptr_t)__ehdr_start;
	uintptr_t rela = 0, relasz = 0;

	for (const struct elf64_dyn *d = _DYNAMIC; d->tag != DT_NULL; d++) {
		if (d->tag == DT_RELA)
			rela = base + d->val;
		else if (d->tag == DT_RELASZ)
			relasz = d->val;
	}
	const struct elf64_rela *r = (const struct elf64_rela *)rela;

	for (size_t i = 0; i < relasz / sizeof(*r); i++) {
		if ((uint32_t)r[i].info != R_X86_64_RELATIVE)
			syscall1(SYS_exit_group, 127);  /* a type we can't do */
		*(uintptr_t *)(base + r[i].offset) = base + r[i].addend;
	}
}
#else
/* A fixed-address (ET_EXEC) program runs where it was linked. */
void relocate_self(void)
{
}
#endif
