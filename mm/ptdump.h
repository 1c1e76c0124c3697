/*
 * The page-table dump (mm/ptdump.c): a picture, in text, of one address
 * space's page tables, read as /proc/PID/pagetable (kernel/procfs.c;
 * /proc/self/pagetable for one's own) and drawn by tools/ptdump.
 *
 * One line per populated table, parents before children, in address order:
 *
 *   ptdump: begin pid=7 comm=ptdump_race ptcheck=on rcu_gp=1234
 *   pgd phys=0x1b4000 used=2 kernel=3
 *     pud phys=0x1b7000 va=0x0 used=1
 *       pmd phys=0x1b8000 va=0x0 used=2
 *         pte phys=0x1c2000 va=0x400000 used=5
 *         huge phys=0x3e00000 va=0x40000000 rw
 *   pending pte phys=0x1c9000 va=0x7ffff7c00000 wait=flush
 *   pending pte phys=0x1ca000 va=0x7ffff7e00000 wait=gp gp=1235
 *   ptdump: end tables=5 huge=1 pending=2 raced=0 truncated=0
 *
 *   phys     the table page's physical address (a huge line: the 2 MiB page's)
 *   va       the first user address the table (or huge page) maps
 *   used     entries that are not none, counted by reading all 512; for a
 *            PTE table under its PTE lock, where it must equal the table's
 *            pt_count (else " count=N MISMATCH" follows)
 *   kernel   PGD entries of the shared kernel half (not walked)
 *   huge     a leaf PMD: one 2 MiB page, no PTE table; rw or ro, and
 *            "invalid" while a split holds it not-present (THP)
 *   pending  a table unhooked from this mm (by munmap, exit or reclaim)
 *            whose life is not over: wait=flush (R1 step 2 still owed),
 *            wait=gp (flushed; freed once grace period gp has completed,
 *            rcu_gp on the begin line is the last one that did), or
 *            wait=callback (that grace period is over; the RCU callback
 *            that frees the table has not run yet). Known only
 *            under the boot option `ptcheck`; without it one line says so:
 *              pending untracked (boot with ptcheck to see tables awaiting a flush or a grace period)
 *   raced    PTE tables the dump found unhooked between its lockless PMD
 *            read and its PTE lock, and so walked again (R3)
 *   truncated  lines left out because the buffer was full
 *
 * Indentation is for people; a reader may split on white space and go by
 * the first word.
 */
#pragma once
#include "kernel/types.h"

struct mm_struct;

/* Room for the text of /proc/self/pagetable: about 1500 tables. */
#define PTDUMP_MAX (128 * 1024)

/*
 * Write the dump of mm's user page tables into buf (at most size bytes,
 * always ending with the "ptdump: end" line, whatever was left out), for
 * a process called comm with this pid. Takes mmap_lock for reading, then
 * page-table locks; sleeps. Returns the length.
 */
size_t ptdump_show(struct mm_struct *mm, int pid, const char *comm, char *buf, size_t size);

/* Holds of the fault-injection point ptdump_upper that saw their PMD table unhooked. */
extern unsigned long ptdump_upper_unhooked;
