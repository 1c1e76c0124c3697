/* Memory-management counters and their /proc/vmstat names (see vmstat.h). */
#include "kernel/vmstat.h"
#include "kernel/fault_inject.h"
#include "kernel/string.h"

DEFINE_PER_CPU(struct vm_event_state, vm_events);
long vm_state[NR_VM_STATES];

/* Linux's /proc/vmstat names, so a test reads the same key on both kernels. */
static const char *const vm_state_names[NR_VM_STATES] = {
	[NR_PAGE_TABLE_PAGES] = "nr_page_table_pages",
	[NR_ANON_THPS] = "nr_anon_transparent_hugepages",
};

static const char *const vm_event_names[NR_VM_EVENTS] = {
	[PGFAULT] = "pgfault",
	[RCU_GP_COMPLETED] = "rcu_gp_completed",
	[RCU_CALLBACKS_QUEUED] = "rcu_callbacks_queued",
	[RCU_CALLBACKS_INVOKED] = "rcu_callbacks_invoked",
	/* Linux's names for the TLB counters */
	[NR_TLB_LOCAL_FLUSH_ONE] = "nr_tlb_local_flush_one",
	[NR_TLB_LOCAL_FLUSH_ALL] = "nr_tlb_local_flush_all",
	[NR_TLB_REMOTE_FLUSH] = "nr_tlb_remote_flush",
	[NR_TLB_REMOTE_FLUSH_RECEIVED] = "nr_tlb_remote_flush_received",
	[PGTABLE_FREE_DEFERRED] = "pgtable_free_deferred",
	[PGTABLE_FREE_DONE] = "pgtable_free_done",
	[PT_RECLAIM_FAST] = "pt_reclaim_fast",
	[PT_RECLAIM_SLOW] = "pt_reclaim_slow",
	[PT_RECLAIM_RACED] = "pt_reclaim_raced",
	[PT_RECLAIM_BUSY] = "pt_reclaim_busy",
	[TLB_FLUSH_BEFORE_SET_PMD] = "tlb_flush_before_set_pmd",
	[PTCHECK_VIOLATIONS] = "ptcheck_violations",
	[RCU_RESCHED_FORCED] = "rcu_resched_forced",
	[NR_TLB_KERNEL_FLUSH] = "nr_tlb_kernel_flush",
	[NR_TLB_KERNEL_FLUSH_RECEIVED] = "nr_tlb_kernel_flush_received",
	[PTE_MAP_RETRY] = "pte_map_retry",
	[OOM_KILL] = "oom_kill",
	[SPINLOCK_CONTENDED] = "spinlock_contended",
	[SPINLOCK_WAIT_NS] = "spinlock_wait_ns",
	[SPINLOCK_HALTS] = "spinlock_halts",
	[SPINLOCK_WAKES] = "spinlock_wakes",
	[NR_TLB_REMOTE_FLUSH_CALLS] = "nr_tlb_remote_flush_calls",
	[TLB_REMOTE_FLUSH_WAIT_NS] = "tlb_remote_flush_wait_ns",
	[NR_TLB_LAZY_LEAVE] = "nr_tlb_lazy_leave",
	[NR_SWITCH_MM_CR3] = "nr_switch_mm_cr3",
	[SMP_CALL_WAIT_HALTS] = "smp_call_wait_halts",
	/* Linux's names for the THP counters, then Quiesce's own */
	[THP_FAULT_ALLOC] = "thp_fault_alloc",
	[THP_FAULT_FALLBACK] = "thp_fault_fallback",
	[THP_SPLIT_PMD] = "thp_split_pmd",
	[THP_COLLAPSE_ALLOC] = "thp_collapse_alloc",
	[THP_COLLAPSE_ALLOC_FAILED] = "thp_collapse_alloc_failed",
	[THP_COLLAPSE_RETRACT] = "thp_collapse_retract",
	[THP_COLLAPSE_BUSY] = "thp_collapse_busy",
	[COW_FAULT] = "cow_fault",
	[COW_REUSE] = "cow_reuse",
	[FORK_WRPROTECT] = "fork_wrprotect",
	[FORK_SPLIT_PMD] = "fork_split_pmd",
	[ZONE_LOCK] = "zone_lock",
	[PCP_ALLOC] = "pcp_alloc",
	[PCP_REFILL] = "pcp_refill",
	[PCP_FREE_BATCH] = "pcp_free_batch",
	[PCP_HIGH_RAISE] = "pcp_high_raise",
	[PCP_DRAIN] = "pcp_drain",
	[TLB_FLUSH_BEFORE_SET_PMD_SKIPPED] = "tlb_flush_before_set_pmd_skipped",
	[TLB_FLUSH_BEFORE_SET_PMD_RETRY] = "tlb_flush_before_set_pmd_retry",
	[MMAP_LOCK_DOWNGRADE] = "mmap_lock_downgrade",
	[RWSEM_STEAL] = "rwsem_steal",
	[RWSEM_HANDOFF] = "rwsem_handoff",
	[VMA_LOCK_SUCCESS] = "vma_lock_success",
	[VMA_LOCK_ABORT] = "vma_lock_abort",
	[VMA_LOCK_RETRY] = "vma_lock_retry",
	[VMA_LOCK_MISS] = "vma_lock_miss",
};

unsigned long vm_event_sum(enum vm_event_item item)
{
	unsigned long sum = 0;

	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		sum += READ_ONCE(per_cpu_ptr(&vm_events, cpu)->event[item]);
	return sum;
}

long vm_state_read(enum vm_state_item item)
{
	return __atomic_load_n(&vm_state[item], __ATOMIC_RELAXED);
}

size_t vmstat_show(char *buf, size_t size)
{
	size_t len = 0;

	for (int i = 0; i < NR_VM_STATES; i++)
		len += snprintf(buf + len, len < size ? size - len : 0, "%s %ld\n",
				vm_state_names[i], vm_state_read(i));
	for (int i = 0; i < NR_VM_EVENTS; i++)
		len += snprintf(buf + len, len < size ? size - len : 0, "%s %lu\n",
				vm_event_names[i], vm_event_sum(i));
	/* The fault-injection points that are on, so a user test can prove its race ran. */
	len += fault_inject_vmstat_show(buf + len, len < size ? size - len : 0);
	return len;
}
