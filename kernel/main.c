/*
 * kmain: the boot CPU's path from the 32-bit entry (boot/entry.asm) to a
 * running system. Each step needs the ones before it; the order is the
 * dependency graph of the kernel, read top to bottom.
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/syscall.h"
#include "kernel/bootinfo.h"
#include "kernel/bootopt.h"
#include "kernel/fault_inject.h"
#include "kernel/crashtest.h"
#include "kernel/futex.h"
#include "kernel/init.h"
#include "kernel/kbench.h"
#include "kernel/ktest.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/profile.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "mm/huge_memory.h"
#include "kernel/tty.h"
#include "mm/mm_init.h"
#include "mm/page_alloc.h"

static const char *ktest_glob;
BOOT_OPTION("ktest", BOOTOPT_STR, ktest_glob, "*",
	    "run the in-kernel tests (all, or ktest=GLOB), then power off");

static void banner(void)
{
	u64 ram = 0;
	for (int i = 0; i < bootinfo.nr_mmap; i++)
		if (bootinfo.mmap[i].type == MMAP_AVAILABLE)
			ram += bootinfo.mmap[i].len;
	printk("Quiesce: x86-64 teaching kernel, booted by %s via %s\n",
	       bootinfo.loader_name, bootinfo.uefi ? "UEFI" : "BIOS");
	printk("cpu: %s%s%s\n", cpu_has.vendor, cpu_has.brand[0] ? " " : "", cpu_has.brand);
	printk("memory: %llu MiB available in %d memory map entries\n",
	       (unsigned long long)(ram >> 20), bootinfo.nr_mmap);
	printk("command line: '%s'\n", bootinfo.cmdline);
}

/*
 * The first thread: what the system is for, once it is up. Bound to the
 * boot CPU, where the tests expect to run (the serial IRQ goes there).
 */
static int kernel_init(void *unused)
{
	printk("Quiesce ready: %d CPUs, %lu MiB free, booted via %s\n", nr_cpus,
	       nr_free_pages() >> (20 - PAGE_SHIFT), bootinfo.uefi ? "UEFI" : "BIOS");
	profile_start();
	crashtest_run();
	tty_start();
	init_fs();                      /* the file tree: tests look things up in it too */
	if (ktest_glob)
		poweroff(ktest_run(ktest_glob) ? EXIT_TESTS_FAILED : EXIT_OK);
	kbench_run();
	poweroff(init_run_programs());
}

/* The boot CPU's stack (boot/entry.asm), on which kmain runs and CPU 0 idles. */
extern char boot_stack_top[];

void kmain(phys_addr_t mbi_phys, u32 magic)
{
	percpu_init();
	percpu_init_cpu(0, 0);
	serial_init();
	cpu_features_init();
	gdt_init_cpu();
	idt_init();
	idt_load();
	tsc_calibrate();

	bootinfo_parse(mbi_phys);
	bootopt_parse(bootinfo.cmdline);
	spinlock_setup();
	fault_inject_init();
	banner();

	mm_init();
	fpu_init();
	sched_init_cpu((u64)boot_stack_top);   /* kmain is now CPU 0's idle thread */
	syscall_init_cpu();
	lapic_init();
	lapic_timer_calibrate();
	lapic_timer_start();
	acpi_init();
	ioapic_init();
	tty_init();                     /* the console's line discipline, before its input comes */
	serial_enable_irq();
	irq_enable();
	smp_boot_cpus();
	rcu_init();                     /* one callback thread per online CPU */
	rtc_init();
	futex_init();
	khugepaged_init();              /* thp=always: collapse in the background */

	put_thread(kthread_run("init", kernel_init, NULL, 0));
	cpu_idle_loop();
}
