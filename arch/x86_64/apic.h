/*
 * The local APIC of each CPU: interrupts in, IPIs out, the per-CPU timer.
 *
 * Two programming models reach the same registers: xAPIC (memory-mapped at
 * 0xfee00000, 8-bit APIC ids) and x2APIC (MSRs 0x800+, 32-bit ids, a single
 * 64-bit write sends an IPI). We use x2APIC when CPUID offers it (boot option
 * apic=xapic forces the old one), xAPIC otherwise.
 */
#pragma once
#include "kernel/types.h"

#define HZ 100                     /* timer interrupts per second per CPU */

extern bool x2apic_mode;

void lapic_init(void);             /* boot CPU: choose the mode, map, enable */
void lapic_init_ap(void);          /* an AP enables its own LAPIC in that mode */
bool lapic_ready(void);
u32 lapic_id(void);
void lapic_eoi(void);

void lapic_send_ipi(u32 apic_id, int vector);
void lapic_send_ipi_allbutself(int vector);
void lapic_send_nmi_allbutself(void);
void lapic_send_nmi(u32 apic_id);
void lapic_send_init(u32 apic_id);
void lapic_send_sipi(u32 apic_id, u8 page);   /* AP starts at page << 12 */

/* Measure the timer rate against the PIT (boot CPU, once). */
void lapic_timer_calibrate(void);
/* Start this CPU's periodic timer at HZ. */
void lapic_timer_start(void);
extern u32 lapic_timer_hz;        /* timer input clock after the divider */
/* If set, called from every CPU's timer interrupt after its tick is counted
 * and the timers and scheduler tick ran (interrupts off). For tests. */
extern void (*lapic_timer_hook)(void);
