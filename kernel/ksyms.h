/* Kernel symbol lookup for backtraces (table made by tools/gen-ksyms). */
#pragma once
#include "kernel/types.h"

/* Name of the function containing addr and the offset into it; NULL if unknown. */
const char *ksym_lookup(u64 addr, u64 *offset);
