/*
 * x86-64 4-level paging: address layout and page-table entry bits.
 *
 *   virtual address:  | PGD 9 | PUD 9 | PMD 9 | PTE 9 | offset 12 |
 *                      47   39 38  30 29  21 20  12 11          0
 *
 * A PGD entry maps 512 GiB, a PUD entry 1 GiB (or is a 1 GiB page), a PMD
 * entry 2 MiB (or is a 2 MiB page), a PTE 4 KiB. Linux's names are kept.
 *
 * Every table is one 4 KiB page of 512 eight-byte entries. An entry holds a
 * physical address (bits 12..51) and flag bits; in a PGD/PUD/PMD entry
 * without _PAGE_PSE the address is that of the next table down, otherwise
 * (PUD, PMD only) it is the start of a 1 GiB / 2 MiB page: a "leaf".
 */
#pragma once
#include "kernel/types.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))
#define PMD_SHIFT  21
#define PMD_SIZE   (1ul << PMD_SHIFT)
#define PMD_MASK   (~(PMD_SIZE - 1))
#define PUD_SHIFT  30
#define PUD_SIZE   (1ul << PUD_SHIFT)
#define PUD_MASK   (~(PUD_SIZE - 1))
#define PGD_SHIFT  39
#define PGD_SIZE   (1ul << PGD_SHIFT)
#define PTRS_PER_TABLE 512
#define PTRS_PER_PGD PTRS_PER_TABLE
#define PTRS_PER_PUD PTRS_PER_TABLE
#define PTRS_PER_PMD PTRS_PER_TABLE
#define PTRS_PER_PTE PTRS_PER_TABLE

#define KERNEL_VIRT      0xffffffff80000000ul   /* kernel image, -mcmodel=kernel */
#define DIRECT_MAP_BASE  0xffff888000000000ul   /* all RAM, phys_to_virt */
#define VMALLOC_START    0xffffc90000000000ul   /* kernel mappings made page by page */
#define VMALLOC_END      (VMALLOC_START + PGD_SIZE)
#define USER_TOP         0x00007ffffffff000ul
#define KERNEL_PGD_FIRST 256                    /* PGD entries 256..511: kernel half */

/* Entry bits */
#define _PAGE_PRESENT  (1ul << 0)
#define _PAGE_RW       (1ul << 1)
#define _PAGE_USER     (1ul << 2)
#define _PAGE_PWT      (1ul << 3)
#define _PAGE_PCD      (1ul << 4)
#define _PAGE_ACCESSED (1ul << 5)
#define _PAGE_DIRTY    (1ul << 6)
#define _PAGE_PSE      (1ul << 7)    /* in a PUD/PMD entry: a 1 GiB / 2 MiB page */
#define _PAGE_GLOBAL   (1ul << 8)    /* survives CR3 reloads (kernel mappings) */
#define _PAGE_NX       (1ul << 63)
#define PTE_ADDR_MASK  0x000ffffffffff000ul
#define PTE_FLAGS_MASK (~PTE_ADDR_MASK)

/* Protections for kernel mappings. */
#define PAGE_KERNEL_TABLE (_PAGE_PRESENT | _PAGE_RW)       /* non-leaf entries */
#define PAGE_KERNEL      (_PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | _PAGE_NX | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PAGE_KERNEL_RO   (_PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_NX | _PAGE_ACCESSED)
#define PAGE_KERNEL_EXEC (_PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_ACCESSED)
#define PAGE_KERNEL_IO   (PAGE_KERNEL | _PAGE_PCD | _PAGE_PWT)   /* uncached MMIO */

#define pgd_index(va) (((va) >> PGD_SHIFT) & 511)
#define pud_index(va) (((va) >> PUD_SHIFT) & 511)
#define pmd_index(va) (((va) >> PMD_SHIFT) & 511)
#define pte_index(va) (((va) >> PAGE_SHIFT) & 511)

static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(pa + DIRECT_MAP_BASE);
}

/* Works for direct-map addresses and for the kernel image. */
static inline phys_addr_t virt_to_phys(const void *va)
{
	u64 v = (u64)va;
	return v >= KERNEL_VIRT ? v - KERNEL_VIRT : v - DIRECT_MAP_BASE;
}

/*
 * Entry types. Each level has its own type, as in Linux, so that handing a
 * PMD entry to a PTE helper is a compile error rather than a wrong walk.
 * x_val() reads the raw value, __x() builds an entry from one.
 */
typedef struct { u64 pgd; } pgd_t;
typedef struct { u64 pud; } pud_t;
typedef struct { u64 pmd; } pmd_t;
typedef struct { u64 pte; } pte_t;

#define pgd_val(x) ((x).pgd)
#define pud_val(x) ((x).pud)
#define pmd_val(x) ((x).pmd)
#define pte_val(x) ((x).pte)
#define __pgd(v) ((pgd_t){ (v) })
#define __pud(v) ((pud_t){ (v) })
#define __pmd(v) ((pmd_t){ (v) })
#define __pte(v) ((pte_t){ (v) })

/* The kernel's root table (init_mm's PGD), mm/kernel_pgtable.c. */
extern pgd_t swapper_pg_dir[PTRS_PER_PGD];

/*
 * Reading an entry: one load (READ_ONCE), because the hardware and other
 * CPUs may change the accessed/dirty bits or the entry itself under us.
 */
static inline pgd_t pgdp_get(const pgd_t *p) { return READ_ONCE(*p); }
static inline pud_t pudp_get(const pud_t *p) { return READ_ONCE(*p); }
static inline pmd_t pmdp_get(const pmd_t *p) { return READ_ONCE(*p); }
static inline pte_t ptep_get(const pte_t *p) { return READ_ONCE(*p); }

/* Writing an entry: one store, never torn, so a walker sees old or new. */
static inline void set_pgd(pgd_t *p, pgd_t v) { WRITE_ONCE(*p, v); }
static inline void set_pud(pud_t *p, pud_t v) { WRITE_ONCE(*p, v); }
static inline void set_pmd(pmd_t *p, pmd_t v) { WRITE_ONCE(*p, v); }
static inline void set_pte(pte_t *p, pte_t v) { WRITE_ONCE(*p, v); }
static inline void pud_clear(pud_t *p) { set_pud(p, __pud(0)); }
static inline void pmd_clear(pmd_t *p) { set_pmd(p, __pmd(0)); }
static inline void pte_clear(pte_t *p) { set_pte(p, __pte(0)); }

/* none: the entry is all zero (nothing there); present: the P bit is set. */
static inline bool pgd_none(pgd_t e)    { return pgd_val(e) == 0; }
static inline bool pud_none(pud_t e)    { return pud_val(e) == 0; }
static inline bool pmd_none(pmd_t e)    { return pmd_val(e) == 0; }
static inline bool pte_none(pte_t e)    { return pte_val(e) == 0; }
static inline bool pgd_present(pgd_t e) { return pgd_val(e) & _PAGE_PRESENT; }
static inline bool pud_present(pud_t e) { return pud_val(e) & _PAGE_PRESENT; }
static inline bool pmd_present(pmd_t e) { return pmd_val(e) & _PAGE_PRESENT; }
static inline bool pte_present(pte_t e) { return pte_val(e) & _PAGE_PRESENT; }

/* leaf: a present PUD/PMD entry that maps a 1 GiB / 2 MiB page itself. */
static inline bool pud_leaf(pud_t e)
{
	return (pud_val(e) & (_PAGE_PRESENT | _PAGE_PSE)) == (_PAGE_PRESENT | _PAGE_PSE);
}

static inline bool pmd_leaf(pmd_t e)
{
	return (pmd_val(e) & (_PAGE_PRESENT | _PAGE_PSE)) == (_PAGE_PRESENT | _PAGE_PSE);
}

static inline u64 pte_flags(pte_t e) { return pte_val(e) & PTE_FLAGS_MASK; }
static inline bool pte_write(pte_t e) { return pte_val(e) & _PAGE_RW; }
static inline bool pte_exec(pte_t e)  { return !(pte_val(e) & _PAGE_NX); }
static inline bool pte_global(pte_t e) { return pte_val(e) & _PAGE_GLOBAL; }

/* Physical address held in an entry (of a table, or of the page it maps). */
static inline phys_addr_t pgd_phys(pgd_t e) { return pgd_val(e) & PTE_ADDR_MASK; }
static inline phys_addr_t pud_phys(pud_t e) { return pud_val(e) & PTE_ADDR_MASK; }
static inline phys_addr_t pmd_phys(pmd_t e) { return pmd_val(e) & PTE_ADDR_MASK; }
static inline phys_addr_t pte_phys(pte_t e) { return pte_val(e) & PTE_ADDR_MASK; }
static inline unsigned long pte_pfn(pte_t e) { return pte_phys(e) >> PAGE_SHIFT; }

/* Build entries. pfn_pmd/pfn_pud make leaves (they add _PAGE_PSE). */
static inline pte_t pfn_pte(unsigned long pfn, u64 prot)
{
	return __pte((pfn << PAGE_SHIFT) | prot);
}

static inline pmd_t pfn_pmd(unsigned long pfn, u64 prot)
{
	return __pmd((pfn << PAGE_SHIFT) | prot | _PAGE_PSE);
}

static inline pud_t pfn_pud(unsigned long pfn, u64 prot)
{
	return __pud((pfn << PAGE_SHIFT) | prot | _PAGE_PSE);
}

/* Table entries: point at the next table down, phys its address. */
static inline pgd_t pgd_table(phys_addr_t phys) { return __pgd(phys | PAGE_KERNEL_TABLE); }
static inline pud_t pud_table(phys_addr_t phys) { return __pud(phys | PAGE_KERNEL_TABLE); }
static inline pmd_t pmd_table(phys_addr_t phys) { return __pmd(phys | PAGE_KERNEL_TABLE); }

/*
 * The walk, one level at a time, as in Linux: each _offset() takes a pointer
 * to the entry one level up (which must point to a table, not be a leaf or
 * none) and returns a pointer to the entry for va in the table below it.
 * Tables are reached through the direct map.
 */
static inline pgd_t *pgd_offset_pgd(pgd_t *pgd, unsigned long va)
{
	return pgd + pgd_index(va);
}

/* The kernel's entry for va in swapper_pg_dir. */
#define pgd_offset_k(va) pgd_offset_pgd(swapper_pg_dir, (va))

static inline pud_t *pud_offset(pgd_t *pgd, unsigned long va)
{
	return (pud_t *)phys_to_virt(pgd_phys(pgdp_get(pgd))) + pud_index(va);
}

static inline pmd_t *pmd_offset(pud_t *pud, unsigned long va)
{
	return (pmd_t *)phys_to_virt(pud_phys(pudp_get(pud))) + pmd_index(va);
}

static inline pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long va)
{
	return (pte_t *)phys_to_virt(pmd_phys(pmdp_get(pmd))) + pte_index(va);
}

/* Page-table levels as Linux's lookup_address() reports them. */
enum pg_level { PG_LEVEL_NONE, PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G };

/*
 * User page tables (mm/pgtable.c, mm/fault.c).
 *
 * A non-leaf entry of a user table lets the leaf decide: present, writable,
 * user, so that only the PTE's own bits restrict an access. A user PTE is in
 * one of three states:
 *   none      all zero: nothing mapped; the next touch faults it in
 *   present   P set: maps a page (the zero page read-only, or an anon page)
 *   protnone  P clear, _PAGE_PROTNONE set: mprotect(PROT_NONE) kept the page
 *             (its pfn stays in the entry) but no access may reach it
 * _PAGE_PROTNONE reuses the global bit, as Linux does: the hardware ignores
 * every other bit of a not-present entry, and user pages are never global.
 */
#define _PAGE_PROTNONE _PAGE_GLOBAL
#define _PAGE_TABLE    (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
/* The bits mprotect replaces; the pfn, A and D survive (pte_modify). */
#define _PAGE_PROT_MASK (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_PROTNONE | _PAGE_NX)
/* User protections (vm_get_page_prot() picks one; RW is added per page). */
#define PAGE_NONE      (_PAGE_PROTNONE | _PAGE_ACCESSED)
#define PAGE_USER_RO   (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)
#define PAGE_USER_RX   (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)

static inline pgd_t pgd_user_table(phys_addr_t phys) { return __pgd(phys | _PAGE_TABLE); }
static inline pud_t pud_user_table(phys_addr_t phys) { return __pud(phys | _PAGE_TABLE); }
static inline pmd_t pmd_user_table(phys_addr_t phys) { return __pmd(phys | _PAGE_TABLE); }
static inline void pgd_clear(pgd_t *p) { set_pgd(p, __pgd(0)); }

static inline bool pte_protnone(pte_t e)
{
	return (pte_val(e) & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE;
}
static inline bool pte_dirty(pte_t e) { return pte_val(e) & _PAGE_DIRTY; }
static inline bool pte_same(pte_t a, pte_t b) { return pte_val(a) == pte_val(b); }
static inline bool pmd_same(pmd_t a, pmd_t b) { return pmd_val(a) == pmd_val(b); }
static inline pte_t pte_mkwrite(pte_t e)   { return __pte(pte_val(e) | _PAGE_RW); }
static inline pte_t pte_wrprotect(pte_t e) { return __pte(pte_val(e) & ~_PAGE_RW); }
static inline pte_t pte_mkdirty(pte_t e)   { return __pte(pte_val(e) | _PAGE_DIRTY); }
static inline pte_t pte_mkyoung(pte_t e)   { return __pte(pte_val(e) | _PAGE_ACCESSED); }

/* The entry e with its protection replaced by prot (a PAGE_* value); pfn, A, D kept. */
static inline pte_t pte_modify(pte_t e, u64 prot)
{
	return __pte((pte_val(e) & ~_PAGE_PROT_MASK) | (prot & _PAGE_PROT_MASK));
}

/*
 * Clear an entry and return what it held, in one atomic exchange: between a
 * load and a separate store the hardware of another CPU could set the dirty
 * bit, and that write would be lost. The caller holds the PTE lock.
 */
static inline pte_t ptep_get_and_clear(pte_t *p)
{
	return __pte(__atomic_exchange_n(&p->pte, 0, __ATOMIC_SEQ_CST));
}

/*
 * Huge PMD entries (transparent huge pages, mm/huge_memory.c). A user PMD
 * entry with _PAGE_PSE maps a 2 MiB page itself; one that points at a PTE
 * table never has it, so the bit alone tells the two apart. Such an entry
 * is "trans huge" whatever its present bit says:
 *   present      the 2 MiB page is mapped
 *   protnone     mprotect(PROT_NONE) kept the page (as for a PTE)
 *   invalidated  present bit cleared for the moment a split holds the PMD
 *                lock: the hardware faults, software sees PSE and waits
 *                for the PMD lock instead of taking the entry for none
 * In a leaf PMD, bit 12 is PAT, not address: the page address is bits 21-51.
 */
#define PMD_PAGE_ADDR_MASK (PTE_ADDR_MASK & PMD_MASK)

static inline bool pmd_trans_huge(pmd_t e) { return pmd_val(e) & _PAGE_PSE; }
static inline bool pmd_write(pmd_t e) { return pmd_val(e) & _PAGE_RW; }
static inline unsigned long pmd_pfn(pmd_t e) { return (pmd_val(e) & PMD_PAGE_ADDR_MASK) >> PAGE_SHIFT; }
static inline pmd_t pmd_mkwrite(pmd_t e) { return __pmd(pmd_val(e) | _PAGE_RW); }
static inline pmd_t pmd_mkdirty(pmd_t e) { return __pmd(pmd_val(e) | _PAGE_DIRTY); }
static inline pmd_t pmd_mkinvalid(pmd_t e) { return __pmd(pmd_val(e) & ~_PAGE_PRESENT); }

/* The protection of a huge PMD replaced by prot (a PAGE_* value); pfn, PSE, A, D kept. */
static inline pmd_t pmd_modify(pmd_t e, u64 prot)
{
	return __pmd((pmd_val(e) & ~_PAGE_PROT_MASK) | (prot & _PAGE_PROT_MASK));
}

/* The flags a 4 KiB PTE gets for one part of a huge PMD (split): PSE is PAT in a PTE. */
static inline u64 pmd_pte_flags(pmd_t e)
{
	return pmd_val(e) & PTE_FLAGS_MASK & ~_PAGE_PSE;
}

/* Exchange a PMD entry in one atomic step (see ptep_get_and_clear); PMD lock held. */
static inline pmd_t pmdp_xchg(pmd_t *p, pmd_t v)
{
	return __pmd(__atomic_exchange_n(&p->pmd, pmd_val(v), __ATOMIC_SEQ_CST));
}

/* The address where the entry of this level covering addr ends, capped at end. */
static inline unsigned long pgd_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long b = (addr + PGD_SIZE) & ~(PGD_SIZE - 1);
	return b - 1 < end - 1 ? b : end;
}

static inline unsigned long pud_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long b = (addr + PUD_SIZE) & PUD_MASK;
	return b - 1 < end - 1 ? b : end;
}

static inline unsigned long pmd_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long b = (addr + PMD_SIZE) & PMD_MASK;
	return b - 1 < end - 1 ? b : end;
}

/* The #PF error code (pushed by the CPU; CR2 holds the address). */
#define X86_PF_PROT  (1ul << 0)    /* 0: the entry was not present; 1: a protection violation */
#define X86_PF_WRITE (1ul << 1)    /* a write (else a read) */
#define X86_PF_USER  (1ul << 2)    /* from ring 3 */
#define X86_PF_RSVD  (1ul << 3)    /* a reserved bit was set in an entry */
#define X86_PF_INSTR (1ul << 4)    /* an instruction fetch */
