/*
 * Boot options: `name` or `name=value` words on the kernel command line.
 *
 * Each option is declared next to the variable it sets, with a line like
 *     BOOT_OPTION_BOOL("ptreclaim", ptreclaim_enabled, "reclaim empty PTE tables");
 * The declarations are gathered by the linker into one table (section
 * .bootopts), which bootopt_parse() searches and `help` prints. A word that
 * names no option is reported at boot and otherwise ignored.
 */
#pragma once
#include "kernel/types.h"

enum bootopt_type { BOOTOPT_BOOL, BOOTOPT_ULONG, BOOTOPT_STR };

struct boot_option {
	const char *name;
	enum bootopt_type type;
	void *var;               /* bool *, unsigned long *, or const char ** */
	const char *bare;        /* value meant by `name` alone; NULL: needs a value */
	const char *help;
};

#define BOOT_OPTION(nm, ty, v, bare_val, hlp)                                 \
	static const struct boot_option __bootopt_##v __used                  \
	__section(".bootopts") __aligned(8) = { nm, ty, &(v), bare_val, hlp }

/* bool: on/off, yes/no, 1/0, true/false; bare name means on. */
#define BOOT_OPTION_BOOL(nm, v, hlp)  BOOT_OPTION(nm, BOOTOPT_BOOL, v, "on", hlp)
/* unsigned long: decimal or 0x hex, optional k/m/g suffix. */
#define BOOT_OPTION_ULONG(nm, v, hlp) BOOT_OPTION(nm, BOOTOPT_ULONG, v, NULL, hlp)
/* string: points into the command line (which lives as long as the kernel). */
#define BOOT_OPTION_STR(nm, v, hlp)   BOOT_OPTION(nm, BOOTOPT_STR, v, NULL, hlp)

/* Parse the command line; returns the number of words that were rejected. */
int bootopt_parse(const char *cmdline);
