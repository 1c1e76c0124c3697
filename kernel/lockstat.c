/*
 * Lock statistics per lock class (see lockstat.h).
 *
 * Classes are found by the address of the name string, in an open hash
 * table that only grows: a new name claims a free slot with one
 * compare-and-swap, so no lock guards the lock statistics. Two strings
 * with the same text at different addresses (the same name in two files)
 * take two slots and are merged by name when printed. The counters are
 * per CPU, written only by their CPU with interrupts in any state: a
 * reader (the report) sums the CPUs.
 */
#include "kernel/lockstat.h"
#include "kernel/bootopt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"

bool lockstat_enabled;
BOOT_OPTION_BOOL("lockstat", lockstat_enabled,
		 "count acquisitions, contention and spinning per lock class, printed at "
		 "power-off (profile turns it on too)");

#define LOCKSTAT_CLASSES 128                /* a power of two */

struct lockstat_counts {
	u64 acquired;
	u64 contended;
	u64 spins;
	u64 wait_ns;
	u64 max_wait_ns;
};

static const char *class_name[LOCKSTAT_CLASSES];
static DEFINE_PER_CPU(struct lockstat_counts[LOCKSTAT_CLASSES], lockstat_counts);
static unsigned long lockstat_overflow;     /* notes that found the table full */

/* The slot of name, claimed now if it has none; -1 if the table is full. */
static int class_of(const char *name)
{
	unsigned long h = ((unsigned long)name >> 3) * 0x9e3779b97f4a7c15ul;

	for (int i = 0; i < LOCKSTAT_CLASSES; i++) {
		int slot = (int)((h >> 57) + (unsigned long)i) & (LOCKSTAT_CLASSES - 1);
		const char *seen = __atomic_load_n(&class_name[slot], __ATOMIC_ACQUIRE);
		if (seen == name)
			return slot;
		if (!seen) {
			const char *expected = NULL;
			if (__atomic_compare_exchange_n(&class_name[slot], &expected, name, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    expected == name)
				return slot;
		}
	}
	return -1;
}

void lockstat_note(const spinlock_t *l, u64 spins, u64 wait_ns)
{
	lockstat_note_class(l->name ? l->name : "(unnamed)", spins, wait_ns);
}

void lockstat_note_class(const char *name, u64 spins, u64 wait_ns)
{
	int slot = class_of(name);

	if (slot < 0) {
		__atomic_fetch_add(&lockstat_overflow, 1, __ATOMIC_RELAXED);
		return;
	}
	struct lockstat_counts *c = &(*this_cpu_ptr(&lockstat_counts))[slot];
	c->acquired++;
	if (!spins && !wait_ns)
		return;
	c->contended++;
	c->spins += spins;
	c->wait_ns += wait_ns;
	if (wait_ns > c->max_wait_ns)
		c->max_wait_ns = wait_ns;
}

struct lockstat_row {
	const char *name;
	struct lockstat_counts sum;
};

/* Add every CPU's counts of slot into row. */
static void sum_slot(struct lockstat_row *row, int slot)
{
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		const struct lockstat_counts *c = &(*per_cpu_ptr(&lockstat_counts, cpu))[slot];
		row->sum.acquired += READ_ONCE(c->acquired);
		row->sum.contended += READ_ONCE(c->contended);
		row->sum.spins += READ_ONCE(c->spins);
		row->sum.wait_ns += READ_ONCE(c->wait_ns);
		if (READ_ONCE(c->max_wait_ns) > row->sum.max_wait_ns)
			row->sum.max_wait_ns = READ_ONCE(c->max_wait_ns);
	}
}

/* One row per name (slots with the same text merged); returns the count. */
static int gather_rows(struct lockstat_row *rows)
{
	int n = 0;

	for (int slot = 0; slot < LOCKSTAT_CLASSES; slot++) {
		const char *name = READ_ONCE(class_name[slot]);
		if (!name)
			continue;
		int r = 0;
		while (r < n && strcmp(rows[r].name, name))
			r++;
		if (r == n)
			rows[n++] = (struct lockstat_row){ .name = name };
		sum_slot(&rows[r], slot);
	}
	return n;
}

void lockstat_report(void)
{
	static struct lockstat_row rows[LOCKSTAT_CLASSES];
	int n;

	if (!lockstat_enabled)
		return;
	n = gather_rows(rows);
	/* Most time spent spinning first (insertion sort: a few dozen rows). */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && rows[j - 1].sum.wait_ns < rows[j].sum.wait_ns; j--) {
			struct lockstat_row t = rows[j];
			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
	printk("lockstat: %-16s %10s %9s %11s %10s %9s\n", "class", "acquired", "contended",
	       "spins", "wait ms", "max us");
	for (int i = 0; i < n; i++) {
		const struct lockstat_counts *s = &rows[i].sum;
		printk("lockstat: %-16s %10llu %9llu %11llu %6llu.%03llu %9llu\n", rows[i].name,
		       (unsigned long long)s->acquired, (unsigned long long)s->contended,
		       (unsigned long long)s->spins, (unsigned long long)(s->wait_ns / 1000000),
		       (unsigned long long)(s->wait_ns / 1000 % 1000),
		       (unsigned long long)(s->max_wait_ns / 1000));
	}
	if (lockstat_overflow)
		printk("lockstat: %lu acquisitions of classes beyond the %d the table holds\n",
		       lockstat_overflow, LOCKSTAT_CLASSES);
}
