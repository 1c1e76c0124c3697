/*
 * Interrupts and exceptions: the trap frame, vector numbers, handler tables.
 *
 * Every vector enters through a stub in arch/x86_64/entry.asm that saves all
 * registers into a struct trap_frame and calls trap_dispatch().
 */
#pragma once
#include "kernel/types.h"

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector;
	u64 error;             /* error code, or 0 for vectors that push none */
	u64 rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};

/* Exceptions */
#define VEC_DE   0
#define VEC_DB   1
#define VEC_NMI  2
#define VEC_BP   3
#define VEC_UD   6
#define VEC_DF   8
#define VEC_GP   13
#define VEC_PF   14
#define VEC_MC   18

/* Interrupts. Legacy 8259 PIC vectors are parked at 0x20-0x2f (PIC masked). */
#define VEC_PIC_BASE      0x20
#define VEC_ISA_BASE      0x30   /* ISA IRQ n routed through the IOAPIC: 0x30 + n */
#define VEC_LAPIC_TIMER   0xec
#define VEC_CALL_FUNCTION 0xf2   /* cross-CPU function call (kernel/smp_call.c) */
#define VEC_RESCHEDULE    0xf3   /* make a CPU look at its run queue (kernel/sched.c) */
#define VEC_CALL_WAKE     0xf4   /* end the hlt of a CPU waiting for its call (smp_call.c) */
#define VEC_LOCK_WAKE     0xf5   /* end the hlt of a CPU waiting for a spinlock (spinlock.c) */
#define VEC_APIC_ERROR    0xfe
#define VEC_SPURIOUS      0xff

/* IST slots in the TSS: these exceptions switch to a known-good stack. */
#define IST_NMI 1
#define IST_DF  2
#define IST_MC  3
#define IST_STACK_SIZE 8192

typedef void (*irq_handler_t)(struct trap_frame *tf);

void idt_init(void);          /* build the IDT once */
void idt_load(void);          /* load it on this CPU */
void set_vector_handler(int vector, irq_handler_t fn);
/* Route ISA IRQ `irq` through the IOAPIC to this handler (on the boot CPU). */
void irq_register(int irq, irq_handler_t fn);

void trap_dispatch(struct trap_frame *tf);
const char *exception_name(int vector);

/* Print registers and a backtrace of tf (used by the exception and panic paths). */
void dump_trap_frame(const struct trap_frame *tf);
void dump_backtrace(u64 rbp, u64 rip);

static inline bool from_user(const struct trap_frame *tf) { return tf->cs & 3; }
