/* Exception fixup table lookups and fault-tolerant probes (see extable.h). */
#include "arch/x86_64/extable.h"

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

u64 search_extable(u64 rip)
{
	for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

int probe_read_u64(const void *addr, u64 *out)
{
	int err = 0;
	u64 v = 0;

	__asm__ volatile("1: movq (%2), %1\n\t"
			 EXTABLE_EFAULT_TAIL
			 : "+r"(err), "+r"(v) : "r"(addr), [efault] "i"(-EFAULT) : "memory");
	*out = v;
	return err;
}

int probe_write_u64(void *addr, u64 val)
{
	int err = 0;

	__asm__ volatile("1: movq %2, (%1)\n\t"
			 EXTABLE_EFAULT_TAIL
			 : "+r"(err) : "r"(addr), "r"(val), [efault] "i"(-EFAULT) : "memory");
	return err;
}
