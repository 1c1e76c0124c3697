"""The labs of docs/labs/, as plain data: what each cuts out of the kernel
and how its grader checks the student's work (tools/lab, `make lab`,
`make grade`).

The kernel keeps one source of truth. The code a lab asks the student to
write is marked in the real source by two comment lines,

    /* LAB name: begin */
    ... the reference solution: the kernel's own code ...
    /* LAB name: end */

and `tools/lab prepare NAME` copies the repository to build/labs/NAME/ with
each such region replaced by the lab's stub, in file order (STUBS below;
one stub per region). A region may hold another lab's region: preparing the
outer lab cuts both, preparing the inner one leaves the outer one's markers
as comments.

A grader is a list of boots. Each boot is a kernel command line (and user
programs given as modules) and the checks made on what it printed:
    ktests    in-kernel tests (the boot's cmdline runs them with ktest=):
              each must print "ok N name" (a skip is not a pass)
    programs  user programs (modules; the boot runs them with init's KTAP):
              each must print "ok N name"
    bench     (name, arguments) of user/bench programs: each must end well
              ("ok N name"); the figures it prints (BENCH lines) are shown
              and not scored
    lacks     (what, regex): no line of the log may match
    has       (what, regex): some line must match
and always: the kernel powered off by itself (no panic, no hang).
A lab's score is the checks passed out of all of them.
"""

PTCHECK_CLEAN = ("ptcheck saw no rule broken", r"ptcheck: violation")
NO_PANIC = ("no panic", r"PANIC|KERNEL EXCEPTION")

LABS = [
    dict(name="walk", doc="docs/labs/walk.md",
         title="Walk and map: the 4-level walk and pmd_install",
         boots=[dict(
             cmdline="ptcheck ktest=fault_zero_page_read,fault_cow_from_zero_page,"
                     "fault_write_counts_tables,fault_concurrent_tables,"
                     "fault_same_table_serialized,mmap_populate,munmap_frees_pgtables,"
                     "r4_flush_before_pmd_install,ptdump_shows_every_table",
             ktests=["fault_zero_page_read", "fault_cow_from_zero_page",
                     "fault_write_counts_tables", "fault_concurrent_tables",
                     "fault_same_table_serialized", "mmap_populate", "munmap_frees_pgtables",
                     "r4_flush_before_pmd_install", "ptdump_shows_every_table"],
             lacks=[PTCHECK_CLEAN])]),
    dict(name="ptl", doc="docs/labs/ptl.md",
         title="Split page-table locks: from one lock per mm to one per table",
         boots=[dict(
             # Ticket locks: fault_split_ptl sees a waiter on a shared lock at
             # once; under test-and-set ones it waits out its 30 s hang bound.
             cmdline="spinlock=ticket ptcheck ktest=fault_split_ptl,fault_concurrent_tables,"
                     "fault_same_table_serialized,pt_reclaim_slow_path_rechecks,"
                     "pt_reclaim_refilled_before_slow_path,r3_pte_map_lock_recheck",
             ktests=["fault_split_ptl", "fault_concurrent_tables", "fault_same_table_serialized",
                     "pt_reclaim_slow_path_rechecks", "pt_reclaim_refilled_before_slow_path",
                     "r3_pte_map_lock_recheck"],
             lacks=[PTCHECK_CLEAN]),
             dict(cmdline="ptcheck", programs=["pt_reclaim_race"],
                  lacks=[PTCHECK_CLEAN, NO_PANIC]),
             # The fault benchmark at 1 and 4 threads: shown, not scored (under
             # emulation on a shared host its figures move with the load).
             dict(cmdline="init=ktap", bench=[("page_fault1", "threads=1,4 mib=4 ms=300")])]),
    dict(name="gather", doc="docs/labs/gather.md",
         title="The mmu_gather: batch the frees, flush once, free after the flush",
         boots=[dict(
             cmdline="page_poison ptcheck ktest=r2_page_freed_after_flush,"
                     "madvise_dontneed_zero_fill,munmap_frees_pgtables,"
                     "pgtable_munmap_storm_frees_after_grace_period,"
                     "r7_nested_gather_flushes_whole_mm,mprotect_remote_flush",
             ktests=["r2_page_freed_after_flush", "madvise_dontneed_zero_fill",
                     "munmap_frees_pgtables", "pgtable_munmap_storm_frees_after_grace_period",
                     "r7_nested_gather_flushes_whole_mm", "mprotect_remote_flush"],
             lacks=[PTCHECK_CLEAN]),
             dict(cmdline="init.expect=tlb_shootdown:139",
                  programs=["tlb_batching", "tlb_shootdown"],
                  has=[("a 256-page DONTNEED costs one IPI per other CPU",
                        r"DONTNEED of 256 pages with 3 other CPUs: 3 shootdown IPIs")])]),
    dict(name="rcu", doc="docs/labs/rcu.md",
         title="RCU: grace periods from quiescent-state counters",
         boots=[dict(
             cmdline="ktest=rcu_torture,rcu_gp_waits_for_reader,rcu_synchronize_idle_cpus,"
                     "rcu_barrier_waits,rcu_counters_move,rcu_cond_resched_is_quiescent,"
                     "pgtable_not_freed_under_rcu_reader,"
                     "pgtable_munmap_storm_frees_after_grace_period",
             ktests=["rcu_torture", "rcu_gp_waits_for_reader", "rcu_synchronize_idle_cpus",
                     "rcu_barrier_waits", "rcu_counters_move", "rcu_cond_resched_is_quiescent",
                     "pgtable_not_freed_under_rcu_reader",
                     "pgtable_munmap_storm_frees_after_grace_period"])]),
    dict(name="reclaim", doc="docs/labs/reclaim.md",
         title="Reclaim an empty PTE table: the fast path and the slow path",
         boots=[dict(
             cmdline="ptcheck ktest=pt_reclaim_*,r4_flush_before_reinstall_after_reclaim",
             ktests=["pt_reclaim_whole_table", "pt_reclaim_any_alignment",
                     "pt_reclaim_zero_page_entries", "pt_reclaim_not_on_munmap",
                     "pt_reclaim_slow_path", "pt_reclaim_slow_path_rechecks",
                     "r4_flush_before_reinstall_after_reclaim",
                     "pt_reclaim_refilled_before_slow_path"],
             lacks=[PTCHECK_CLEAN]),
             dict(cmdline="ptcheck", programs=["pt_reclaim_race"],
                  lacks=[PTCHECK_CLEAN, NO_PANIC])]),
    dict(name="r4", doc="docs/labs/r4.md",
         title="The set_pmd rule R4: flush before populating a PMD",
         boots=[dict(
             cmdline="ptcheck ktest=r4_*,pt_reclaim_whole_table",
             ktests=["r4_flush_before_pmd_install", "r4_flush_before_reinstall_after_reclaim",
                     "r4_flush_before_huge_pmd", "r4_flush_unlocked_then_rechecks",
                     "pt_reclaim_whole_table"],
             lacks=[PTCHECK_CLEAN],
             has=[("the R4 flush happened (tlb_flush_before_set_pmd)",
                   r"^ok \d+ r4_flush_before_reinstall_after_reclaim$")])]),
    dict(name="bughunt", doc="docs/labs/bughunt.md",
         title="The bug hunt: one of Linux's page-table bugs is planted; find it",
         boots=[dict(
             cmdline="ptcheck ktest=pgtable_not_freed_under_rcu_reader,r4_*,"
                     "pt_reclaim_whole_table,pt_reclaim_refilled_before_slow_path,"
                     "collapse_table_not_freed_under_rcu_reader",
             ktests=["pgtable_not_freed_under_rcu_reader", "r4_flush_before_pmd_install",
                     "r4_flush_before_reinstall_after_reclaim", "r4_flush_before_huge_pmd",
                     "r4_flush_unlocked_then_rechecks",
                     "pt_reclaim_whole_table", "pt_reclaim_refilled_before_slow_path",
                     "collapse_table_not_freed_under_rcu_reader"],
             lacks=[PTCHECK_CLEAN, NO_PANIC])]),
]

# The bugs the bug hunt may plant (ptbug= names, mm/ptcheck.h).
BUGHUNT_BUGS = {
    "ptlock-early": "PTBUG_PTLOCK_EARLY",
    "stale-scan": "PTBUG_STALE_SCAN",
    "ipi-free": "PTBUG_IPI_FREE",
    "no-r4": "PTBUG_NO_R4",
    "collapse-free-now": "PTBUG_COLLAPSE_FREE_NOW",
}

# One stub per marked region, keyed by lab, in the order the regions come
# (files in the order listed, regions in file order). Each replaces its
# region, markers included, in the student's tree.
STUBS = {
    "walk": [
        ("mm/pgtable.c", """\
/*
 * LAB walk: write pmd_install (docs/labs/walk.md). Under the PMD lock, if
 * the entry is none and still none after flush_tlb_before_set_pmd (R4,
 * which may drop the lock for its flush and take it again): count the
 * table in the mm, make the zeroed table visible before the entry, set
 * the entry, and tell the caller its table was used.
 */
void pmd_install(struct mm_struct *mm, pmd_t *pmd, struct page **new, unsigned long addr)
{
	panic("lab walk: pmd_install is not written yet (docs/labs/walk.md)");
}
"""),
        ("mm/pgtable.c", """\
/*
 * LAB walk: write mm_find_pmd (docs/labs/walk.md): from mm's PGD down to
 * the PMD entry for addr, NULL where a level has no table.
 */
pmd_t *mm_find_pmd(struct mm_struct *mm, unsigned long addr)
{
	panic("lab walk: mm_find_pmd is not written yet (docs/labs/walk.md)");
}
"""),
    ],
    "ptl": [
        ("mm/pgtable.h", """\
/*
 * LAB ptl: every PTE table of an mm shares one lock here, as before split
 * page-table locks. Give each table its own (docs/labs/ptl.md).
 */
static inline spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t pmdval)
{
	return &mm->page_table_lock;
}
"""),
    ],
    "gather": [
        ("mm/mmu_gather.c", """\
/*
 * LAB gather: batch the pages (docs/labs/gather.md). This stub keeps one
 * page and says there is no room for more, so the zapper flushes the TLB
 * and frees the page after every single page it clears.
 */
bool __tlb_remove_page(struct mmu_gather *tlb, struct page *page)
{
	struct mmu_gather_batch *batch = tlb->active;

	batch->pages[batch->nr++] = page;
	return true;
}
"""),
        ("mm/mmu_gather.c", """\
/* LAB gather: the three steps, but in which order? (docs/labs/gather.md) */
void tlb_flush_mmu(struct mmu_gather *tlb)
{
	tlb_batch_pages_flush(tlb);
	tlb_table_flush(tlb);
	tlb_flush_mmu_tlbonly(tlb);
}
"""),
    ],
    "rcu": [
        ("kernel/rcu.c", """\
		/*
		 * LAB rcu: take this CPU out of qs_pending if it has passed a
		 * quiescent state since the grace period started, or is idle now
		 * (docs/labs/rcu.md). This stub takes every CPU out at once: a
		 * grace period that waits for nobody.
		 */
		cpumask_clear_cpu(cpu, &rcu_state.qs_pending);
"""),
    ],
    "reclaim": [
        ("mm/pt_reclaim.c", """\
/*
 * LAB reclaim: the fast path (docs/labs/reclaim.md). Called with the PTE
 * lock of the table the zap has just emptied; returns true if it unhooked
 * the table. This stub never does.
 */
bool reclaim_pt_fast(struct mmu_gather *tlb, pmd_t *pmd, struct page *table, unsigned long addr)
{
	return false;
}
"""),
        ("mm/pt_reclaim.c", """\
	/*
	 * LAB reclaim: the slow path (docs/labs/reclaim.md): no page-table lock
	 * is held here, and nothing seen before is to be trusted.
	 */
"""),
    ],
    "r4": [
        ("mm/pgtable.c", """\
	/* LAB r4: keep rule R4 here (docs/labs/r4.md). */
"""),
    ],
    "bughunt": [
        ("mm/ptcheck.c", """\
enum ptbug ptbug = @BUG@;
"""),
    ],
}
