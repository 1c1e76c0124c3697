/* Ticket and test-and-set spinlocks with debug checks (see spinlock.h). */
#include "kernel/spinlock.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/bootopt.h"
#include "kernel/lockstat.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/vmstat.h"

static const char *spinlock_opt = "auto";
BOOT_OPTION_STR("spinlock", spinlock_opt, "ticket|tas|auto: how a waiter takes a "
		"spinlock -- FIFO tickets, or test-and-set (auto: test-and-set under a hypervisor)");

/* Set once by spinlock_setup(), before any other CPU runs; read-mostly after. */
bool spinlock_tas;

static bool spinlock_halt = true;
BOOT_OPTION_BOOL("spinlock_halt", spinlock_halt, "on|off: a test-and-set waiter with "
		 "interrupts on halts after spinlock_spin_us, and the unlock wakes it (default on)");
static unsigned long spinlock_spin_us = 20;
BOOT_OPTION_ULONG("spinlock_spin_us", spinlock_spin_us,
		  "how long a test-and-set waiter spins before it halts, in microseconds (20)");
/* The lock this CPU is halted on (halt_for_unlock), for the unlocker to find. */
static DEFINE_PER_CPU(spinlock_t *, halted_on);
static DEFINE_PER_CPU(u64, wakes_received);

spinlock_t *spin_halted_on(int cpu)
{
	return READ_ONCE(*per_cpu_ptr(&halted_on, cpu));
}

u64 spin_wakes_received(int cpu)
{
	return READ_ONCE(*per_cpu_ptr(&wakes_received, cpu));
}

void spin_lock_init(spinlock_t *l, const char *name)
{
	*l = (spinlock_t)SPINLOCK_INIT(name);
}

bool spin_held_by_me(const spinlock_t *l)
{
	return READ_ONCE(l->holder_cpu) == cpu_id();
}

bool spin_is_locked(const spinlock_t *l)
{
	u32 v = READ_ONCE(l->val);
	return (u16)v != (u16)(v >> 16);
}

void spinlock_setup(void)
{
	bool guest = cpu_has.hypervisor, tas = !strcmp(spinlock_opt, "tas");
	bool ticket = !strcmp(spinlock_opt, "ticket");

	if (!tas && !ticket && strcmp(spinlock_opt, "auto"))
		printk("spinlock: unknown kind '%s' (ticket|tas|auto); using auto\n", spinlock_opt);
	spinlock_tas = tas || (!ticket && guest);
	printk("spinlock: %s%s\n", spinlock_tas ? "test-and-set" : "ticket (FIFO)",
	       tas || ticket ? "" : guest ? " (auto: the CPUID hypervisor bit says we are a guest)"
					  : " (auto: no hypervisor bit, real CPUs)");
}

static void lock_acquired(spinlock_t *l)
{
	WRITE_ONCE(l->holder_cpu, cpu_id());
	this_cpu()->locks_held++;
}

/* Every 4096 spins: complain once if the wait has gone on far too long. */
static void check_lockup(const spinlock_t *l, u64 spins, u64 start, bool *warned)
{
	if (spins % 4096 || *warned)
		return;
	if (ktime_ns() - start > SPIN_LOCKUP_SECONDS * 1000000000ull) {
		*warned = true;
		printk("spinlock lockup? %s held by cpu %d for %us\n",
		       l->name, READ_ONCE(l->holder_cpu), SPIN_LOCKUP_SECONDS);
	}
}

/* Spin until our ticket comes up. start: when we began. Returns the spins. */
static u64 wait_for_ticket(spinlock_t *l, u16 ticket, u64 start)
{
	bool warned = false;
	u64 spins = 0;

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
		cpu_relax();
		check_lockup(l, ++spins, start, &warned);
	}
	return spins;
}

/*
 * Test-and-set: take the lock only if it is free (owner == next), by
 * moving `next` on with one compare-and-swap -- the same word, the same
 * unlock as a ticket lock, but nobody holds a place in a queue.
 */
static bool tas_try(spinlock_t *l)
{
	u32 old = READ_ONCE(l->val);

	return (u16)old == (u16)(old >> 16) &&
	       __atomic_compare_exchange_n(&l->val, &old, old + 0x10000, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Halt until the lock is released, unless it already is. Interrupts are on
 * (the caller checked), so the CPU still takes its interrupts, and the
 * holder's spin_unlock wakes us with VEC_LOCK_WAKE (wake_halted). The
 * waiter counts itself in l->halted with a locked instruction, then looks
 * at the lock; the unlocker releases it with a locked instruction, then
 * looks at l->halted: one of the two always sees the other, so no waiter
 * halts through the unlock. (`sti; hlt` takes a wake-up that arrives
 * between the look and the hlt.) A timer tick also ends the hlt.
 *
 * Why: a test-and-set waiter whose lock holder's virtual CPU the host has
 * descheduled spins on a host CPU that the holder could use to finish --
 * Linux's paravirtual spinlocks halt the same way and have the host kick
 * them; here the kick is an ordinary IPI. What it bought on 4 TCG vCPUs /
 * 2 host cores, spinlock_halt=off -> on, alternating runs: 4-thread
 * tlb_flush2 1073-1135 -> 1369-1376 rounds/s, page_fault1 288-311 k ->
 * 328-337 k faults/s.
 */
static void halt_for_unlock(spinlock_t *l)
{
	spinlock_t **mine = this_cpu_ptr(&halted_on);

	irq_disable();
	WRITE_ONCE(*mine, l);
	__atomic_fetch_add(&l->halted, 1, __ATOMIC_SEQ_CST);
	if (spin_is_locked(l)) {
		count_vm_event(SPINLOCK_HALTS);
		safe_halt();
		irq_disable();
	}
	__atomic_fetch_sub(&l->halted, 1, __ATOMIC_RELAXED);
	WRITE_ONCE(*mine, NULL);
	irq_enable();
}

/* From spin_unlock: IPI every CPU halted on l. */
static void wake_halted(spinlock_t *l)
{
	int cpu;

	count_vm_event(SPINLOCK_WAKES);
	for_each_cpu(cpu, &cpu_online_mask)
		if (cpu != cpu_id() && READ_ONCE(*per_cpu_ptr(&halted_on, cpu)) == l)
			lapic_send_ipi(cpus[cpu].apic_id, VEC_LOCK_WAKE);
}

/* Taking the interrupt ended the hlt; count it for the tests. */
static void lock_wake_interrupt(struct trap_frame *tf)
{
	(*this_cpu_ptr(&wakes_received))++;
}

void spinlock_wake_init(void)
{
	set_vector_handler(VEC_LOCK_WAKE, lock_wake_interrupt);
}

/*
 * Spin reading (no locked instruction, the line stays shared) until it
 * looks free, then try. With interrupts on and spinlock_halt, a wait
 * longer than spinlock_spin_us halts instead (halt_for_unlock).
 */
static u64 wait_tas(spinlock_t *l, u64 start)
{
	bool warned = false, may_halt = READ_ONCE(spinlock_halt) && irqs_enabled();
	u64 spins = 0, spin_ns = READ_ONCE(spinlock_spin_us) * 1000;

	do {
		while (spin_is_locked(l)) {
			if (may_halt && ktime_ns() - start >= spin_ns)
				halt_for_unlock(l);
			else
				cpu_relax();
			check_lockup(l, ++spins, start, &warned);
		}
	} while (!tas_try(l));
	return spins;
}

/*
 * We had to wait. The contention is counted when the wait begins (so a
 * holder can see that someone waits: /proc/vmstat spinlock_contended), the
 * time when it ends (spinlock_wait_ns), and the class's line in the lock
 * statistics once we hold the lock.
 */
static u64 lock_wait_begin(void)
{
	count_vm_event(SPINLOCK_CONTENDED);
	return ktime_ns();
}

static void lock_wait_end(const spinlock_t *l, u64 spins, u64 start)
{
	u64 ns = ktime_ns() - start;

	count_vm_events(SPINLOCK_WAIT_NS, ns);
	if (lockstat_enabled)
		lockstat_note(l, spins ? spins : 1, ns ? ns : 1);
}

/*
 * Two ways to wait, chosen at boot (spinlock=ticket|tas|auto).
 *
 * Ticket (FIFO): fair, and on real CPUs the better lock -- no waiter
 * starves, each hand-over is one cache-line transfer. But the lock goes to
 * the next ticket even if that waiter's CPU is not running: under a
 * hypervisor that has descheduled that virtual CPU, the lock sits free and
 * every waiter behind it spins until the host runs it again, a whole host
 * time slice. Test-and-set: whoever is running when the lock comes free
 * takes it; a descheduled waiter holds nothing up. Unfair, but it survives
 * preempted virtual CPUs, which is why Linux falls back to it in a guest
 * without paravirtual spinlocks (virt_spin_lock, on the CPUID hypervisor
 * bit) and why `auto` does the same.
 *
 * What it bought, make bench on 4 TCG vCPUs / 2 busy host cores: with
 * tickets, 76% of a 4-thread page_fault1's samples spun in wait_for_ticket
 * (mmap_lock's and zone.lock's inner locks, rq->lock; waits up to 180 ms)
 * and it made 24 k faults/s; see README "Benchmarks" for the figures after.
 */
void spin_lock(spinlock_t *l)
{
	preempt_disable();
	if (unlikely(spin_held_by_me(l)))
		panic("recursion on lock %s", l->name);
	if (READ_ONCE(spinlock_tas)) {
		if (!tas_try(l)) {
			u64 start = lock_wait_begin();
			lock_wait_end(l, wait_tas(l, start), start);
		} else if (unlikely(lockstat_enabled)) {
			lockstat_note(l, 0, 0);
		}
		lock_acquired(l);
		return;
	}
	u16 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
		u64 start = lock_wait_begin();
		lock_wait_end(l, wait_for_ticket(l, ticket, start), start);
	} else if (unlikely(lockstat_enabled)) {
		lockstat_note(l, 0, 0);
	}
	lock_acquired(l);
}

bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	/* Free means owner == next; take the ticket only if nobody moved. */
	if (tas_try(l)) {
		if (unlikely(lockstat_enabled))
			lockstat_note(l, 0, 0);
		lock_acquired(l);
		return true;
	}
	preempt_enable();
	return false;
}

void spin_unlock(spinlock_t *l)
{
	if (unlikely(!spin_held_by_me(l)))
		panic("unlock of %s held by cpu %d", l->name, l->holder_cpu);
	this_cpu()->locks_held--;
	WRITE_ONCE(l->holder_cpu, -1);
	if (READ_ONCE(spinlock_tas) && READ_ONCE(spinlock_halt)) {
		/*
		 * A waiter may halt (halt_for_unlock): release with a locked
		 * instruction, a full barrier, so the look at halted that
		 * follows cannot be done before the release is visible.
		 */
		__atomic_fetch_add(&l->owner, 1, __ATOMIC_SEQ_CST);
		if (unlikely(__atomic_load_n(&l->halted, __ATOMIC_RELAXED)))
			wake_halted(l);
	} else {
		/* Only the holder writes owner, so a plain increment with release is enough. */
		__atomic_store_n(&l->owner, (u16)(l->owner + 1), __ATOMIC_RELEASE);
	}
	preempt_enable();
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = irq_save();
	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	irq_restore(flags);
}
