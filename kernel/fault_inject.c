/* Fault-injection points (see fault_inject.h). */
#include "kernel/fault_inject.h"
#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"
#include "kernel/thread.h"
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define FAULT_INJECT_DEFAULT_MS 100

extern struct fault_inject __fault_inject_start[], __fault_inject_end[];

static const char *fault_inject_spec = "";
BOOT_OPTION_STR("fault_inject", fault_inject_spec,
		"NAME[:MS],...: hold threads at these points to widen race windows; "
		"NAME:every=N or NAME:percent=P:seed=S: make a failure point fail "
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

void fault_inject_set_fail(struct fault_inject *fi, unsigned long every, unsigned long percent,
			   unsigned long seed)
{
	WRITE_ONCE(fi->seed, seed);
	WRITE_ONCE(fi->percent, percent);
	WRITE_ONCE(fi->every, every);
}

static bool fail_point_on(const struct fault_inject *fi)
{
	return READ_ONCE(fi->every) || READ_ONCE(fi->percent);
}

/* splitmix64: a well-mixed 64-bit value for each call number. */
static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

bool should_fail(struct fault_inject *fi)
{
	unsigned long every = READ_ONCE(fi->every), percent = READ_ONCE(fi->percent);

	if (!every && !percent)
		return false;
	/* Only on behalf of a user process, in process context. */
	if (!current || !current->process || this_cpu()->irq_depth)
		return false;
	unsigned long n = __atomic_add_fetch(&fi->hits, 1, __ATOMIC_RELAXED);
	bool fail = every ? n % every == 0 : mix64(READ_ONCE(fi->seed) ^ n) % 100 < percent;
	if (fail)
		__atomic_fetch_add(&fi->events, 1, __ATOMIC_RELAXED);
	return fail;
}

static void list_points(void)
{
	printk("fault injection points:\n");
	for (struct fault_inject *fi = __fault_inject_start; fi < __fault_inject_end; fi++)
		printk("  %-20s %s\n", fi->name, fi->help);
}

/* A failure point's settings, "every=N", "percent=P", "seed=S", joined by ':'. */
static int parse_fail(struct fault_inject *fi, char *spec)
{
	unsigned long every = 0, percent = 0, seed = 0, *val;

	for (char *key = spec; key && *key;) {
		char *next = strchr(key, ':'), *eq = strchr(key, '=');
		if (next)
			*next++ = '\0';
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		if (!strcmp(key, "every"))
			val = &every;
		else if (!strcmp(key, "percent"))
			val = &percent;
		else if (!strcmp(key, "seed"))
			val = &seed;
		else
			return -EINVAL;
		if (parse_ulong(eq + 1, val) < 0)
			return -EINVAL;
		key = next;
	}
	if ((!every && !percent) || percent > 100)
		return -EINVAL;
	fault_inject_set_fail(fi, every, percent, seed);
	printk("fault_inject: %s fails %s%lu%s (seed %lu), for user processes\n", fi->name,
	       every ? "every " : "", every ? every : percent, every ? "th call" : "% of calls",
	       seed);
	return 0;
}

/* One word of the option, NAME, NAME:MS or NAME:KEY=VALUE... (cut in place). */
static void enable_word(char *word)
{
	char *colon = strchr(word, ':');
	unsigned long ms = FAULT_INJECT_DEFAULT_MS;

	if (colon)
		*colon = '\0';
	struct fault_inject *fi = fault_inject_find(word);
	if (!fi) {
		printk("fault_inject: unknown point '%s' (ignored)\n", word);
		return;
	}
	if (colon && strchr(colon + 1, '=')) {
		if (parse_fail(fi, colon + 1) < 0)
			printk("fault_inject: bad failure spec for point '%s' (ignored)\n", word);
		return;
	}
	if (colon && (parse_ulong(colon + 1, &ms) < 0 || !ms)) {
		printk("fault_inject: bad time '%s' for point '%s' (ignored)\n", colon + 1, word);
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
		if (!READ_ONCE(fi->ms) && !fail_point_on(fi))
			continue;
		len += snprintf(buf + len, len < size ? size - len : 0,
				"fault_inject_%s_hits %lu\nfault_inject_%s_events %lu\n",
				fi->name, fault_inject_hits(fi), fi->name, fault_inject_events(fi));
	}
	return len;
}

void fault_inject_report(void)
{
	for (struct fault_inject *fi = __fault_inject_start; fi < __fault_inject_end; fi++)
		if (fail_point_on(fi))
			printk("fault_inject: %s: %lu of %lu calls failed\n", fi->name,
			       fault_inject_events(fi), fault_inject_hits(fi));
}
