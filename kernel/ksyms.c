/* Symbolize kernel addresses with the sorted table the Makefile links in. */
#include "kernel/ksyms.h"

extern const u64 ksym_count;
extern const u64 ksym_addrs[];
extern const char *const ksym_names[];
extern char _etext[];

const char *ksym_lookup(u64 addr, u64 *offset)
{
	u64 lo = 0, hi = ksym_count;

	if (!hi || addr < ksym_addrs[0] || addr >= (u64)_etext)
		return NULL;
	while (hi - lo > 1) {            /* last symbol at or below addr */
		u64 mid = (lo + hi) / 2;
		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksym_addrs[lo];
	return ksym_names[lo];
}
