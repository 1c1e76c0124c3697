/*
 * Bringing up the application processors (APs).
 *
 * After reset only the boot CPU runs; the others wait for an INIT IPI and
 * then a STARTUP IPI (SIPI), which starts them in 16-bit real mode at a
 * 4 KiB page below 1 MiB named in the IPI. We copy boot/trampoline.asm
 * there; it takes an AP to long mode on the kernel's page tables and calls
 * ap_entry() on the AP's own stack. ap_entry() sets the CPU up like the boot
 * CPU, becomes its idle thread, marks it online and enters the idle loop.
 *
 * APs are started one at a time, in MADT order, with the sequence and delays
 * of the Intel SDM (vol. 3, "MP Initialization", INIT-SIPI-SIPI): INIT, wait
 * 10 ms, SIPI, wait 200 us, SIPI, wait 200 us. So one trampoline page, one
 * parameter block, and the CPU id is the order of arrival. Once all are up,
 * the identity map of low memory the trampoline ran on is dropped.
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/pgtable.h"
#include "arch/x86_64/syscall.h"
#include "kernel/bootopt.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "mm/kernel_pgtable.h"
#include "mm/memblock.h"

#define AP_STACK_SIZE      THREAD_STACK_SIZE   /* it becomes the idle thread's */
#define AP_ONLINE_TIMEOUT_MS 1000  /* from the first SIPI to "online" */
#define TRAMPOLINE_STACK   256     /* the real-mode stack at the page's top */
#define APIC_MAP_SIZE      1024    /* APIC ids we can map to CPU ids */
#define EFER_LMA           (1ul << 10)   /* read-only: "long mode active" */

/* Layout of the block at trampoline_params in boot/trampoline.asm. */
struct trampoline_params {
	u64 cr3, efer, cr0;
	u64 stack;
	u64 entry;
	u32 cpu;
	u32 started;
};                             /* naturally aligned: no padding, no packing */
_Static_assert(sizeof(struct trampoline_params) == 48, "must match boot/trampoline.asm");

extern const char trampoline_start[], trampoline_end[], trampoline_params[];

/* Each AP's stack, from the trampoline until forever: its idle thread's. */
static DEFINE_PER_CPU(u8[AP_STACK_SIZE], idle_stack) __aligned(16);

/* apic_cpu_map[apic id] = CPU id + 1; 0: no online CPU has that APIC id. */
static s16 apic_cpu_map[APIC_MAP_SIZE];

/* The boot CPU's CR4, copied by every AP: same paging features (PGE, SMEP, SMAP...). */
static u64 boot_cr4;

unsigned long maxcpus = MAX_CPUS;
BOOT_OPTION_ULONG("maxcpus", maxcpus, "start at most N CPUs, the boot CPU included");

int apic_id_to_cpu(u32 apic_id)
{
	return apic_id < APIC_MAP_SIZE ? READ_ONCE(apic_cpu_map[apic_id]) - 1 : -1;
}

/* Record cpu as online: in the APIC id map, the cpu struct and the online mask. */
static void mark_online(int cpu)
{
	u32 apic_id = cpus[cpu].apic_id;

	if (apic_id < APIC_MAP_SIZE)
		WRITE_ONCE(apic_cpu_map[apic_id], cpu + 1);
	WRITE_ONCE(cpus[cpu].online, true);
	cpumask_set_cpu(cpu, &cpu_online_mask);
}

/*
 * Where an AP arrives from the trampoline, on its own stack, interrupts off.
 * GS does not point at its struct cpu yet, so percpu_init_cpu comes first.
 */
static __noreturn void ap_entry(int cpu)
{
	u32 expected = cpus[cpu].apic_id;

	percpu_init_cpu(cpu, expected);
	write_cr4(boot_cr4);
	kernel_pgtable_init_ap();       /* whatever else mm/ sets per CPU */
	gdt_init_cpu();
	idt_load();
	lapic_init_ap();                /* also records the id the LAPIC reports */
	lapic_timer_start();            /* with the boot CPU's calibration */
	if (lapic_id() != expected)
		panic("cpu %d: started as apic id %u but reports %u", cpu, expected, lapic_id());
	fpu_init_cpu();
	syscall_init_cpu();
	sched_init_cpu((u64)cpus[cpu].stack_top);   /* from here on we are its idle thread */
	mark_online(cpu);               /* the boot CPU waits for this */
	cpu_idle_loop();
}

/*
 * The low page the APs start in: a SIPI names its start page with 8 bits,
 * so it must lie below 1 MiB, which memblock keeps for such uses.
 */
static phys_addr_t trampoline_page(void)
{
	phys_addr_t pa = memblock_alloc_low_page();

	if (!pa)
		panic("no free page below 1 MiB for the AP trampoline");
	return pa;
}

/*
 * Copy the trampoline to its page and fill the parameters every AP shares:
 * the boot CPU's CR3, EFER and CR0. Returns the parameter block in the page.
 */
static struct trampoline_params *setup_trampoline(phys_addr_t page)
{
	size_t size = trampoline_end - trampoline_start;
	u64 cr3 = read_cr3() & PTE_ADDR_MASK;
	const u64 *pgd = phys_to_virt(cr3);

	if (size + TRAMPOLINE_STACK > PAGE_SIZE)
		panic("trampoline of %zu bytes does not fit a page", size);
	if ((size_t)(trampoline_end - trampoline_params) != sizeof(struct trampoline_params))
		panic("struct trampoline_params does not match boot/trampoline.asm");
	if (cr3 >> 32)
		panic("kernel PGD at %#lx: the trampoline loads CR3 from 32-bit code", cr3);
	if (!(pgd[0] & _PAGE_PRESENT))
		panic("no identity map of low memory in PGD[0] for the trampoline");
	memcpy(phys_to_virt(page), trampoline_start, size);

	struct trampoline_params *p =
		phys_to_virt(page + (trampoline_params - trampoline_start));
	p->cr3 = cr3;
	p->efer = rdmsr(MSR_EFER) & ~EFER_LMA;
	p->cr0 = read_cr0();
	p->entry = (u64)ap_entry;
	boot_cr4 = read_cr4();
	return p;
}

/* Wait up to ms milliseconds for *flag to become true. */
static bool wait_for_flag(const volatile bool *flag, u64 ms)
{
	u64 deadline = ktime_ns() + ms * 1000000;

	while (!*flag) {
		if (ktime_ns() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

/*
 * Start the CPU with this APIC id as CPU `cpu` and wait until it is online.
 * Returns false, after saying why, if it does not come up in time; it is
 * then sent INIT again, so that it cannot wake later on a reused stack.
 */
static bool start_ap(struct trampoline_params *p, phys_addr_t page, int cpu, u32 apic_id)
{
	cpus[cpu].apic_id = apic_id;
	cpus[cpu].stack_top = (u8 *)per_cpu_ptr(&idle_stack, cpu) + AP_STACK_SIZE;
	p->stack = (u64)cpus[cpu].stack_top;
	p->cpu = cpu;
	WRITE_ONCE(p->started, 0);
	smp_mb();                       /* parameters visible before the AP runs */

	lapic_send_init(apic_id);
	mdelay(10);
	for (int i = 0; i < 2; i++) {
		lapic_send_sipi(apic_id, page >> PAGE_SHIFT);
		udelay(200);
	}
	if (wait_for_flag(&cpus[cpu].online, AP_ONLINE_TIMEOUT_MS))
		return true;
	if (READ_ONCE(p->started))
		printk("smp: cpu %d (apic id %u) ran the trampoline but did not come "
		       "online within %d ms; not used\n", cpu, apic_id, AP_ONLINE_TIMEOUT_MS);
	else
		printk("smp: apic id %u did not answer INIT-SIPI-SIPI within %d ms; not used\n",
		       apic_id, AP_ONLINE_TIMEOUT_MS);
	lapic_send_init(apic_id);
	return false;
}

/* Start the enabled CPUs of the MADT other than this one, up to maxcpus in all. */
static void start_aps(struct trampoline_params *p, phys_addr_t page)
{
	u32 boot_apic_id = cpus[0].apic_id;
	int not_started = 0;

	for (int i = 0; i < acpi_madt.nr_lapics; i++) {
		const struct acpi_lapic *l = &acpi_madt.lapics[i];
		if (!l->enabled || l->apic_id == boot_apic_id)
			continue;
		if ((unsigned long)nr_cpus >= maxcpus || nr_cpus == MAX_CPUS ||
		    l->apic_id >= APIC_MAP_SIZE) {
			not_started++;
			continue;
		}
		if (start_ap(p, page, nr_cpus, l->apic_id))
			WRITE_ONCE(nr_cpus, nr_cpus + 1);
	}
	if (not_started)
		printk("smp: %d CPUs not started (maxcpus=%lu, MAX_CPUS=%d, apic ids < %d)\n",
		       not_started, maxcpus, MAX_CPUS, APIC_MAP_SIZE);
}

void smp_boot_cpus(void)
{
	smp_call_init();
	spinlock_wake_init();
	mark_online(0);
	bool boot_cpu_listed = false;
	for (int i = 0; i < acpi_madt.nr_lapics; i++)
		boot_cpu_listed |= acpi_madt.lapics[i].apic_id == cpus[0].apic_id;
	if (!boot_cpu_listed)
		printk("smp: the boot CPU (apic id %u) is not in the MADT\n", cpus[0].apic_id);

	phys_addr_t page = trampoline_page();
	start_aps(setup_trampoline(page), page);
	kernel_pgtable_drop_identity(); /* the trampoline was its last user */
	printk("smp: %d CPUs online\n", nr_cpus);
}
