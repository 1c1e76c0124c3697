/* Tests of mmap, munmap and brk (mm/mmap.c): placement, errors, page-table freeing. */
#include "kernel/fault_inject.h"
#include "kernel/ktest.h"
#include "mm/mmap_lock.h"
#include "kernel/thread.h"
#include "mm/mm_ktest.h"
#include "mm/pt_reclaim.h"

/* Every error case, with Linux's errno for it. */
KTEST(mmap_errors)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	long p = tmap(mm, 0, 2 * PG, RW, ANON);
	unsigned long top = TASK_SIZE;

	KT_ASSERT(p > 0);
	KT_EXPECT_EQ(tmap(mm, 0, 0, RW, ANON), -EINVAL);
	KT_EXPECT_EQ(tmap(mm, 0, PG, RW, MAP_ANONYMOUS), -EINVAL);           /* no map type */
	KT_EXPECT_EQ(do_mmap(mm, 0, PG, RW, ANON, -1, 100), -EINVAL);         /* offset */
	KT_EXPECT_EQ(tmap(mm, p + 1, PG, RW, ANON | MAP_FIXED), -EINVAL);
	KT_EXPECT_EQ(tmap(mm, 0, PG, RW, MAP_PRIVATE), -EBADF);              /* a file, fd -1 */
	KT_EXPECT_EQ(tmap(mm, 0, 1ul << 47, RW, ANON), -ENOMEM);
	KT_EXPECT_EQ(tmap(mm, 0, -PG, RW, ANON), -ENOMEM);
	KT_EXPECT_EQ(tmap(mm, top - PG, 2 * PG, RW, ANON | MAP_FIXED), -ENOMEM);
	KT_EXPECT_EQ(tmap(mm, PG, PG, RW, ANON | MAP_FIXED), -EPERM);        /* below mmap_min_addr */
	KT_EXPECT_EQ(tmap(mm, p + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE), -EEXIST);
	KT_EXPECT_EQ(tmap(mm, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS), -ENODEV);
	KT_EXPECT_EQ(do_munmap(mm, p + 1, PG), -EINVAL);
	KT_EXPECT_EQ(do_munmap(mm, p, 0), -EINVAL);
	KT_EXPECT_EQ(do_munmap(mm, top, PG), -EINVAL);
	KT_EXPECT_EQ(do_mprotect(mm, p + 1, PG, PROT_READ), -EINVAL);
	KT_EXPECT_EQ(do_mprotect(mm, p, PG, 0x80), -EINVAL);
	KT_EXPECT_EQ(do_mprotect(mm, p, 0, PROT_READ), 0);
	KT_EXPECT_EQ(do_mprotect(mm, p + 2 * PG, PG, PROT_READ), -ENOMEM);  /* not mapped */
	KT_EXPECT_EQ(do_mprotect(mm, p, 3 * PG, PROT_READ), -ENOMEM);       /* runs off the end */
	KT_EXPECT(vma_at(mm, p)->vm_flags == VM_READ);                      /* ...after changing p */
	KT_EXPECT_EQ(do_munmap(mm, p + 8 * PG, PG), 0);                     /* nothing there: fine */
	KT_EXPECT_EQ(mm->map_count, 1);
	mmput(mm);
}

/* Top-down below mmap_base; a free hint is taken, a taken one is not; MAP_FIXED replaces. */
KTEST(mmap_placement)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	long a = tmap(mm, 0, 4 * PG, RW, ANON);
	long b = tmap(mm, 0, PG, PROT_READ, ANON);
	unsigned long hint = 0x20000000;

	KT_EXPECT_EQ(a, (long)(mm->mmap_base - 4 * PG));
	KT_EXPECT_EQ(b, a - (long)PG);
	KT_EXPECT_EQ(tmap(mm, hint, 2 * PG, RW, ANON), (long)hint);
	long c = tmap(mm, hint + PG, 2 * PG, RW, ANON);     /* overlaps: placed elsewhere */
	KT_EXPECT(c > 0 && c != (long)(hint + PG));
	KT_EXPECT_EQ(tmap(mm, 100, PG, RW, ANON), (long)MMAP_MIN_ADDR);   /* hint rounded up */
	for (int i = 0; i < 4; i++)
		KT_EXPECT_EQ(poke(a + i * PG, 'A'), 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 4);
	KT_EXPECT_EQ(tmap(mm, a + PG, 2 * PG, RW, ANON | MAP_FIXED), a + (long)PG);
	KT_EXPECT_EQ(get_mm_rss(mm), 2);                    /* the replaced pages are gone */
	KT_EXPECT_EQ(peek(a), 'A');
	KT_EXPECT_EQ(peek(a + PG), 0);
	KT_EXPECT_EQ(peek(a + 2 * PG), 0);
	KT_EXPECT_EQ(peek(a + 3 * PG), 'A');
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/* MAP_POPULATE faults everything in up front: writable pages for RW, the zero page for R. */
KTEST(mmap_populate)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	long p = tmap(mm, 0, 64 * PG, RW, ANON | MAP_POPULATE);
	long r = tmap(mm, 0, 8 * PG, PROT_READ, ANON | MAP_POPULATE);

	KT_ASSERT(p > 0 && r > 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 64);
	for (int i = 0; i < 64; i++)
		KT_EXPECT(pte_write(mm_get_pte(mm, p + i * PG)));
	for (int i = 0; i < 8; i++)
		KT_EXPECT_EQ(pte_pfn(mm_get_pte(mm, r + i * PG)), zero_pfn());
	long big = tmap(mm, 0, 64ul << 30, RW, ANON | MAP_NORESERVE);   /* 64 GiB, nothing used */
	KT_EXPECT(big > 0);
	KT_EXPECT(vma_at(mm, big)->vm_flags & VM_NORESERVE);
	KT_EXPECT_EQ(get_mm_rss(mm), 64);
	mmput(mm);
}

/*
 * munmap gives back the page tables of what it unmapped -- but not a
 * table whose span still reaches a mapping.
 */
KTEST(munmap_frees_pgtables)
{
	unsigned long free0 = nr_free_pages_settled();
	long tables0 = settled_pgtable_pages();
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	unsigned long base = 0x40000000;      /* 1 GiB aligned: one PMD table for all */

	KT_ASSERT_EQ(tmap(mm, base, 8 * PMD_SIZE, RW, ANON | MAP_FIXED), (long)base);
	for (int i = 0; i < 8; i++)
		KT_EXPECT_EQ(poke(base + i * PMD_SIZE + 5 * PG, 1), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), (8 + 2) * PG);       /* 8 PTE, 1 PMD, 1 PUD */
	/* Half of the first 2 MiB: its PTE table still maps the other half. */
	KT_EXPECT_EQ(do_munmap(mm, base, PMD_SIZE / 2), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), (8 + 2) * PG);
	KT_EXPECT_EQ(get_mm_rss(mm), 7);              /* the page at base + 5 pages went */
	/* The next 3 x 2 MiB and the rest of the first: four PTE tables go. */
	KT_EXPECT_EQ(do_munmap(mm, base + PMD_SIZE / 2, 3 * PMD_SIZE + PMD_SIZE / 2), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), (4 + 2) * PG);
	KT_EXPECT_EQ(get_mm_rss(mm), 4);
	KT_EXPECT(mm_find_pmd(mm, base) && pmd_none(*mm_find_pmd(mm, base)));
	/* The rest: the PMD and PUD tables go too. */
	KT_EXPECT_EQ(do_munmap(mm, base + 4 * PMD_SIZE, 4 * PMD_SIZE), 0);
	KT_EXPECT_EQ(mm_pgtables_bytes(mm), 0);
	KT_EXPECT_EQ(get_mm_rss(mm), 0);
	KT_EXPECT(mm_find_pmd(mm, base) == NULL);
	KT_EXPECT_EQ(settled_pgtable_pages(), tables0 + 1);   /* the PGD */
	test_unuse_mm(mm, prev);
	mmput(mm);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}

/* brk grows the heap as one VMA, shrinks it, and regrows it zeroed; below the start is refused. */
KTEST(brk_grow_shrink)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	unsigned long start = 0x600123;       /* like the end of a program's .bss */

	mm->start_brk = mm->brk = start;
	KT_EXPECT_EQ(do_brk(mm, 0), (long)start);
	KT_EXPECT_EQ(do_brk(mm, start + 64 * 1024), (long)(start + 64 * 1024));
	KT_EXPECT_EQ(do_brk(mm, start + 96 * 1024), (long)(start + 96 * 1024));
	KT_EXPECT_EQ(mm->map_count, 1);       /* the two steps merged */
	KT_EXPECT_EQ(poke(start + 90 * 1024, 'G'), 0);
	KT_EXPECT_EQ(poke(ALIGN_UP(start, PG), 'G'), 0);
	KT_EXPECT_EQ(do_brk(mm, start), (long)start);
	KT_EXPECT(vma_at(mm, ALIGN_UP(start, PG)) == NULL);
	KT_EXPECT_EQ(get_mm_rss(mm), 0);
	KT_EXPECT_EQ(do_brk(mm, PG), (long)start);          /* below the start: unchanged */
	KT_EXPECT_EQ(do_brk(mm, start + 96 * 1024), (long)(start + 96 * 1024));
	KT_EXPECT_EQ(peek(start + 90 * 1024), 0);
	/* Not into another mapping (nor the guard page below it). */
	KT_EXPECT_EQ(tmap(mm, ALIGN_UP(start + 200 * 1024, PG), PG, RW, ANON | MAP_FIXED),
		     (long)ALIGN_UP(start + 200 * 1024, PG));
	KT_EXPECT_EQ(do_brk(mm, start + 200 * 1024), (long)(start + 96 * 1024));
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/* --- munmap zaps with mmap_lock downgraded to read ----------------------- */

static struct {
	struct mm_struct *mm;
	unsigned long base, len;        /* the faulter's VMA */
	bool stop;
	unsigned long faults;           /* atomic: pages the faulter wrote */
	int errors;                     /* atomic */
} dgf;

#define DGF_PAGES 4                     /* the faulter's round: fewer than the hold's 8 faults */

/*
 * Write DGF_PAGES pages of the VMA, each a fault, then DONTNEED them (read
 * lock too): that empties the PTE table, which is reclaimed (R6), so the
 * next round's first fault installs a new one (pmd_install, R4's check).
 * Until told to stop.
 */
static int fault_elsewhere(void *arg)
{
	struct mm_struct *prev = test_use_mm(dgf.mm);

	for (unsigned long i = 0; !__atomic_load_n(&dgf.stop, __ATOMIC_ACQUIRE); i++) {
		if (i && i % DGF_PAGES == 0 &&
		    do_madvise(dgf.mm, dgf.base, DGF_PAGES * PG, MADV_DONTNEED))
			__atomic_fetch_add(&dgf.errors, 1, __ATOMIC_RELAXED);
		if (poke(dgf.base + (i % DGF_PAGES) * PG, 'F'))
			__atomic_fetch_add(&dgf.errors, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&dgf.faults, 1, __ATOMIC_RELAXED);
	}
	test_unuse_mm(dgf.mm, prev);
	return 0;
}

#define DG_HOLD_MS 10000                /* only the limit: the faults end the hold */

static unsigned long reclaims(void)
{
	return vm_event_sum(PT_RECLAIM_FAST) + vm_event_sum(PT_RECLAIM_SLOW);
}

/*
 * A munmap downgrades mmap_lock once its VMAs are detached, and a thread
 * faulting in another VMA goes on meanwhile. The two VMAs share a PMD
 * table, so the faults walk the very PUD and PMD tables free_pgtables
 * works in. The point munmap_downgraded holds the munmap after its
 * downgrade, its gather open, until 8 page faults were handled (they can
 * only be the faulter's, in its own VMA); its events counter says the
 * faults ended the hold. Were the lock still held for writing, the faulter
 * would sleep in down_read and the hold could only time out: events would
 * stay 0. And the munmap's gather is a detached one: the faulter installs
 * a PTE table at least once in any 8 faults (DGF_PAGES, reclaim), and
 * none of those installs may flush for it (R4's tlb_flush_before_set_pmd
 * stays where it was; a DONTNEED's gather would have made them flush).
 */
KTEST(munmap_zaps_under_read_lock)
{
	struct fault_inject *fi = fault_inject_find("munmap_downgraded");
	unsigned long x = 0x40000000;          /* 1 GiB aligned: one PMD table for both */

	KT_ASSERT(fi != NULL);
	if (nr_cpus < 2)
		KT_SKIP("needs 2 CPUs");
	dgf = (typeof(dgf)){ .mm = mm_create(), .base = x + 2 * PMD_SIZE, .len = PMD_SIZE };
	KT_ASSERT(dgf.mm != NULL);
	KT_ASSERT_EQ(tmap(dgf.mm, x, 2 * PMD_SIZE, RW, ANON | MAP_FIXED | MAP_POPULATE), (long)x);
	KT_ASSERT_EQ(tmap(dgf.mm, dgf.base, dgf.len, RW, ANON | MAP_FIXED), (long)dgf.base);
	struct thread *th = kthread_run("dg_faulter", fault_elsewhere, NULL, 1);
	KT_WAIT_FOR(__atomic_load_n(&dgf.faults, __ATOMIC_RELAXED) > 0);
	unsigned long hits0 = fault_inject_hits(fi), events0 = fault_inject_events(fi);
	unsigned long dg0 = vm_event_sum(MMAP_LOCK_DOWNGRADE);
	unsigned long f0 = __atomic_load_n(&dgf.faults, __ATOMIC_RELAXED);
	unsigned long r4 = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD), reclaimed = reclaims();
	fault_inject_set(fi, DG_HOLD_MS);
	KT_EXPECT_EQ(do_munmap(dgf.mm, x, 2 * PMD_SIZE), 0);
	fault_inject_set(fi, 0);
	unsigned long during = __atomic_load_n(&dgf.faults, __ATOMIC_RELAXED) - f0;
	r4 = vm_event_sum(TLB_FLUSH_BEFORE_SET_PMD) - r4;
	reclaimed = reclaims() - reclaimed;
	__atomic_store_n(&dgf.stop, true, __ATOMIC_RELEASE);
	kthread_join(th);
	printk("# munmap_zaps_under_read_lock: %lu pages written in the other VMA during the "
	       "munmap, %lu of its tables reclaimed, %lu R4 flushes\n", during, reclaimed, r4);
	KT_EXPECT_EQ(r4, 0);                                    /* a detached gather owes none */
	if (reclaim_pt_enabled())
		KT_EXPECT(reclaimed > 0);                       /* so tables were installed */
	KT_EXPECT_EQ(vm_event_sum(MMAP_LOCK_DOWNGRADE) - dg0, 1);
	KT_EXPECT_EQ(fault_inject_hits(fi) - hits0, 1);
	KT_EXPECT_EQ(fault_inject_events(fi) - events0, 1);    /* faults ended the hold */
	KT_EXPECT_EQ(dgf.errors, 0);
	KT_EXPECT(vma_at(dgf.mm, x) == NULL);
	KT_EXPECT(pmd_none(*mm_find_pmd(dgf.mm, x)));           /* its PTE tables went... */
	KT_EXPECT(pmd_none(*mm_find_pmd(dgf.mm, x + PMD_SIZE)));
	KT_EXPECT_EQ(mm_pgtables_bytes(dgf.mm), (1 + 2) * PG);  /* ...the faulter's stayed */
	KT_EXPECT(down_write_trylock(&dgf.mm->mmap_lock));      /* and the lock is free */
	mmap_write_unlock(dgf.mm);
	mmput(dgf.mm);
}

/*
 * Which unmaps downgrade: munmap and a shrinking brk do; mmap's MAP_FIXED
 * does not (it links the new VMA after the unmap, as a writer), nor does a
 * munmap of nothing. Each leaves mmap_lock free.
 */
KTEST(munmap_downgrade_paths)
{
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	struct mm_struct *prev = test_use_mm(mm);
	unsigned long a = 0x40000000, start = 0x600000;
	unsigned long dg = vm_event_sum(MMAP_LOCK_DOWNGRADE);

	KT_ASSERT_EQ(tmap(mm, a, 4 * PG, RW, ANON | MAP_FIXED), (long)a);
	KT_EXPECT_EQ(poke(a + PG, 'A'), 0);
	KT_EXPECT_EQ(tmap(mm, a, 2 * PG, RW, ANON | MAP_FIXED), (long)a);   /* replaces */
	KT_EXPECT_EQ(peek(a + PG), 0);
	KT_EXPECT_EQ(vm_event_sum(MMAP_LOCK_DOWNGRADE) - dg, 0);
	KT_EXPECT_EQ(do_munmap(mm, a + 64 * PG, PG), 0);                    /* nothing there */
	KT_EXPECT_EQ(vm_event_sum(MMAP_LOCK_DOWNGRADE) - dg, 0);
	KT_EXPECT_EQ(do_munmap(mm, a, 4 * PG), 0);
	KT_EXPECT_EQ(vm_event_sum(MMAP_LOCK_DOWNGRADE) - dg, 1);
	mm->start_brk = mm->brk = start;
	KT_EXPECT_EQ(do_brk(mm, start + 16 * PG), (long)(start + 16 * PG));
	KT_EXPECT_EQ(poke(start + 9 * PG, 'B'), 0);
	KT_EXPECT_EQ(do_brk(mm, start + 8 * PG), (long)(start + 8 * PG));
	KT_EXPECT_EQ(mm->brk, start + 8 * PG);
	KT_EXPECT_EQ(vm_event_sum(MMAP_LOCK_DOWNGRADE) - dg, 2);
	KT_EXPECT_EQ(get_mm_rss(mm), 0);
	KT_EXPECT(down_write_trylock(&mm->mmap_lock));
	mmap_write_unlock(mm);
	test_unuse_mm(mm, prev);
	mmput(mm);
}

/* --- Placement among many VMAs, against a reference search ---------------- */

#define MANY 2000
#define COMB 1000                     /* one-page VMAs laid out first, holes between */

/* A fixed pseudo-random sequence (an LCG): the same layout every run. */
static unsigned long lcg(unsigned long *state)
{
	*state = *state * 6364136223846793005ul + 1442695040888963407ul;
	return *state >> 33;
}

/* The highest a with [a, a + len) inside both [start, end) and [low, high); 0 if none. */
static unsigned long ref_fit(unsigned long start, unsigned long end, unsigned long len,
			     unsigned long low, unsigned long high)
{
	unsigned long bottom = MAX(start, low), top = MIN(end, high);
	return top > bottom && top - bottom >= len ? top - len : 0;
}

/* The top-down search the obvious way: every gap, bottom up, keeping the highest fit. O(n). */
static unsigned long ref_topdown(struct mm_struct *mm, unsigned long len, unsigned long low,
				 unsigned long high)
{
	unsigned long best = 0, prev_end = 0;
	struct vm_area_struct *vma;

	for_each_vma(mm, vma) {
		best = MAX(best, ref_fit(prev_end, vma->vm_start, len, low, high));
		prev_end = vma->vm_end;
	}
	return MAX(best, ref_fit(prev_end, mm->task_size, len, low, high));
}

/* Where mmap without a hint must put len bytes: below mmap_base, else above it. */
static long ref_placement(struct mm_struct *mm, unsigned long len)
{
	down_read(&mm->mmap_lock);
	unsigned long a = ref_topdown(mm, len, MMAP_MIN_ADDR, mm->mmap_base);
	if (!a)
		a = ref_topdown(mm, len, mm->mmap_base, mm->task_size);
	up_read(&mm->mmap_lock);
	return a ? (long)a : -ENOMEM;
}

static int vma_tree_check_locked(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
	int err = vma_tree_check(mm);
	up_read(&mm->mmap_lock);
	return err;
}

/* A mapping of [start, end) that is never touched: a wall for the test's layout. */
static bool wall(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	return tmap(mm, start, end - start, PROT_NONE, ANON | MAP_FIXED | MAP_NORESERVE) ==
	       (long)start;
}

/*
 * A comb of one-page VMAs with holes of 1..6 pages, straddling mmap_base,
 * between two walls: below, one that leaves a 2-page hole at MMAP_MIN_ADDR
 * (its gap, counted from 0, looks bigger than what may be used); above,
 * one up to task_size, so that what does not fit below mmap_base must go
 * into the comb's holes above it. Returns the comb's end, 0 if a mapping
 * failed.
 */
static unsigned long lay_comb(struct mm_struct *mm, unsigned long start, unsigned long *seed)
{
	unsigned long a = start;

	for (int i = 0; i < COMB; i++) {
		if (tmap(mm, a, PG, i % 2 ? RW : PROT_READ, ANON | MAP_FIXED) != (long)a)
			return 0;
		a += PG * (2 + lcg(seed) % 6);
	}
	if (!wall(mm, MMAP_MIN_ADDR + 2 * PG, start - 5 * PG) ||
	    !wall(mm, a + 5 * PG, mm->task_size))
		return 0;
	return a;
}

/*
 * MANY mmaps, mostly one page, into the comb's holes below mmap_base, then
 * into those above it; munmaps now and then open new holes. Each lands
 * where the linear reference search says.
 */
KTEST(mmap_placement_many)
{
	unsigned long free0 = nr_free_pages_settled();
	struct mm_struct *mm = mm_create();
	KT_ASSERT(mm != NULL);
	unsigned long seed = 42, start = mm->mmap_base - 1000 * PG;
	unsigned long end = lay_comb(mm, start, &seed);
	int wrong = 0;

	KT_ASSERT(end != 0);
	KT_EXPECT_EQ(vma_tree_check_locked(mm), 0);
	for (int i = 0; i < MANY; i++) {
		unsigned long len = PG * (i % 5 ? 1 : 1 + lcg(&seed) % 5);
		long want = ref_placement(mm, len);
		long got = tmap(mm, 0, len, i % 3 ? RW : PROT_READ, ANON);
		if (got != want && wrong++ < 5)
			ktest_fail(t, __FILE__, __LINE__, "mmap %d of %lu bytes: at %#lx, not %#lx",
				   i, len, got, want);
		if (i % 8 == 7)
			do_munmap(mm, start + PG * (lcg(&seed) % ((end - start) / PG)),
				  PG * (1 + lcg(&seed) % 3));
		if (i % 64 == 0)
			KT_EXPECT_EQ(vma_tree_check_locked(mm), 0);
	}
	KT_EXPECT_EQ(vma_tree_check_locked(mm), 0);
	KT_EXPECT(mm->map_count > COMB);
	mmput(mm);
	KT_EXPECT_EQ(nr_free_pages_settled(), free0);
}
