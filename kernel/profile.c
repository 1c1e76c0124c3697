/*
 * The sampling profiler (see profile.h).
 *
 * Each CPU keeps its samples in its own buffer, written only by its own
 * NMI handler, so taking a sample needs no lock -- an NMI may interrupt
 * a CPU holding any lock, and must never wait for one. The buffer fills
 * and then counts what it drops; at PROFILE_ORDER it holds 16384 samples,
 * 164 s at 100 Hz. The report stops sampling and reads every buffer.
 *
 * Why ask the neighbour: the timer interrupt is maskable. A CPU spinning
 * in spin_lock_irqsave() takes none, and the one it takes when it turns
 * interrupts back on would blame the unlock. An NMI is taken at any
 * instruction, so the neighbour's request lands inside the spin loop.
 */
#include "kernel/profile.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/idt.h"
#include "kernel/bootopt.h"
#include "kernel/ksyms.h"
#include "kernel/lockstat.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/thread.h"
#include "kernel/vmstat.h"
#include "mm/page_alloc.h"

unsigned long profile_hz;
BOOT_OPTION("profile", BOOTOPT_ULONG, profile_hz, "100",
	    "sample every CPU N times a second (profile: 100), print the top functions "
	    "and the lock statistics at power-off");

#define PROFILE_ORDER 7                      /* 512 KiB of samples per CPU */
#define PROFILE_DEPTH 3                      /* return addresses kept per sample */
#define PROFILE_MAX ((PAGE_SIZE << PROFILE_ORDER) / sizeof(struct profile_sample))
#define MAX_TIMER_MULTIPLIER 100             /* at most 100 * HZ = 10 kHz */
#define SAMPLE_USER 1ul                      /* rip of a sample taken in user mode */
#define SAMPLE_IDLE 2ul                      /* ... in the idle loop's hlt */
#define OPCODE_HLT 0xf4

struct profile_sample {
	u64 rip;                             /* or SAMPLE_USER, SAMPLE_IDLE */
	u64 callers[PROFILE_DEPTH];          /* return addresses, innermost first; 0: none */
};

struct profile_cpu {
	struct profile_sample *samples;      /* NULL until profile_start() */
	unsigned long nr, dropped;           /* written by this CPU's NMI handler only */
	int requested;                       /* a neighbour asked for a sample */
	unsigned int interrupts;             /* timer interrupts taken (this CPU only) */
};

static DEFINE_PER_CPU(struct profile_cpu, profile_cpu);
static bool sampling;

static unsigned int timer_multiplier(void)
{
	unsigned long m = (profile_hz + HZ - 1) / HZ;

	return m < 1 ? 1 : m > MAX_TIMER_MULTIPLIER ? MAX_TIMER_MULTIPLIER : (unsigned int)m;
}

unsigned int profile_timer_multiplier(void)
{
	return profile_hz ? timer_multiplier() : 1;
}

/* The next online CPU after this one, wrapping: the one whose sample we ask for. */
static int neighbour(void)
{
	for (int i = 1; i <= nr_cpus; i++) {
		int cpu = (cpu_id() + i) % nr_cpus;
		if (cpumask_test_cpu(cpu, &cpu_online_mask))
			return cpu;
	}
	return cpu_id();
}

bool profile_timer_interrupt(void)
{
	if (!profile_hz)
		return true;
	struct profile_cpu *pc = this_cpu_ptr(&profile_cpu);
	unsigned int rate = HZ * timer_multiplier();
	unsigned int every = profile_hz < rate ? rate / (unsigned int)profile_hz : 1;
	unsigned int n = ++pc->interrupts;

	if (READ_ONCE(sampling) && n % every == 0) {
		int cpu = neighbour();
		__atomic_store_n(&per_cpu_ptr(&profile_cpu, cpu)->requested, 1, __ATOMIC_RELEASE);
		lapic_send_nmi(cpus[cpu].apic_id);
	}
	return n % timer_multiplier() == 0;
}

/*
 * The frame-pointer chain from the interrupted rbp, read only while it
 * stays inside the interrupted thread's stack: an NMI must not fault.
 */
static void sample_callers(struct profile_sample *s, u64 rbp)
{
	struct thread *t = current;

	if (!t || !t->stack)
		return;
	u64 lo = (u64)t->stack, hi = t->stack_top;
	for (int i = 0; i < PROFILE_DEPTH; i++) {
		if ((rbp & 7) || rbp < lo || rbp + 16 > hi)
			return;
		s->callers[i] = ((u64 *)rbp)[1];
		u64 next = ((u64 *)rbp)[0];
		if (next <= rbp)                     /* the chain must go up the stack */
			return;
		rbp = next;
	}
}

bool profile_nmi(struct trap_frame *tf)
{
	struct profile_cpu *pc = this_cpu_ptr(&profile_cpu);

	if (!__atomic_exchange_n(&pc->requested, 0, __ATOMIC_ACQ_REL))
		return false;
	if (!READ_ONCE(sampling) || !pc->samples)
		return true;
	if (pc->nr >= PROFILE_MAX) {
		pc->dropped++;
		return true;
	}
	struct profile_sample *s = &pc->samples[pc->nr];
	*s = (struct profile_sample){ .rip = tf->rip };
	if (tf->cs & 3)
		s->rip = SAMPLE_USER;
	else if (*(const u8 *)(tf->rip - 1) == OPCODE_HLT)
		s->rip = SAMPLE_IDLE;                /* halted: nothing to do */
	else
		sample_callers(s, tf->rbp);
	WRITE_ONCE(pc->nr, pc->nr + 1);
	return true;
}

void profile_start(void)
{
	int cpu;

	if (!profile_hz)
		return;
	lockstat_enabled = true;
	for_each_online_cpu(cpu) {
		struct page *page = alloc_pages(PROFILE_ORDER);
		if (!page) {
			printk("profile: no memory for cpu %d's samples\n", cpu);
			continue;
		}
		WRITE_ONCE(per_cpu_ptr(&profile_cpu, cpu)->samples, page_address(page));
	}
	WRITE_ONCE(sampling, true);
	printk("profile: sampling every CPU at %lu Hz (an NMI from its neighbour), "
	       "lock statistics on\n", profile_hz);
}

unsigned long profile_nr_samples(int cpu)
{
	return READ_ONCE(per_cpu_ptr(&profile_cpu, cpu)->nr);
}

static bool addr_in(u64 addr, const char *name)
{
	u64 off;
	const char *sym = addr > SAMPLE_IDLE ? ksym_lookup(addr, &off) : NULL;

	return sym && !strcmp(sym, name);
}

bool profile_sample_in(int cpu, unsigned long i, const char *name)
{
	const struct profile_cpu *pc = per_cpu_ptr(&profile_cpu, cpu);

	if (!pc->samples || i >= READ_ONCE(pc->nr))
		return false;
	const struct profile_sample *s = &pc->samples[i];
	bool in = addr_in(s->rip, name);
	for (int d = 0; d < PROFILE_DEPTH && s->callers[d]; d++)
		in |= addr_in(s->callers[d] - 1, name);
	return in;
}

/* ---- the report ---- */

#define PROFILE_FUNCS 2048                   /* a power of two */
#define PROFILE_TOP 20
#define PROFILE_CHAINS 2                     /* caller chains shown per function */

struct func_count {
	const char *name;
	unsigned long n;
};

static struct func_count funcs[PROFILE_FUNCS];

static const char *addr_name(u64 addr)
{
	u64 off;

	if (addr == SAMPLE_USER)
		return "[user]";
	if (addr == SAMPLE_IDLE)
		return "[idle]";
	const char *name = ksym_lookup(addr, &off);
	return name ? name : "[unknown]";
}

/* Count one sample of name (an address in the symbol table: compared by pointer). */
static void count_name(const char *name)
{
	unsigned long h = ((unsigned long)name >> 2) * 0x9e3779b97f4a7c15ul;

	for (int i = 0; i < PROFILE_FUNCS; i++) {
		struct func_count *f = &funcs[((h >> 53) + (unsigned long)i) & (PROFILE_FUNCS - 1)];
		if (!f->name)
			f->name = name;
		if (f->name == name) {
			f->n++;
			return;
		}
	}
}

/* Move the PROFILE_TOP largest counts to the front, largest first. */
static int select_top(void)
{
	int n = 0;

	for (int i = 0; i < PROFILE_FUNCS; i++)
		if (funcs[i].name)
			funcs[n++] = funcs[i];
	for (int i = 0; i < n && i < PROFILE_TOP; i++)
		for (int j = i + 1; j < n; j++)
			if (funcs[j].n > funcs[i].n) {
				struct func_count t = funcs[i];
				funcs[i] = funcs[j];
				funcs[j] = t;
			}
	return n < PROFILE_TOP ? n : PROFILE_TOP;
}

struct chain_count {
	const char *names[PROFILE_DEPTH];
	unsigned long n;
};

static bool chain_equal(const struct chain_count *c, const char *const *names)
{
	for (int i = 0; i < PROFILE_DEPTH; i++)
		if (c->names[i] != names[i])
			return false;
	return true;
}

/* Print the commonest caller chains of the function called name. */
static void print_callers(const char *name, unsigned long total)
{
	static struct chain_count chains[64];
	int n = 0, cpu;

	for_each_online_cpu(cpu) {
		const struct profile_cpu *pc = per_cpu_ptr(&profile_cpu, cpu);
		for (unsigned long i = 0; pc->samples && i < pc->nr; i++) {
			const struct profile_sample *s = &pc->samples[i];
			if (s->rip <= SAMPLE_IDLE || addr_name(s->rip) != name)
				continue;
			const char *names[PROFILE_DEPTH];
			for (int d = 0; d < PROFILE_DEPTH; d++)
				names[d] = s->callers[d] ? addr_name(s->callers[d] - 1) : NULL;
			int c = 0;
			while (c < n && !chain_equal(&chains[c], names))
				c++;
			if (c == n && n == 64)
				continue;
			if (c == n)
				chains[n++] = (struct chain_count){ { names[0], names[1], names[2] }, 0 };
			chains[c].n++;
		}
	}
	for (int k = 0; k < PROFILE_CHAINS && k < n; k++) {
		int best = k;
		for (int c = k + 1; c < n; c++)
			if (chains[c].n > chains[best].n)
				best = c;
		struct chain_count t = chains[k];
		chains[k] = chains[best];
		chains[best] = t;
		const char *const *nm = chains[k].names;
		printk("profile:            %3lu%% <- %s <- %s <- %s\n", chains[k].n * 100 / total,
		       nm[0] ? nm[0] : "?", nm[1] ? nm[1] : "?", nm[2] ? nm[2] : "?");
	}
}

static void report_counters(void)
{
	unsigned long flushes = vm_event_sum(NR_TLB_REMOTE_FLUSH_CALLS);
	unsigned long ipis = vm_event_sum(NR_TLB_REMOTE_FLUSH);

	printk("profile: spinning: %lu contended acquisitions, %lu ms\n",
	       vm_event_sum(SPINLOCK_CONTENDED), vm_event_sum(SPINLOCK_WAIT_NS) / 1000000);
	printk("profile: TLB shootdowns: %lu flushes sent %lu IPIs (%lu.%02lu per flush), "
	       "%lu taken; %lu ms waiting for answers\n", flushes, ipis,
	       flushes ? ipis / flushes : 0, flushes ? ipis * 100 / flushes % 100 : 0,
	       vm_event_sum(NR_TLB_REMOTE_FLUSH_RECEIVED),
	       vm_event_sum(TLB_REMOTE_FLUSH_WAIT_NS) / 1000000);
	/*
	 * Under TCG each of these drops QEMU's whole software TLB and its
	 * jump cache: in 4-thread page_fault1 they, not the time asleep, are
	 * what sharing the mm costs the host (README, "What 4 threads still
	 * lose").
	 */
	printk("profile: CR3 writes: %lu whole-TLB flushes, %lu mm switches (%lu idle CPUs "
	       "leaving an mm)\n", vm_event_sum(NR_TLB_LOCAL_FLUSH_ALL),
	       vm_event_sum(NR_SWITCH_MM_CR3), vm_event_sum(NR_TLB_LAZY_LEAVE));
}

void profile_report(void)
{
	unsigned long total = 0, dropped = 0;
	int cpu;

	if (!profile_hz || panic_in_progress())
		return;
	WRITE_ONCE(sampling, false);
	for_each_online_cpu(cpu) {
		const struct profile_cpu *pc = per_cpu_ptr(&profile_cpu, cpu);
		for (unsigned long i = 0; pc->samples && i < pc->nr; i++)
			count_name(addr_name(pc->samples[i].rip));
		total += pc->samples ? pc->nr : 0;
		dropped += pc->dropped;
	}
	printk("profile: %lu samples on %d CPUs at %lu Hz, %lu dropped (buffers full)\n",
	       total, nr_cpus, profile_hz, dropped);
	int top = select_top();
	for (int i = 0; i < top && total; i++) {
		printk("profile: %5lu %3lu.%lu%% %s\n", funcs[i].n, funcs[i].n * 100 / total,
		       funcs[i].n * 1000 / total % 10, funcs[i].name);
		if (funcs[i].name[0] != '[' && i < PROFILE_TOP / 2)
			print_callers(funcs[i].name, funcs[i].n);
	}
	lockstat_report();
	report_counters();
}
