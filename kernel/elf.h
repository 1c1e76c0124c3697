/*
 * ELF64 executables: the parts of the format the loader reads.
 *
 * Quiesce runs static x86-64 Linux programs: ET_EXEC (linked at a fixed
 * address) and static-PIE (ET_DYN without an interpreter, loaded at
 * ELF_ET_DYN_BASE and relocating itself). Anything else is refused with a
 * message naming what is wrong.
 */
#pragma once
#include "kernel/types.h"

#define ET_EXEC 2
#define ET_DYN  3
#define EM_X86_64 62
#define PT_LOAD   1
#define PT_INTERP 3
#define PT_PHDR   6
#define PF_X 1
#define PF_W 2
#define PF_R 4

#define ELF_ET_DYN_BASE 0x555555554000ul   /* where Linux puts a PIE without ASLR */

struct elf64_ehdr {
	u8 e_ident[16];
	u16 e_type, e_machine;
	u32 e_version;
	u64 e_entry, e_phoff, e_shoff;
	u32 e_flags;
	u16 e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
	u32 p_type, p_flags;
	u64 p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

/* An executable image in kernel memory (a GRUB module), checked. */
struct elf_image {
	const u8 *data;
	size_t size;
	const struct elf64_ehdr *ehdr;
	const struct elf64_phdr *phdr;   /* e_phnum entries, inside data */
	u64 load_bias;                   /* added to every p_vaddr: 0 for ET_EXEC */
	u64 lo, hi;                      /* page-aligned span of the PT_LOAD segments, biased */
	u64 phdr_addr;                   /* user address of the program headers (AT_PHDR) */
};

/*
 * Check that data[0..size) is a static x86-64 executable we can load and
 * fill *img. Returns 0, or -ENOEXEC with *why set to a short reason.
 */
int elf_check(const void *data, size_t size, struct elf_image *img, const char **why);
