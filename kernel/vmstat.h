/*
 * Counters of memory-management events, read through /proc/vmstat so a
 * test asserts on behaviour ("this DONTNEED sent 3 IPIs"), not on timing.
 *
 * Events (count_vm_event) are per-CPU and only grow: bumping one is a
 * single `inc` on this CPU's copy, no lock and no shared cache line; a
 * reader sums the CPUs. States (mod_vm_state) go up and down (e.g. page
 * tables in use) and are one global atomic each.
 *
 * To add a counter: add it to the enum and its /proc/vmstat name to the
 * table in kernel/vmstat.c, in the same order.
 */
#pragma once
#include "kernel/percpu.h"

enum vm_event_item {
	PGFAULT,                 /* page faults handled (user and uaccess) */
	RCU_GP_COMPLETED,        /* RCU grace periods ended (kernel/rcu.c) */
	RCU_CALLBACKS_QUEUED,    /* call_rcu() callbacks queued, rcu_barrier's included */
	RCU_CALLBACKS_INVOKED,   /* ... and run after their grace period */
	NR_TLB_LOCAL_FLUSH_ONE,  /* INVLPG of one page on this CPU (arch/x86_64/tlb.c) */
	NR_TLB_LOCAL_FLUSH_ALL,  /* whole-TLB flushes on this CPU (CR3 reload) */
	NR_TLB_REMOTE_FLUSH,     /* shootdown IPIs sent, one per target CPU */
	NR_TLB_REMOTE_FLUSH_RECEIVED, /* shootdown IPIs taken */
	PGTABLE_FREE_DEFERRED,   /* page-table pages queued to be freed after a grace period (R1) */
	PGTABLE_FREE_DONE,       /* ... and freed */
	PT_RECLAIM_FAST,         /* empty PTE tables reclaimed under the PTE lock (mm/pt_reclaim.c) */
	PT_RECLAIM_SLOW,         /* ... reclaimed after the zap, PMD lock then PTE lock */
	PT_RECLAIM_RACED,        /* slow path: the PMD no longer held the table */
	PT_RECLAIM_BUSY,         /* slow path: the table was refilled meanwhile */
	TLB_FLUSH_BEFORE_SET_PMD, /* R4: a PMD populate flushed an owed clear's range first */
	PTCHECK_VIOLATIONS,      /* lifetime-rule violations ptcheck reported (mm/ptcheck.c) */
	RCU_RESCHED_FORCED,      /* CPUs made to reschedule for holding a grace period back */
	NR_TLB_KERNEL_FLUSH,     /* kernel-range flush IPIs sent, one per target CPU */
	NR_TLB_KERNEL_FLUSH_RECEIVED, /* ... and taken */
	PTE_MAP_RETRY,           /* pte_offset_map_lock found the pmd changed and retried (R3) */
	OOM_KILL,                /* processes the OOM killer killed (mm/oom_kill.c) */
	SPINLOCK_CONTENDED,      /* spin_lock() calls that found the lock taken (counted
				  * when the spinning begins) */
	SPINLOCK_WAIT_NS,        /* ... and the time they spun, in ns (when it ends) */
	SPINLOCK_HALTS,          /* test-and-set waiters that halted until the unlock's IPI */
	SPINLOCK_WAKES,          /* ... unlocks that sent such IPIs */
	NR_TLB_REMOTE_FLUSH_CALLS, /* flush_tlb_mm_range() calls that sent IPIs: IPIs per
				    * flush = nr_tlb_remote_flush / this */
	TLB_REMOTE_FLUSH_WAIT_NS, /* ... time from the first IPI sent to the last answer, ns */
	NR_TLB_LAZY_LEAVE,       /* idle CPUs that left a lazily held mm before halting */
	NR_SWITCH_MM_CR3,        /* CR3 loads by switch_mm (another mm, or none): each drops
				  * the CPU's user translations -- under TCG, QEMU's whole
				  * software TLB (arch/x86_64/tlb.c) */
	SMP_CALL_WAIT_HALTS,     /* waits for a cross-CPU call's answer that halted until
				  * woken, after spinning smp_call_spin_us (kernel/smp_call.c) */
	THP_FAULT_ALLOC,         /* huge pages a fault mapped with a huge PMD (mm/huge_memory.c) */
	THP_FAULT_FALLBACK,      /* ... faults that wanted one and fell back to 4 KiB pages */
	THP_SPLIT_PMD,           /* huge PMDs split into PTE tables */
	THP_COLLAPSE_ALLOC,      /* huge pages allocated to collapse a range into (MADV_COLLAPSE) */
	THP_COLLAPSE_ALLOC_FAILED, /* ... collapses that could get none */
	THP_COLLAPSE_RETRACT,    /* PTE tables retracted and replaced by a huge PMD */
	THP_COLLAPSE_BUSY,       /* collapses that found the range changed and gave up (EAGAIN) */
	COW_FAULT,               /* write faults that copied a page shared after fork (mm/fault.c) */
	COW_REUSE,               /* write faults that found the page theirs alone and kept it */
	FORK_WRPROTECT,          /* writable PTEs fork made read-only on both sides (mm/fork.c) */
	FORK_SPLIT_PMD,          /* huge PMDs fork split before copying their pages */
	ZONE_LOCK,               /* zone.lock acquisitions (mm/page_alloc.c) */
	PCP_ALLOC,               /* order-0 pages allocated from a CPU's own list */
	PCP_REFILL,              /* ... lists refilled from the buddy, pcp_batch pages
				  * under one zone.lock */
	PCP_FREE_BATCH,          /* lists past their high that gave pcp_batch pages back */
	PCP_HIGH_RAISE,          /* refills that raised the CPU's high by pcp_batch (auto-tuning) */
	PCP_DRAIN,               /* drain_all_pages() calls: every list given back */
	TLB_FLUSH_BEFORE_SET_PMD_SKIPPED, /* R4 flushes not made: a gather was open on the
					   * mm but owed no PMD clear (mm/pgtable.c) */
	TLB_FLUSH_BEFORE_SET_PMD_RETRY, /* R4 flushes made again: a PMD was cleared while
					 * the PMD lock was dropped for the flush */
	MMAP_LOCK_DOWNGRADE,     /* munmaps (and brk shrinks) that zapped and freed tables
				  * with mmap_lock downgraded to read (mm/mmap.c) */
	RWSEM_STEAL,             /* writers that took a free rwsem while others slept queued
				  * for it (kernel/rwsem.c) */
	RWSEM_HANDOFF,           /* releases that granted a writer, first in the queue
				  * for rwsem_handoff_us or more, instead of waking it to try */
	VMA_LOCK_SUCCESS,        /* faults handled under their VMA's lock, no mmap_lock (mm/mmap_lock.c) */
	VMA_LOCK_ABORT,          /* ... fell back to mmap_lock: a writer had the VMA locked */
	VMA_LOCK_RETRY,          /* ... fell back: the VMA was unlinked or moved before it was locked */
	VMA_LOCK_MISS,           /* ... fell back: the lockless lookup found no VMA, or the
				  * access is not allowed (mmap_lock's path sends the signal) */
	NR_VM_EVENTS
};

enum vm_state_item {
	NR_PAGE_TABLE_PAGES,     /* user page-table pages allocated, all mms; an
				  * unhooked table counts until its RCU callback
				  * frees it (R1 step 3), not just until the unhook */
	NR_ANON_THPS,            /* huge PMDs mapped, all mms (AnonHugePages) */
	NR_VM_STATES
};

struct vm_event_state {
	unsigned long event[NR_VM_EVENTS];
};
DECLARE_PER_CPU(struct vm_event_state, vm_events);
extern long vm_state[NR_VM_STATES];

static inline void count_vm_events(enum vm_event_item item, unsigned long n)
{
	/* One read-modify-write instruction: an interrupt on this CPU cannot
	 * split it, and no other CPU writes this copy. */
	__asm__ volatile("addq %1, %0"
			 : "+m"(this_cpu_ptr(&vm_events)->event[item]) : "er"(n));
}

static inline void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}

static inline void mod_vm_state(enum vm_state_item item, long delta)
{
	__atomic_fetch_add(&vm_state[item], delta, __ATOMIC_RELAXED);
}

/* Sum of an event over every CPU (racy by design: a snapshot). */
unsigned long vm_event_sum(enum vm_event_item item);

/*
 * This CPU's own count of an event. A test bound to its CPU (or with
 * interrupts or preemption off) reads what its own work did: a sum over
 * every CPU would also count what other work makes meanwhile.
 */
static inline unsigned long vm_event_this_cpu(enum vm_event_item item)
{
	return READ_ONCE(this_cpu_ptr(&vm_events)->event[item]);
}
long vm_state_read(enum vm_state_item item);
/* Format /proc/vmstat ("name value" lines) into buf; returns the length. */
size_t vmstat_show(char *buf, size_t size);
