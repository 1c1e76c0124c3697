/*
 * The page-table dump (format in ptdump.h): every populated table of one
 * address space, read while other threads of that address space fault,
 * DONTNEED and reclaim tables on other CPUs.
 *
 * The dump is a walker like any other, and it must be exactly as careful.
 * It holds mmap_lock for reading, which keeps the VMA set still. It does
 * not keep the upper tables: a munmap frees the PUD and PMD tables of its
 * hole with mmap_lock downgraded to read (mm/mmap.c), and unlike a fault
 * the dump goes through the hole too. So it walks the upper levels inside
 * rcu_read_lock(): a table unhooked meanwhile is freed only after a grace
 * period (R1 step 3, R5), and until then the dump reads what it held --
 * entries the unhooker already cleared, a moment's picture like any other.
 * Nor does the read lock keep a PMD *entry* still, or the PTE table behind
 * it: MADV_DONTNEED reclaims empty PTE tables under the read lock (R6).
 * So the PTE level is entered as pte_offset_map_lock() does it: inside
 * rcu_read_lock() (nested), the PMD read once, the PTE lock taken, the PMD
 * read again, and the walk repeated if it changed (R3).
 */
#include "mm/ptdump.h"
#include "kernel/fault_inject.h"
#include "kernel/rcu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/ptcheck.h"

/*
 * Fault injection for the dump's race test (suite ptdump-race): hold the
 * dump between its lockless PMD read and the PTE lock, inside
 * rcu_read_lock(), until that PMD changes (a DONTNEED on another CPU
 * reclaimed the table) or the point's time runs out.
 */
DEFINE_FAULT_INJECT(fi_ptdump_walk, "ptdump_walk",
		    "hold the page-table dump between its PMD read and the PTE lock (R3) "
		    "until the PMD changes");

/*
 * Fault injection for the dump's test against munmap (mm/ptdump_test.c:
 * ptdump_pmd_table_outlives_munmap): hold the dump in a PMD table, before
 * it reads the entries, until that table is dead (freed, or poisoned by
 * its RCU callback) or the point's time runs out. A munmap may unhook the
 * table meanwhile -- it frees tables under the read lock since it
 * downgrades -- but the dump holds rcu_read_lock(), so the table must
 * outlive the hold: the hold times out and its events stay 0.
 * ptdump_upper_unhooked counts the holds that saw their table unhooked.
 */
DEFINE_FAULT_INJECT(fi_ptdump_upper, "ptdump_upper",
		    "hold the page-table dump inside a PMD table until the table is freed "
		    "(never, if the dump's rcu_read_lock works)");
unsigned long ptdump_upper_unhooked;

struct upper_watch {
	pud_t *pud;
	struct page *table;
	bool unhooked;
};

/*
 * Has the table died (back in the allocator, or poisoned by
 * pgtable_free_rcu)? Polled by the hold, which spins. Where the dump could
 * sleep it lets the CPU pass a quiescent state, as the dump would if it
 * were descheduled there; inside rcu_read_lock it cannot, and does not.
 */
static bool upper_table_dead(void *arg)
{
	struct upper_watch *w = arg;
	const u64 *entry = page_address(w->table);

	if (!sched_atomic_context())
		cond_resched();

	w->unhooked |= pud_none(pudp_get(w->pud));
	return !PageTable(w->table) || READ_ONCE(entry[0]) == PGTABLE_POISON;
}

static void ptdump_upper_hold(pud_t *pud, pud_t pudval)
{
	struct upper_watch w = { pud, phys_to_page(pud_phys(pudval)), false };

	if (!READ_ONCE(fi_ptdump_upper.ms))
		return;
	fault_inject_hold_until(&fi_ptdump_upper, upper_table_dead, &w);
	if (w.unhooked)
		__atomic_fetch_add(&ptdump_upper_unhooked, 1, __ATOMIC_RELAXED);
}

/* Room kept at the end of the buffer for the pending lines' note and the end line. */
#define TAIL_RESERVE 256

struct ptdump {
	struct mm_struct *mm;
	char *buf;
	size_t size, len;
	unsigned long tables, huge, pending, raced, truncated;
	unsigned long gp_completed;      /* the last grace period that ended, at the start */
};

/* Append one line, unless it would eat into the room kept for the tail (then count it). */
static __printf(3, 4) void line(struct ptdump *d, bool tail, const char *fmt, ...)
{
	size_t limit = tail || d->size < TAIL_RESERVE ? d->size : d->size - TAIL_RESERVE;
	va_list ap;

	va_start(ap, fmt);
	size_t n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (d->len + n >= limit) {
		d->truncated++;
		return;
	}
	va_start(ap, fmt);
	d->len += vsnprintf(d->buf + d->len, d->size - d->len, fmt, ap);
	va_end(ap);
}

/* Entries of a table that are not none, read without a lock (a moment's picture). */
static int entries_used(const u64 *table)
{
	int used = 0;

	for (int i = 0; i < PTRS_PER_TABLE; i++)
		used += READ_ONCE(table[i]) != 0;
	return used;
}

static void dump_huge(struct ptdump *d, pmd_t pmdval, unsigned long va)
{
	d->huge++;
	line(d, false, "        huge phys=%#lx va=%#lx %s%s\n", pmd_pfn(pmdval) << PAGE_SHIFT, va,
	     pmd_write(pmdval) ? "rw" : "ro", pmd_present(pmdval) ? "" : " invalid");
}

struct pmd_watch {
	pmd_t *pmd;
	pmd_t seen;
};

static bool pmd_changed(void *arg)
{
	const struct pmd_watch *w = arg;
	return !pmd_same(pmdp_get(w->pmd), w->seen);
}

/*
 * The PTE table under pmd, if there still is one. These are the steps of
 * pte_offset_map_lock(), written out so that the dump can count the times
 * it lost the race and a test can hold it inside the window.
 */
static void dump_pte_table(struct ptdump *d, pmd_t *pmd, unsigned long va)
{
	for (;;) {
		pmd_t pmdval;
		/* R3: rcu_read_lock, the PMD read once: the table cannot be freed under us. */
		pte_t *pte = pte_offset_map(pmd, va, &pmdval);
		if (!pte) {
			if (pmd_trans_huge(pmdval))
				dump_huge(d, pmdval, va);   /* became (or was) a huge PMD */
			return;                         /* none: reclaimed before we looked */
		}
		struct pmd_watch w = { pmd, pmdval };
		fault_inject_hold_until(&fi_ptdump_walk, pmd_changed, &w);   /* fault injection */
		spinlock_t *ptl = pte_lockptr(d->mm, pmdval);
		spin_lock(ptl);
		/*
		 * R3: mmap_lock held for reading did not stop a DONTNEED on
		 * another CPU from reclaiming this table since we read the PMD.
		 * Do not trust a lock that does not stop reclaim: Linux's own
		 * page-table dumper walked under the mmap lock taken for
		 * writing and assumed no table could go meanwhile, while other
		 * paths freed page tables under weaker locks. Only the PMD, read
		 * again under the PTE lock, says whether the table we hold is
		 * still this mm's.
		 */
		if (!pmd_same(pmdval, pmdp_get(pmd))) {
			pte_unmap_unlock(pte, ptl);
			d->raced++;
			continue;
		}
		struct page *table = pmd_pgtable(pmdval);
		ptcheck_walk_locked(table, va);
		int used = entries_used(page_address(table));
		int count = table->pt_count;          /* exact under the PTE lock */
		pte_unmap_unlock(pte, ptl);
		d->tables++;
		if (used == count)
			line(d, false, "        pte phys=%#lx va=%#lx used=%d\n",
			     pmd_phys(pmdval), va, used);
		else
			line(d, false, "        pte phys=%#lx va=%#lx used=%d count=%d MISMATCH\n",
			     pmd_phys(pmdval), va, used, count);
		return;
	}
}

/*
 * A PMD table: walked without its lock. The table itself is not freed
 * under us (rcu_read_lock, held by ptdump_show), each entry is read once
 * and then trusted only as far as dump_pte_table's recheck allows.
 */
static void dump_pmd_table(struct ptdump *d, pud_t *pud, pud_t pudval, unsigned long base)
{
	pmd_t *pmd = phys_to_virt(pud_phys(pudval));

	ptdump_upper_hold(pud, pudval);          /* fault injection, see above */
	d->tables++;
	line(d, false, "    pmd phys=%#lx va=%#lx used=%d\n", pud_phys(pudval), base,
	     entries_used((const u64 *)pmd));
	for (int i = 0; i < PTRS_PER_PMD; i++) {
		pmd_t pmdval = pmdp_get(&pmd[i]);
		unsigned long va = base + (unsigned long)i * PMD_SIZE;
		if (pmd_none(pmdval))
			continue;
		if (pmd_trans_huge(pmdval))
			dump_huge(d, pmdval, va);
		else
			dump_pte_table(d, &pmd[i], va);
	}
}

static void dump_pud_table(struct ptdump *d, pgd_t pgdval, unsigned long base)
{
	pud_t *pud = phys_to_virt(pgd_phys(pgdval));

	d->tables++;
	line(d, false, "  pud phys=%#lx va=%#lx used=%d\n", pgd_phys(pgdval), base,
	     entries_used((const u64 *)pud));
	for (int i = 0; i < PTRS_PER_PUD; i++) {
		pud_t pudval = pudp_get(&pud[i]);
		unsigned long va = base + (unsigned long)i * PUD_SIZE;
		if (pud_none(pudval))
			continue;
		if (pud_leaf(pudval))          /* no user 1 GiB pages today; shown if ever */
			line(d, false, "    huge1g phys=%#lx va=%#lx\n", pud_phys(pudval), va);
		else
			dump_pmd_table(d, &pud[i], pudval, va);
	}
}

static void dump_pgd(struct ptdump *d)
{
	pgd_t *pgd = d->mm->pgd;
	int used = 0;

	for (int i = 0; i < KERNEL_PGD_FIRST; i++)
		used += !pgd_none(pgdp_get(&pgd[i]));
	d->tables++;
	line(d, false, "pgd phys=%#lx used=%d kernel=%d\n", virt_to_phys(pgd), used,
	     entries_used((const u64 *)pgd) - used);
	for (int i = 0; i < KERNEL_PGD_FIRST; i++) {
		pgd_t pgdval = pgdp_get(&pgd[i]);
		if (!pgd_none(pgdval))
			dump_pud_table(d, pgdval, (unsigned long)i * PGD_SIZE);
	}
}

/*
 * One table that left this mm and is not freed yet (ptcheck's records):
 * its flush still owed, its grace period still running, or the grace
 * period over and the RCU callback that frees it not run yet.
 */
static void dump_pending_one(void *arg, const struct ptcheck_pending_info *p)
{
	struct ptdump *d = arg;
	unsigned long va = p->pte_table ? p->addr & PMD_MASK : p->addr;
	const char *level = !p->phys ? "huge" : p->pte_table ? "pte" : "upper";
	const char *wait = !p->gp ? "flush" : p->gp > d->gp_completed ? "gp" : "callback";

	char gp[32] = "";

	if (p->gp)
		snprintf(gp, sizeof(gp), " gp=%lu", p->gp);
	d->pending++;
	line(d, false, "pending %s phys=%#lx va=%#lx wait=%s%s\n", level, p->phys, va, wait, gp);
}

size_t ptdump_show(struct mm_struct *mm, int pid, const char *comm, char *buf, size_t size)
{
	struct ptdump d = { .mm = mm, .buf = buf, .size = size, .gp_completed = rcu_gp_completed() };

	if (!size)
		return 0;
	buf[0] = '\0';
	line(&d, false, "ptdump: begin pid=%d comm=%s ptcheck=%s rcu_gp=%lu\n", pid, comm,
	     ptcheck_enabled ? "on" : "off", d.gp_completed);
	down_read(&mm->mmap_lock);             /* keeps the VMAs, not the tables of a hole */
	rcu_read_lock();                       /* R5: a PUD or PMD table unhooked meanwhile stays */
	dump_pgd(&d);
	rcu_read_unlock();
	up_read(&mm->mmap_lock);
	if (ptcheck_enabled)
		ptcheck_pending_walk(mm, dump_pending_one, &d);
	else
		line(&d, true, "pending untracked (boot with ptcheck to see tables awaiting "
		     "a flush or a grace period)\n");
	line(&d, true, "ptdump: end tables=%lu huge=%lu pending=%lu raced=%lu truncated=%lu\n",
	     d.tables, d.huge, d.pending, d.raced, d.truncated);
	return d.len;
}
