/* Local APIC driver, xAPIC and x2APIC (see apic.h). */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "kernel/bootopt.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/profile.h"
#include "kernel/timer.h"
#include "mm/kernel_pgtable.h"

/* Register offsets in the xAPIC page; x2APIC MSR = 0x800 + offset / 16. */
#define APIC_ID        0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_EOI       0x0b0
#define APIC_SVR       0x0f0
#define APIC_ESR       0x280
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0

#define APIC_BASE_ENABLE (1ul << 11)
#define APIC_BASE_X2APIC (1ul << 10)
#define SVR_ENABLE     (1u << 8)
#define LVT_MASKED     (1u << 16)
#define LVT_PERIODIC   (1u << 17)
#define ICR_FIXED      (0u << 8)
#define ICR_NMI        (4u << 8)
#define ICR_INIT       (5u << 8)
#define ICR_STARTUP    (6u << 8)
#define ICR_PENDING    (1u << 12)
#define ICR_ASSERT     (1u << 14)
#define ICR_LEVEL      (1u << 15)
#define ICR_ALL_BUT_SELF (3u << 18)

bool x2apic_mode;
u32 lapic_timer_hz;
static volatile u32 *xapic;        /* MMIO window in xAPIC mode */
static bool ready;

static const char *apic_mode_opt = "auto";
BOOT_OPTION_STR("apic", apic_mode_opt, "auto|xapic|x2apic: local APIC mode");

static u32 apic_read(u32 reg)
{
	if (x2apic_mode)
		return (u32)rdmsr(0x800 + (reg >> 4));
	return xapic[reg / 4];
}

static void apic_write(u32 reg, u32 v)
{
	if (x2apic_mode)
		wrmsr(0x800 + (reg >> 4), v);
	else
		xapic[reg / 4] = v;
}

bool lapic_ready(void)
{
	return ready;
}

u32 lapic_id(void)
{
	return x2apic_mode ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24;
}

void lapic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/*
 * Send an IPI. In xAPIC mode the ICR is two 32-bit registers and writing the
 * low half sends, so the pair must not be split by an interrupt handler that
 * sends an IPI of its own: interrupts are off around it. x2APIC writes both
 * halves in one MSR write. xAPIC waits for the previous IPI to have left
 * (delivery status idle) before writing, not after: nothing here needs to
 * know this one has left, and under emulation each read of the ICR is a
 * slow trip to the emulated APIC (send_icr was 7% of a 4-thread
 * page_fault1 profile).
 */
static void send_icr(u32 dest, u32 low)
{
	unsigned long flags = irq_save();

	if (x2apic_mode) {
		wrmsr(0x800 + (APIC_ICR_LO >> 4), ((u64)dest << 32) | low);
	} else {
		while (apic_read(APIC_ICR_LO) & ICR_PENDING)
			cpu_relax();
		apic_write(APIC_ICR_HI, dest << 24);
		apic_write(APIC_ICR_LO, low);
	}
	irq_restore(flags);
}

void lapic_send_ipi(u32 apic_id, int vector)
{
	send_icr(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_ipi_allbutself(int vector)
{
	send_icr(0, ICR_ALL_BUT_SELF | ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_nmi_allbutself(void)
{
	send_icr(0, ICR_ALL_BUT_SELF | ICR_NMI | ICR_ASSERT);
}

void lapic_send_nmi(u32 apic_id)
{
	send_icr(apic_id, ICR_NMI | ICR_ASSERT);
}

void lapic_send_init(u32 apic_id)
{
	send_icr(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	udelay(200);
	send_icr(apic_id, ICR_INIT | ICR_LEVEL);        /* de-assert */
}

void lapic_send_sipi(u32 apic_id, u8 page)
{
	send_icr(apic_id, ICR_STARTUP | ICR_ASSERT | page);
}

static void apic_error(struct trap_frame *tf)
{
	apic_write(APIC_ESR, 0);
	printk("APIC error, ESR=%#x\n", apic_read(APIC_ESR));
}

void (*lapic_timer_hook)(void);

static void apic_timer(struct trap_frame *tf)
{
	void (*hook)(void) = READ_ONCE(lapic_timer_hook);

	if (!profile_timer_interrupt())
		return;                         /* profile=N faster than HZ: a sample, not a tick */
	this_cpu()->ticks++;
	run_local_timers();
	scheduler_tick();
	rcu_tick();                     /* grace periods advance on the tick */
	if (hook)
		hook();
}

/* Put this CPU's LAPIC in the chosen mode and accept interrupts. */
static void lapic_enable_here(void)
{
	u64 base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

	if (x2apic_mode)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
	apic_write(APIC_TPR, 0);                        /* accept every priority */
	apic_write(APIC_LVT_LINT0, LVT_MASKED);
	apic_write(APIC_LVT_LINT1, LVT_MASKED);
	apic_write(APIC_LVT_ERROR, VEC_APIC_ERROR);
	apic_write(APIC_ESR, 0);
	apic_write(APIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	this_cpu()->apic_id = lapic_id();
}

void lapic_init(void)
{
	if (!strcmp(apic_mode_opt, "x2apic") && !cpu_has.x2apic)
		printk("apic: x2apic requested but the CPU has none; using xapic\n");
	x2apic_mode = cpu_has.x2apic && strcmp(apic_mode_opt, "xapic") != 0;
	if (!x2apic_mode)
		xapic = ioremap(rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK, PAGE_SIZE);
	set_vector_handler(VEC_APIC_ERROR, apic_error);
	set_vector_handler(VEC_LAPIC_TIMER, apic_timer);
	lapic_enable_here();
	ready = true;
	printk("apic: %s mode, boot CPU apic id %u\n", x2apic_mode ? "x2APIC" : "xAPIC",
	       lapic_id());
}

void lapic_init_ap(void)
{
	lapic_enable_here();
}

/* Count timer ticks (divider 16) over 10 ms of the PIT. */
void lapic_timer_calibrate(void)
{
	apic_write(APIC_TIMER_DIV, 0x3);                /* divide by 16 */
	apic_write(APIC_LVT_TIMER, LVT_MASKED);
	pit_oneshot_start(1193182 / 100);
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	while (!pit_oneshot_done())
		cpu_relax();
	u32 elapsed = 0xffffffff - apic_read(APIC_TIMER_CUR);
	apic_write(APIC_TIMER_INIT, 0);
	lapic_timer_hz = elapsed * 100;
	printk("apic: timer %u.%03u MHz after divider, %d Hz tick\n",
	       lapic_timer_hz / 1000000, lapic_timer_hz / 1000 % 1000, HZ);
}

void lapic_timer_start(void)
{
	apic_write(APIC_TIMER_DIV, 0x3);
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_LAPIC_TIMER);
	apic_write(APIC_TIMER_INIT, lapic_timer_hz / (HZ * profile_timer_multiplier()));
}
