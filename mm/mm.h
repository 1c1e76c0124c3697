/*
 * Address spaces: struct mm_struct, its VMAs, and the calls that change them.
 *
 * A user address space is a PGD (whose kernel half, entries 256..511, is a
 * copy of swapper_pg_dir's and so shared by every mm) plus a set of VMAs:
 * non-overlapping ranges [vm_start, vm_end) of anonymous private memory with
 * one protection each. Nothing is mapped when a VMA is made; the first touch
 * of each page faults it in (mm/fault.c), creating the page tables on the
 * way (mm/pgtable.c). Unmapping zaps the PTEs and frees what they mapped
 * after a TLB flush (mm/memory.c, mm/mmu_gather.c).
 *
 * Lock order (docs/design.md, section 4), outer to inner:
 *   1. mm->mmap_lock       read: page fault, MADV_DONTNEED
 *                          write: mmap, munmap, mprotect, brk, other madvise
 *      vma->vm_lock        read, instead of mmap_lock: a user page fault
 *                          (trylock only); write: an mmap_lock writer
 *                          changing that VMA (mm/mmap_lock.h)
 *   2. mm->page_table_lock populating a PGD or PUD entry
 *   3. PMD lock            in the PMD table page's struct page (pmd_lock)
 *   4. PTE lock            in the PTE table page's struct page (split PTL)
 * A PTE lock is always taken with interrupts enabled: its holder may wait for
 * a TLB-flush IPI (do_wp_page), which a CPU spinning on that lock with
 * interrupts off could never answer.
 *
 * Syscall-shaped calls return -errno as Linux does, so the syscall table
 * passes their value straight back to user space.
 */
#pragma once
#include "arch/x86_64/pgtable.h"
#include "kernel/cpumask.h"
#include "kernel/list.h"
#include "kernel/rcu.h"
#include "kernel/rwsem.h"
#include "kernel/spinlock.h"

struct page;

/* vm_flags (Linux's values). */
#define VM_NONE       0x0ul
#define VM_READ       0x1ul
#define VM_WRITE      0x2ul
#define VM_EXEC       0x4ul
#define VM_SEQ_READ   0x8000ul        /* MADV_SEQUENTIAL: recorded only */
#define VM_RAND_READ  0x10000ul       /* MADV_RANDOM: recorded only */
#define VM_NORESERVE  0x200000ul      /* MAP_NORESERVE: recorded only (nothing is reserved anyway) */
#define VM_HUGEPAGE   0x20000000ul    /* MADV_HUGEPAGE: huge pages wanted (thp=madvise) */
#define VM_NOHUGEPAGE 0x40000000ul    /* MADV_NOHUGEPAGE: never huge pages, nor MADV_COLLAPSE */
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)

/* mmap/mprotect/madvise arguments (Linux's values). */
#define PROT_NONE  0x0
#define PROT_READ  0x1
#define PROT_WRITE 0x2
#define PROT_EXEC  0x4
#define PROT_SEM   0x8
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP   0x02000000
#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE            0x0f
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_NORESERVE       0x4000
#define MAP_POPULATE        0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_NORMAL     0
#define MADV_RANDOM     1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED   3
#define MADV_DONTNEED   4
#define MADV_FREE       8
#define MADV_HUGEPAGE   14
#define MADV_NOHUGEPAGE 15
#define MADV_COLLAPSE   25

/* Placement (no randomization): mmap areas go top-down below mmap_base. */
#define TASK_SIZE      USER_TOP
#define MMAP_GAP       (128ul << 20)        /* Linux's minimum gap kept for the stack */
#define MMAP_MIN_ADDR  0x10000ul            /* Linux's default vm.mmap_min_addr */

/*
 * One range of anonymous private memory. Owned by its mm; changed only with
 * mm->mmap_lock held for writing and the VMA write-locked (vma_start_write),
 * read with mmap_lock held for reading or the VMA's own vm_lock.
 */
struct vm_area_struct {
	unsigned long vm_start;           /* first address, page aligned */
	unsigned long vm_end;             /* first address after, page aligned */
	unsigned long vm_flags;           /* VM_* */
	/*
	 * A page of our own was mapped here once (a write fault): what Linux's
	 * vma->anon_vma != NULL says, and MADV_COLLAPSE asks for it as Linux
	 * does. Set by the fault path with mmap_lock held for reading (only
	 * ever to true), kept by VMA split and merge.
	 */
	bool anon_vma;
	struct mm_struct *vm_mm;
	/* The mm's VMA tree (mm/vma.c): an AVL tree keyed by vm_start. */
	struct vm_area_struct *vm_left, *vm_right;
	int vm_height;                    /* of the subtree rooted here; a leaf is 1 */
	/*
	 * The largest free gap below any VMA of the subtree rooted here (the
	 * gap below a VMA: its vm_start minus the previous VMA's vm_end, or
	 * minus 0 for the first). Lets unmapped_area_topdown() skip subtrees
	 * with no gap big enough: see mm/vma.c.
	 */
	unsigned long vm_subtree_gap;
	struct list_head vm_list;         /* the mm's VMAs in address order */
	/*
	 * The per-VMA lock (mm/mmap_lock.h): a fault holds vm_lock for reading
	 * instead of mmap_lock. Write-locked while vm_lock_seq equals the mm's
	 * mm_lock_seq; detached once out of the tree; freed after a grace
	 * period (vm_rcu), since lock_vma_under_rcu() reads it with no lock.
	 */
	struct rw_semaphore vm_lock;
	unsigned long vm_lock_seq;
	bool detached;
	struct rcu_head vm_rcu;
};

/*
 * R4's record of the PMD entries that gathers cleared, by 2 MiB slot (see
 * mm/pgtable.c: flush_tlb_before_set_pmd). One record per PMD entry would
 * be exact and cost a word per entry. One per mm made every fault that
 * installs a table flush while any gather anywhere in the mm owed a
 * clear, and retry whenever any PMD of the mm was cleared during its flush
 * (tlb_flush2, 4 threads: 1.8 R4 flushes per table installed, more than
 * half of them retries). So 16 per mm, picked by the slot's index: slots
 * 32 MiB apart share one, which may cost a needless flush, never a missed one.
 */
#define PMD_CLEAR_BUCKETS 16

struct pmd_clear_bucket {
	int pending;                      /* clears whose gather has not flushed yet */
	unsigned long seq;                /* clears ever made: R4's recheck */
};

struct mm_struct {
	pgd_t *pgd;                       /* top-level table, direct-map address; fixed */

	/* mmap_lock protects the VMA set, map_count, and brk; see the lock order above. */
	struct rw_semaphore mmap_lock;
	/* Write sections of mmap_lock ended: unlocks the VMAs they marked (mm/mmap_lock.h). */
	unsigned long mm_lock_seq;
	struct vm_area_struct *vma_root;  /* AVL tree of the VMAs: find_vma() in O(log n) */
	struct list_head vma_list;        /* the same VMAs, sorted by address */
	int map_count;                    /* VMAs */
	unsigned long mmap_base;          /* top-down placement starts below this */
	unsigned long task_size;          /* user addresses lie below this */
	unsigned long start_brk, brk;     /* the heap [start_brk, brk); set by the ELF loader */
	unsigned long start_stack;        /* the initial stack pointer (/proc: [stack], stat) */

	/* Lock order 2: held to populate a PGD or PUD entry (pud_alloc, pmd_alloc). */
	spinlock_t page_table_lock;

	/* Changed from any CPU with atomics, no lock (mm_counter helpers below): */
	long rss_anon;                    /* anon pages mapped (not the zero page): VmRSS */
	long pgtables_bytes;              /* PTE + PMD + PUD tables, not the PGD: VmPTE */
	long anon_thp_pmds;               /* huge PMDs mapped (AnonHugePages of smaps_rollup) */
	int mm_users;                     /* users of the address space: see "The life of an mm" */
	int mm_count;                     /* holders of this struct and its PGD: ditto */
	int tlb_flush_pending;            /* gathers in progress, detached ones not counted (R7) */
	/* R4: PMD entries gathers cleared, by bucket of their 2 MiB slot (pmd_clear_bucket) */
	struct pmd_clear_bucket pmd_clears[PMD_CLEAR_BUCKETS];
	struct list_head khugepaged_node; /* on khugepaged's list of mms (mm/khugepaged.c) */
	cpumask_t cpu_bitmap;             /* CPUs with this mm in CR3 (switch_mm) */
};

/* --- Counters ---------------------------------------------------------- */

static inline void add_mm_rss(struct mm_struct *mm, long pages)
{
	__atomic_fetch_add(&mm->rss_anon, pages, __ATOMIC_RELAXED);
}

/* Anon pages mapped now (VmRSS in pages). */
static inline long get_mm_rss(const struct mm_struct *mm)
{
	return __atomic_load_n(&mm->rss_anon, __ATOMIC_RELAXED);
}

/* Bytes of PTE, PMD and PUD tables (VmPTE, as Linux's mm_pgtables_bytes()). */
static inline long mm_pgtables_bytes(const struct mm_struct *mm)
{
	return __atomic_load_n(&mm->pgtables_bytes, __ATOMIC_RELAXED);
}

/* Huge PMDs mapped now; they are in get_mm_rss() too, 512 pages each. */
static inline long get_mm_thp_pmds(const struct mm_struct *mm)
{
	return __atomic_load_n(&mm->anon_thp_pmds, __ATOMIC_RELAXED);
}

/* A table of any level below the PGD joined (+1) or left (-1) the mm. */
static inline void mm_add_pgtable(struct mm_struct *mm, long tables)
{
	__atomic_fetch_add(&mm->pgtables_bytes, tables * (long)PAGE_SIZE, __ATOMIC_RELAXED);
}

static inline cpumask_t *mm_cpumask(struct mm_struct *mm)
{
	return &mm->cpu_bitmap;
}

/* R7 (and the R4 counters): raised while a gather that may have left stale TLB entries runs. */
static inline void inc_tlb_flush_pending(struct mm_struct *mm)
{
	__atomic_fetch_add(&mm->tlb_flush_pending, 1, __ATOMIC_SEQ_CST);
}

static inline void dec_tlb_flush_pending(struct mm_struct *mm)
{
	__atomic_fetch_sub(&mm->tlb_flush_pending, 1, __ATOMIC_SEQ_CST);
}

static inline bool mm_tlb_flush_pending(struct mm_struct *mm)
{
	return __atomic_load_n(&mm->tlb_flush_pending, __ATOMIC_SEQ_CST) > 0;
}

/* R4: which of mm->pmd_clears records the PMD entry of addr's 2 MiB. */
static inline unsigned int pmd_clear_bucket(unsigned long addr)
{
	return (addr >> PMD_SHIFT) % PMD_CLEAR_BUCKETS;
}

/*
 * R4: a gather clears the PMD entry of addr (tlb_pmdp_get_and_clear, PMD
 * lock held): one more clear whose flush is owed, and the sequence moves
 * on. Both before the entry is cleared, so that whoever finds the entry
 * none under the same lock also finds the debt.
 */
static inline void mm_pmd_clear_owed(struct mm_struct *mm, unsigned long addr)
{
	struct pmd_clear_bucket *b = &mm->pmd_clears[pmd_clear_bucket(addr)];

	__atomic_fetch_add(&b->pending, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&b->seq, 1, __ATOMIC_SEQ_CST);
}

/* ... and a gather's flush has completed for n clears of that bucket. */
static inline void mm_pmd_clears_flushed(struct mm_struct *mm, unsigned int bucket, unsigned int n)
{
	__atomic_fetch_sub(&mm->pmd_clears[bucket].pending, (int)n, __ATOMIC_SEQ_CST);
}

/* Does a clear that may be addr's still owe its flush? */
static inline bool mm_pmd_clear_pending(struct mm_struct *mm, unsigned long addr)
{
	return __atomic_load_n(&mm->pmd_clears[pmd_clear_bucket(addr)].pending,
			       __ATOMIC_SEQ_CST) > 0;
}

static inline unsigned long mm_pmd_clear_seq(struct mm_struct *mm, unsigned long addr)
{
	return __atomic_load_n(&mm->pmd_clears[pmd_clear_bucket(addr)].seq, __ATOMIC_SEQ_CST);
}

/* --- The life of an mm (mm/mm.c) ---------------------------------------- */

/*
 * Two reference counts, as in Linux, because an address space has two
 * kinds of holder:
 *
 *   mm_users  users of the mappings. Each thread whose ->mm it is holds one
 *             (the first thread takes over the creator's, clone takes one
 *             per new thread, exit_mm() in kernel/process.c drops it), and
 *             so does kernel code that works on the mappings for a while
 *             (mmget). The last mmput() makes every CPU that still has the
 *             mm loaded lazily let go (shoot_lazy_tlbs), zaps every VMA,
 *             frees the page tables below the PGD, and drops the one
 *             mm_count reference all users hold together.
 *   mm_count  holders of the struct mm_struct and its PGD, not of what is
 *             mapped: someone who must be able to look at the struct (or
 *             its PGD) after the last user left takes one (mmgrab). The
 *             last mmdrop() frees the PGD and the struct.
 *
 * A CPU that has the mm in CR3 only lazily (a kernel thread borrowed it,
 * or a thread on its way out that has already dropped its ->mm) holds
 * neither: the last mmput() makes it switch away before anything is freed,
 * so no CPU ever has a freed PGD loaded. (Linux on x86 counts lazy CPUs in
 * mm_count instead; this shootdown is its CONFIG_MMU_LAZY_TLB_SHOOTDOWN.)
 * A thread must therefore stop calling the mm its own (->mm = NULL) before
 * it drops its mm_users reference: the shootdown leaves alone a CPU whose
 * thread still has ->mm == mm.
 */

/*
 * A new, empty address space: a PGD with the kernel half filled in, no
 * VMAs, mm_users 1 (the caller's), mm_count 1 (the users'), mmap_base
 * below the top of user space. NULL if out of memory.
 */
struct mm_struct *mm_create(void);

/*
 * Take / drop a user reference (mm_users); the caller must already hold one
 * to mmget. The last mmput() tears the mappings down as above: every
 * counter must come back to zero (a panic says which did not), and no CPU
 * may still have it loaded as its thread's own mm (a panic). Process
 * context, interrupts on.
 */
void mmget(struct mm_struct *mm);
void mmput(struct mm_struct *mm);

/*
 * fork: a new mm with a copy of oldmm's VMAs and page tables, the
 * anonymous pages shared copy-on-write (mm/fork.c). mm_users 1. NULL if
 * out of memory. Takes oldmm's mmap_lock for writing.
 */
struct mm_struct *dup_mm(struct mm_struct *oldmm);

/*
 * Take / drop a reference to the struct and its PGD (mm_count). The last
 * mmdrop() frees both; by then mm_users is 0 and no CPU has it loaded.
 */
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);

/* --- The VMA set (mm/vma.c); mmap_lock held ------------------------------ */

/* The first VMA with vm_end > addr (it may start above addr), or NULL. O(log n). */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* The first VMA overlapping [start, end), or NULL. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end);
/* Neighbours in address order, or NULL. */
struct vm_area_struct *vma_next(struct mm_struct *mm, struct vm_area_struct *vma);
struct vm_area_struct *vma_prev(struct mm_struct *mm, struct vm_area_struct *vma);
/* The last VMA that ends at or below addr, or NULL. */
struct vm_area_struct *find_vma_before(struct mm_struct *mm, unsigned long addr);

#define for_each_vma(mm, vma) list_for_each_entry(vma, &(mm)->vma_list, vm_list)

/* A new VMA [start, end) with flags, not yet in the mm; NULL if out of memory. */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm, unsigned long start,
				     unsigned long end, unsigned long flags);
void vm_area_free(struct vm_area_struct *vma);
/* Put vma into / take it out of the tree and the list (mmap_lock for writing). */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma);
/* Split vma at addr (strictly inside it); the new VMA is the upper part. 0 or -ENOMEM. */
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr);
/* Merge vma with the neighbours it touches that have the same flags; returns the survivor. */
struct vm_area_struct *vma_merge_neighbours(struct mm_struct *mm, struct vm_area_struct *vma);
/*
 * Give [start, end) (inside vma) the flags newflags: split vma where needed,
 * change the flags, merge with compatible neighbours. *out is the VMA that
 * now covers [start, end). 0 or -ENOMEM (some splits may remain, harmless).
 */
int vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long start,
		     unsigned long end, unsigned long newflags, struct vm_area_struct **out);
/*
 * The highest address a with [a, a + len) free (between VMAs, or above the
 * last one and below mm->task_size) and inside [low, high); 0 if there is
 * none. Needs low + len <= high or returns 0. O(log n).
 */
unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long len, unsigned long low,
				    unsigned long high);
/*
 * Check the tree and list invariants (order, no overlap, AVL balance, the
 * subtree gaps, count); 0 or -EINVAL.
 */
int vma_tree_check(struct mm_struct *mm);

/* The page protection of a VMA's PTEs (the RW bit is added per page: fault.c). */
u64 vm_get_page_prot(unsigned long vm_flags);

/* --- Page faults (mm/fault.c) ------------------------------------------- */

#define FAULT_FLAG_WRITE       0x1    /* a write access */
#define FAULT_FLAG_USER        0x2    /* from user mode */
#define FAULT_FLAG_INSTRUCTION 0x4    /* an instruction fetch */

/*
 * Resolve a fault at addr in mm: locks the VMA alone if it can (a user
 * fault, per_vma_lock=on: mm/mmap_lock.h), else takes mmap_lock for
 * reading; checks the VMA's protection, and maps a page (zero page, new zeroed page, or a copy
 * of the zero page on write). Returns 0 when the access may be retried,
 * -EFAULT when it must fail (no VMA, protection, kernel address: SIGSEGV
 * for a user access, the extable fixup for a kernel one), -ENOMEM.
 * Interrupts on, no spinlock held.
 */
int handle_mm_fault(struct mm_struct *mm, unsigned long addr, unsigned int flags);
/*
 * The same with mmap_lock (or vma's own lock) already held and vma the VMA
 * containing addr, access checked.
 */
int __handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags);
/*
 * The #PF handler's entry: decode the x86 error code (write, instruction
 * fetch, reserved bit) and call handle_mm_fault(). user: the fault came from
 * ring 3. mm may be NULL (no user address space): -EFAULT.
 */
int mm_fault_from_trap(struct mm_struct *mm, unsigned long cr2, u64 error_code, bool user);

/* The shared zero page that read faults map (its struct page is reserved). */
extern u8 empty_zero_page[PAGE_SIZE];
static inline unsigned long zero_pfn(void)
{
	return virt_to_phys(empty_zero_page) >> PAGE_SHIFT;
}
/* The page a present or protnone user PTE maps, or NULL for the zero page. */
struct page *vm_normal_page(pte_t pte);

/* --- mmap, munmap, mprotect, brk, madvise: syscall-shaped, -errno -------- */

/*
 * mmap for anonymous memory: MAP_PRIVATE|MAP_ANONYMOUS with hints,
 * MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_NORESERVE, MAP_POPULATE. Returns the
 * address or -errno: EINVAL (len 0, unaligned off or MAP_FIXED address, no
 * map type), ENOMEM (too long, no room), EEXIST (NOREPLACE overlap), EBADF
 * (not anonymous: there are no files), EPERM (MAP_FIXED below
 * MMAP_MIN_ADDR), ENODEV (MAP_SHARED|MAP_ANONYMOUS: shared memory is not
 * supported, see mm/mmap.c). Takes mmap_lock.
 */
long do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, long fd, unsigned long off);
/* munmap: 0, or EINVAL (unaligned, zero length, beyond user space), ENOMEM (no memory to split). */
long do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len);
/*
 * munmap with mmap_lock held for writing (for do_munmap, mmap's MAP_FIXED
 * and brk). With downgrade, the lock is downgraded to read once the VMAs
 * are detached and let go after the TLB flush, before the pages are
 * freed, and 1 is returned: the caller holds it no more. Otherwise (0,
 * -errno, or downgrade false) it is still held for writing.
 */
long __do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len, bool downgrade);
/* Tests only (mm/ptdump_test.c): called by a munmap after its downgrade, before the zap. */
extern void (*munmap_downgraded_hook)(struct mm_struct *mm);
/* mprotect: 0, or EINVAL (unaligned, unknown bits), ENOMEM (range not fully mapped). */
long do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long prot);
/* brk: the new break, or the old one if it cannot move (Linux never fails brk). */
long do_brk(struct mm_struct *mm, unsigned long brk);
/* madvise: 0, or EINVAL (unaligned, unknown advice), ENOMEM (range not fully mapped). */
long do_madvise(struct mm_struct *mm, unsigned long start, unsigned long len, int behavior);

/*
 * Fault in [start, start + len) as an access would (MAP_POPULATE); mmap_lock
 * held for reading. 0, or the first fault's error (-ENOMEM): it stops there.
 */
int populate_vma_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);

/* The overcommit policy: 0, or -ENOMEM if pages could never be backed (mm/mmap.c). */
int vm_enough_memory(unsigned long pages);

/*
 * A user page could not be had (mm/oom_kill.c). If free memory really is
 * short, kill the process holding the most (SIGKILL), unless one is being
 * killed already. True if a victim is (now) on its way out. May sleep; call
 * without mmap_lock.
 */
bool out_of_memory(void);
