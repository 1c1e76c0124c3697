/*
 * The IDT, the dispatch of every vector, and what happens on an exception.
 *
 * An exception in kernel mode is a bug unless the faulting instruction has a
 * fixup (extable.h): then we resume at the fixup. Otherwise die(): print the
 * vector, error code, CR2, registers and a symbolized backtrace, stop the
 * other CPUs and power off with EXIT_PANIC.
 */
#include "arch/x86_64/idt.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/process.h"
#include "kernel/profile.h"
#include "kernel/signal.h"
#include "kernel/thread.h"
#include "mm/mm.h"

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 zero;
} __packed;

static struct idt_gate idt[256] __aligned(16);
static irq_handler_t vector_handlers[256];
extern const u64 isr_stub_table[256];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 FP error", "#AC alignment check",
	"#MC machine check", "#XM SIMD FP error", "#VE virtualization",
	"#CP control protection",
};

const char *exception_name(int vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return "reserved";
}

static void set_gate(int vec, u64 handler, int ist)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e,             /* present, DPL0, 64-bit interrupt gate */
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, isr_stub_table[v], 0);
	set_gate(VEC_NMI, isr_stub_table[VEC_NMI], IST_NMI);
	set_gate(VEC_DF, isr_stub_table[VEC_DF], IST_DF);
	set_gate(VEC_MC, isr_stub_table[VEC_MC], IST_MC);
	idt[VEC_BP].type_attr = 0xee;          /* int3 allowed from ring 3 */
}

void idt_load(void)
{
	struct { u16 limit; u64 base; } __packed idtr = { sizeof(idt) - 1, (u64)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void set_vector_handler(int vector, irq_handler_t fn)
{
	vector_handlers[vector] = fn;
}

static void print_pf_error(const struct trap_frame *tf)
{
	u64 e = tf->error;
	printk("  error %#lx: %s, %s, %s%s%s\n", e,
	       e & 1 ? "protection violation" : "not present",
	       e & 2 ? "write" : "read", e & 4 ? "user" : "kernel",
	       e & 8 ? ", reserved bit set" : "", e & 16 ? ", instruction fetch" : "");
}

void dump_trap_frame(const struct trap_frame *tf)
{
	printk("RIP: %016lx CS: %#lx RFLAGS: %#lx\n"
	       "RSP: %016lx SS: %#lx CR2: %016lx CR3: %016lx\n"
	       "RAX: %016lx RBX: %016lx RCX: %016lx\n"
	       "RDX: %016lx RSI: %016lx RDI: %016lx\n"
	       "RBP: %016lx R8:  %016lx R9:  %016lx\n"
	       "R10: %016lx R11: %016lx R12: %016lx\n"
	       "R13: %016lx R14: %016lx R15: %016lx\n",
	       tf->rip, tf->cs, tf->rflags, tf->rsp, tf->ss, read_cr2(), read_cr3(),
	       tf->rax, tf->rbx, tf->rcx, tf->rdx, tf->rsi, tf->rdi,
	       tf->rbp, tf->r8, tf->r9, tf->r10, tf->r11, tf->r12,
	       tf->r13, tf->r14, tf->r15);
}

static void print_addr(u64 addr)
{
	u64 off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		printk("  [<%016lx>] %s+%#lx\n", addr, name,
		       off);
	else
		printk("  [<%016lx>] ?\n", addr);
}

/*
 * Walk the frame-pointer chain (the kernel is built with frame pointers):
 * each frame holds the caller's rbp at [rbp] and the return address at
 * [rbp+8]. Every read is probed, so a corrupt chain ends the trace instead
 * of faulting again. rip, if not 0, is printed first (the faulting instruction).
 */
void dump_backtrace(u64 rbp, u64 rip)
{
	printk("Backtrace:\n");
	if (rip)
		print_addr(rip);
	for (int depth = 0; depth < 32 && rbp; depth++) {
		u64 next, ret;
		if ((rbp & 7) || probe_read_u64((void *)rbp, &next) ||
		    probe_read_u64((void *)(rbp + 8), &ret) || !ret)
			break;
		print_addr(ret - 1);           /* the call instruction, not the one after */
		if (next <= rbp)                /* stacks grow down: the chain must go up */
			break;
		rbp = next;
	}
}

static __noreturn void die(struct trap_frame *tf)
{
	panic_begin();
	printk("KERNEL EXCEPTION: %s (vector %lu) on cpu %d\n",
	       exception_name(tf->vector), tf->vector, cpu_id());
	if (tf->vector == VEC_PF)
		print_pf_error(tf);
	else
		printk("  error code %#lx\n", tf->error);
	dump_trap_frame(tf);
	dump_backtrace(tf->rbp, tf->rip);
	panic_end();
}

/*
 * May a kernel-mode fault on a user address be handled as demand paging?
 * Only from an instruction allowed to fault (a uaccess copy, extable) that
 * opened user memory with STAC: with SMAP on, a fault with AC clear is an
 * SMAP violation on a page that may well be mapped, and handle_mm_fault
 * would find nothing to fix and let it fault again forever. And only where
 * handle_mm_fault may run, for it sleeps (mmap_lock) and allocates:
 * interrupts were on, and faults are not disabled -- not in an interrupt
 * handler, no spinlock held (the fault may need a PTE lock the interrupted
 * code holds), not inside rcu_read_lock() or with preemption off, not
 * under pagefault_disable() (faulthandler_disabled). Otherwise the copy's
 * fixup makes it fail with -EFAULT (Linux: bad_area_nosemaphore).
 */
static bool kernel_fault_may_page_in(const struct trap_frame *tf, u64 addr)
{
	if (addr >= USER_TOP || !search_extable(tf->rip))
		return false;
	if (cpu_has.smap && !(tf->rflags & RFLAGS_AC))
		return false;
	return (tf->rflags & RFLAGS_IF) && !faulthandler_disabled();
}

/*
 * #PF on a user address: demand paging in the running thread's own mm.
 * Returns true if the fault was resolved and the instruction may run again.
 * A user-mode fault handle_mm_fault refuses falls through to
 * user_exception() (SIGSEGV); a kernel one to the extable fixup.
 */
static bool do_page_fault(struct trap_frame *tf)
{
	u64 addr = read_cr2();      /* before interrupts are on: another fault would change it */

	if (!from_user(tf) && !kernel_fault_may_page_in(tf, addr))
		return false;
	/*
	 * current->mm, never the mm loaded on this CPU: a kernel thread has no
	 * mm but may borrow whatever mm was loaded (lazy TLB), one that may be
	 * on its way out, and must not fault pages into it (issue 9, bug 3).
	 * No mm: nothing to page in, the fixup fails the copy with -EFAULT.
	 */
	struct mm_struct *mm = current->mm;
	if (!mm)
		return false;
	/*
	 * A uaccess copy faulted with AC set, and the CPU does not clear it on
	 * entry. Close user memory for the handler itself, which may sleep on
	 * mmap_lock and must not hand AC to the next thread; iretq restores
	 * the copy's AC.
	 */
	clac();
	/* Run the fault with interrupts as they were: it may wait for TLB-flush IPIs. */
	if (tf->rflags & RFLAGS_IF)
		irq_enable();
	int err = mm_fault_from_trap(mm, addr, tf->error, from_user(tf));
	irq_disable();
	return err == 0;
}

/* The signal Linux sends for an exception taken in user mode. */
static int exception_signal(u64 vector)
{
	switch (vector) {
	case VEC_DE: case 16: case 19:          /* divide, x87 and SIMD errors */
		return SIGFPE;
	case VEC_DB: case VEC_BP:
		return SIGTRAP;
	case VEC_UD:
		return SIGILL;
	case 17:                                /* alignment check */
		return SIGBUS;
	default:                                /* #GP, #PF, #SS, #NP, ... */
		return SIGSEGV;
	}
}

/* The si_code Linux gives the signal of an exception. */
static int exception_code(const struct trap_frame *tf)
{
	switch (tf->vector) {
	case VEC_PF:
		return tf->error & X86_PF_PROT ? SEGV_ACCERR : SEGV_MAPERR;
	case VEC_UD:
		return 2;                       /* ILL_ILLOPN */
	case VEC_DE:
		return 1;                       /* FPE_INTDIV */
	case VEC_BP: case VEC_DB:
		return 1;                       /* TRAP_BRKPT */
	default:
		return SI_KERNEL;               /* #GP and the like: no address to report */
	}
}

/*
 * A user program faulted: send it the signal Linux sends (SIGSEGV with
 * the address for a page fault). It is delivered on the way back to user
 * mode: to a handler if the program installed one, else the default
 * action ends the whole process, and only it. CR2 is read before
 * interrupts come back on, since another fault would overwrite it.
 */
static void user_exception(struct trap_frame *tf)
{
	int sig = exception_signal(tf->vector);
	/* si_addr: the faulting address for a page fault; for SIGILL, SIGFPE and
	 * SIGTRAP the instruction, as Linux; nothing for #GP and the like. */
	u64 addr = tf->vector == VEC_PF ? read_cr2() :
		   sig == SIGILL || sig == SIGFPE || sig == SIGTRAP ? tf->rip : 0;

	irq_enable();
	force_sig_fault(sig, exception_code(tf), addr);
	irq_disable();
}

static void handle_exception(struct trap_frame *tf)
{
	if (tf->vector == VEC_NMI) {
		if (panic_in_progress())
			panic_park_this_cpu();  /* never returns */
		if (profile_nmi(tf))
			return;                 /* a sample the profiler asked for */
		printk("NMI received for no known reason\n");
		return;
	}
	if (tf->vector == VEC_PF && do_page_fault(tf))
		return;
	if (!from_user(tf) && (tf->vector == VEC_PF || tf->vector == VEC_GP)) {
		u64 fixup = search_extable(tf->rip);
		if (fixup) {
			tf->rip = fixup;
			return;
		}
	}
	if (from_user(tf) && current->process) {
		user_exception(tf);
		return;
	}
	die(tf);
}

void trap_dispatch(struct trap_frame *tf)
{
	if (tf->vector < 32) {
		handle_exception(tf);
		return;
	}
	struct cpu *c = this_cpu();
	c->irq_depth++;
	irq_handler_t fn = vector_handlers[tf->vector];
	if (fn)
		fn(tf);
	else if (tf->vector >= VEC_PIC_BASE && tf->vector < VEC_PIC_BASE + 16)
		;                              /* spurious IRQ from the masked 8259 PIC */
	else
		printk("unexpected interrupt vector %#lx\n", tf->vector);
	if (tf->vector != VEC_SPURIOUS && !(tf->vector >= VEC_PIC_BASE && tf->vector < VEC_ISA_BASE))
		lapic_eoi();
	c->irq_depth--;
}
