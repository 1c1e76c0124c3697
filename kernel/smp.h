/*
 * SMP: bringing the other CPUs up, and making them run functions for us.
 *
 * Bring-up (arch/x86_64/smp.c): the boot CPU starts each enabled CPU of the
 * MADT with INIT-SIPI-SIPI, one at a time; CPU ids are dense, 0 being the
 * boot CPU, in the order the CPUs came up.
 *
 * Cross-CPU calls (kernel/smp_call.c): a call is queued on each target CPU
 * and one VEC_CALL_FUNCTION IPI is sent per target; the target runs the
 * function in its interrupt handler, interrupts off. The rules:
 *   - A call that waits is made with interrupts enabled (asserted), and no
 *     call is made from an interrupt handler or from a called function.
 *   - While it waits, a CPU keeps running the calls queued to it, so CPUs
 *     calling each other at the same time cannot deadlock.
 *   - An asynchronous call (wait == false) does not use the caller's stack:
 *     it travels in a per-CPU slot, reused once the target has run it.
 *
 * CPU work (kernel/cpu_work.c): run_on_cpus() runs a function on several
 * CPUs at once, in kernel threads bound to them (process context,
 * interrupts on).
 */
#pragma once
#include "kernel/cpumask.h"

typedef void (*smp_call_func_t)(void *arg);

/* Start every other CPU the MADT lists (at most maxcpus=N in all). */
void smp_boot_cpus(void);
extern unsigned long maxcpus;      /* boot option maxcpus=N */
/* The CPU id of the CPU with this local APIC id, or -1. */
int apic_id_to_cpu(u32 apic_id);

/* Register the VEC_CALL_FUNCTION handler; before any CPU can receive a call. */
void smp_call_init(void);

/*
 * Run fn(arg) on `cpu` (directly, interrupts off, if it is this CPU). With
 * wait, return after fn has returned there. Returns 0, or -ENODEV if cpu
 * is not online.
 */
int smp_call_function_single(int cpu, smp_call_func_t fn, void *arg, bool wait);
/* Run fn(arg) on every online CPU of mask except this one. */
void smp_call_function_many(const cpumask_t *mask, smp_call_func_t fn, void *arg, bool wait);
/* Run fn(arg) on every online CPU, this one included (here with interrupts off). */
void on_each_cpu(smp_call_func_t fn, void *arg, bool wait);

/* Counters of one CPU's cross-CPU calls; each only grows. */
struct smp_call_stats {
	u64 calls_sent;          /* calls queued to other CPUs */
	u64 ipis_sent;           /* VEC_CALL_FUNCTION IPIs sent */
	u64 ipis_received;       /* VEC_CALL_FUNCTION interrupts taken */
	u64 calls_run;           /* functions run for other CPUs */
	u64 wakes_sent;          /* VEC_CALL_WAKE IPIs sent to a halted waiter */
	u64 wakes_received;      /* ... and taken, here while halted for an answer */
};
/* A snapshot of cpu's counters. */
struct smp_call_stats smp_call_stats(int cpu);
/* Is cpu halted (or about to halt) waiting for the answer to its call? */
bool smp_call_waiter_halted(int cpu);

/*
 * Run fn(arg) on every online CPU of mask in process context with interrupts
 * enabled, and return when all have finished. They start together: each
 * waits until all are ready to call fn. The other CPUs run it in kernel
 * threads bound to them; this CPU, if in mask, runs its share itself. For
 * tests that keep every CPU busy at once. Process context (it sleeps), one
 * call at a time (others wait), never from inside fn.
 */
void run_on_cpus(const cpumask_t *mask, smp_call_func_t fn, void *arg);

/*
 * The usual shape of a race test: role_a on cpu_a and role_b on cpu_b,
 * started together (run_on_cpus), returning when both are done. The two
 * CPUs must differ; one of them is usually the caller's.
 */
void run_on_two_cpus(int cpu_a, void (*role_a)(void), int cpu_b, void (*role_b)(void));
