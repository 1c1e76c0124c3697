/* Fault-injection points (see fault_inject.h). */
#include "kernel/fault_inject.h"
#include "arch/x86_64/cpu.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define FAULT_INJECT_DEFAULT_MS 100

extern struct fault_inject __fault_inject_start[], __fault_inject_end[];

static const char *fault_inject_spec = "";
BOOT_OPTION_STR("fault_inject", fault_inject_spec,
		"NAME[:MS],...: hold threads at these points to widen race windows "
		"(fault_inject=help lists them)");

struct fault_inject *fault_inject_find(const char *name)
{
	for (struct fault_inject *fi = __fault_inject_start; fi < __fault_inject_end; fi++)
		if (!strcmp(fi->name, name))
			return fi;
	return NULL;
}

void fault_inject_set(struct fault_inject *fi, unsigned long ms)
{
	WRITE_ONCE(fi->ms, ms);
}

/* Spin until done(arg) (if given) or ms have passed; true if done() ended it. */
static bool hold(struct fault_inject *fi, unsigned long ms, bool (*done)(void *), void *arg)
{
	u64 start = ktime_ns(), deadline = start + ms * 1000000ull;

	__atomic_fetch_add(&fi->hits, 1, __ATOMIC_RELAXED);
	while (ktime_ns() < deadline) {
		if (done && done(arg)) {
			__atomic_fetch_add(&fi->events, 1, __ATOMIC_RELAXED);
			return true;
		}
		cpu_relax();
	}
	if (done)
		printk("fault_inject: %s: held %lu ms, the awaited event did not come\n",
		       fi->name, ms);
	return false;
}

bool fault_inject_delay(struct fault_inject *fi)
{
	unsigned long ms = READ_ONCE(fi->ms);

	if (!ms)
		return false;
	hold(fi, ms, NULL, NULL);
	return true;
}

bool fault_inject_hold_until(struct fault_inject *fi, bool (*done)(void *arg), void *arg)
{
	unsigned long ms = READ_ONCE(fi->ms);

	return ms && hold(fi, ms, done, arg);
}

static void list_points(void)
{
	printk("fault injection points:\n");
	for (struct fault_inject *fi = __fault_inject_start; fi < __fault_inject_end; fi++)
		printk("  %-20s %s\n", fi->name, fi->help);
}

/* One word of the option, NAME or NAME:MS (cut in place: the spec is ours). */
static void enable_word(char *word)
{
	char *colon = strchr(word, ':');
	unsigned long ms = FAULT_INJECT_DEFAULT_MS;

	if (colon) {
		*colon = '\0';
		if (parse_ulong(colon + 1, &ms) < 0 || !ms) {
			printk("fault_inject: bad time '%s' for point '%s' (ignored)\n", colon + 1, word);
			return;
		}
	}
	struct fault_inject *fi = fault_inject_find(word);
	if (!fi) {
		printk("fault_inject: unknown point '%s' (ignored)\n", word);
		return;
	}
	fault_inject_set(fi, ms);
	printk("fault_inject: %s on, holds up to %lu ms\n", fi->name, ms);
}

void fault_inject_init(void)
{
	static char spec[256];

	if (!strcmp(fault_inject_spec, "help")) {
		list_points();
		return;
	}
	strlcpy(spec, fault_inject_spec, sizeof(spec));
	for (char *p = spec; *p;) {
		char *word = p;
		while (*p && *p != ',')
			p++;
		if (*p)
			*p++ = '\0';
		if (*word)
			enable_word(word);
	}
}

size_t fault_inject_vmstat_show(char *buf, size_t size)
{
	size_t len = 0;

	for (struct fault_inject *fi = __fault_inject_start; fi < __fault_inject_end; fi++) {
		if (!READ_ONCE(fi->ms))
			continue;
		len += snprintf(buf + len, len < size ? size - len : 0,
				"fault_inject_%s_hits %lu\nfault_inject_%s_events %lu\n",
				fi->name, fault_inject_hits(fi), fi->name, fault_inject_events(fi));
	}
	return len;
}
