/*
 * Exception fixups: a kernel instruction that may fault on purpose (reading
 * a user pointer, probing an address) is listed in __ex_table with the place
 * to continue at. The #PF/#GP handler looks the faulting RIP up there and,
 * instead of dying, resumes at the fixup, which returns -EFAULT.
 */
#pragma once
#include "kernel/types.h"

struct extable_entry {
	u64 insn;      /* address of the instruction allowed to fault */
	u64 fixup;     /* where to continue when it does */
};

/* Emit an __ex_table entry: `from` may fault, continue at `to` (asm labels). */
#define EXTABLE_ENTRY(from, to) \
	".pushsection __ex_table, \"a\"\n\t.balign 8\n\t.quad " #from ", " #to "\n\t.popsection\n\t"

/*
 * The rest of an asm statement whose instruction labelled `1:` may fault:
 * on a fault, operand %0 (an int) becomes -EFAULT and execution goes on
 * after the instruction. The statement must have an input [efault] "i"(-EFAULT).
 */
#define EXTABLE_EFAULT_TAIL                                                   \
	"2:\n\t"                                                              \
	".pushsection .text.fixup, \"ax\"\n"                                  \
	"3: movl %[efault], %0\n\t"                                           \
	"jmp 2b\n\t"                                                          \
	".popsection\n\t"                                                     \
	EXTABLE_ENTRY(1b, 3b)

/* The fixup for a faulting rip, or 0 if the fault is a kernel bug. */
u64 search_extable(u64 rip);

/* Read or write 8 bytes at addr; -EFAULT instead of an oops if it faults. */
int probe_read_u64(const void *addr, u64 *out);
int probe_write_u64(void *addr, u64 val);
