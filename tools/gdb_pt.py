"""gdb commands that read Quiesce's page tables (loaded by tools/gdbinit).

    pt-walk ADDR [MM]   the 4-level walk of a user address: each entry read
                        on the way down, decoded, with the table it leads
                        to and where the entry lives (to `watch -l` it);
                        for a PTE table, its pt_count and whether its
                        split lock is held
    pt-tables [MM]      every populated user table of an mm, one line each
                        (what /proc/self/pagetable prints, read from gdb)

MM is any expression for a `struct mm_struct *` (`mm`, `tlb->mm`,
`vma->vm_mm`); without it, the mm loaded on the CPU gdb is looking at
(its PGD is found from CR3). The tables
are read through the direct map, as the kernel reads them, so this works
at any breakpoint. See docs/gdb.md for a walk-through.
"""
import gdb

DIRECT_MAP = 0xffff888000000000
ADDR_MASK = 0x000ffffffffff000
PMD_PAGE_MASK = ADDR_MASK & ~((1 << 21) - 1)
LEVELS = (("PGD", 39), ("PUD", 30), ("PMD", 21), ("PTE", 12))
FLAGS = ((0, "P"), (1, "RW"), (2, "US"), (5, "A"), (6, "D"), (7, "PS"), (8, "G"), (63, "NX"))


def read_u64(vaddr):
    mem = gdb.selected_inferior().read_memory(vaddr, 8)
    return int.from_bytes(bytes(mem), "little")


def decode(entry):
    flags = [name for bit, name in FLAGS if entry >> bit & 1]
    return "|".join(flags) or "-"


def pgd_of(mm_expr):
    """The PGD's physical address: from an mm expression, or from CR3."""
    if mm_expr:
        pgd = int(gdb.parse_and_eval(f"(unsigned long)(({mm_expr})->pgd)"))
        return pgd - DIRECT_MAP
    return int(gdb.parse_and_eval("$cr3")) & ADDR_MASK


def read_table(phys):
    """The 512 entries of the table page at phys, in one read."""
    mem = bytes(gdb.selected_inferior().read_memory(DIRECT_MAP + phys, 4096))
    return [int.from_bytes(mem[i:i + 8], "little") for i in range(0, 4096, 8)]


def page_info(phys):
    """pt_count and the split lock of the table page at phys (its struct page)."""
    try:
        page = gdb.parse_and_eval(f"mem_map[{phys >> 12}]")
        count = int(page["pt_count"])
        ptl = page["ptl"]
        held = int(ptl["owner"]) != int(ptl["next"])
    except gdb.error:
        return ""
    lock = f"HELD by cpu {int(ptl['holder_cpu'])}" if held else "free"
    return f"  (struct page: pt_count {count}, ptl {lock})"


class PtWalk(gdb.Command):
    """pt-walk ADDR [MM]: walk the page tables for a user address."""

    def __init__(self):
        super().__init__("pt-walk", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if not args:
            raise gdb.GdbError("usage: pt-walk ADDR [MM]")
        addr = int(gdb.parse_and_eval(f"(unsigned long)({args[0]})"))
        table = pgd_of(" ".join(args[1:]) if len(args) > 1 else None)
        gdb.write(f"walk of {addr:#x}, PGD at phys {table:#x}\n")
        for level, shift in LEVELS:
            index = addr >> shift & 511
            where = DIRECT_MAP + table + 8 * index
            entry = read_u64(where)
            gdb.write(f"  {level}[{index:3}] at {where:#x}: {entry:#018x} {decode(entry)}")
            if entry == 0:
                gdb.write("  none: nothing mapped here\n")
                return
            if not entry & 1:
                gdb.write("  not present (PROT_NONE, or a huge PMD being split)\n")
                return
            if level in ("PUD", "PMD") and entry >> 7 & 1:
                size = "1 GiB" if level == "PUD" else "2 MiB"
                page = entry & PMD_PAGE_MASK
                gdb.write(f"  -> a {size} page at phys {page:#x} (huge: no table below)\n")
                return
            nxt = entry & ADDR_MASK
            if level == "PTE":
                gdb.write(f"  -> page at phys {nxt:#x}, data at {DIRECT_MAP + nxt + (addr & 4095):#x}\n")
                return
            below = LEVELS[[l for l, _ in LEVELS].index(level) + 1][0]
            info = page_info(nxt) if below == "PTE" else ""
            gdb.write(f"  -> {below} table at phys {nxt:#x}{info}\n")
            table = nxt


class PtTables(gdb.Command):
    """pt-tables [MM]: every populated user page table, one line each."""

    def __init__(self):
        super().__init__("pt-tables", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        pgd = pgd_of(arg.strip() or None)
        gdb.write(f"pgd phys={pgd:#x}\n")
        self.walk(pgd, 0, 0, 256)

    def walk(self, table, depth, base, entries=512):
        """Entries of a table at depth 0 (PGD), 1 (PUD) or 2 (PMD)."""
        shift = LEVELS[depth][1]
        for i, entry in enumerate(read_table(table)[:entries]):
            if not entry & 1:
                continue
            va = base + (i << shift)
            indent = "  " * (depth + 1)
            if depth > 0 and entry >> 7 & 1:
                gdb.write(f"{indent}huge va={va:#x} phys={entry & PMD_PAGE_MASK:#x}\n")
                continue
            nxt = entry & ADDR_MASK
            used = sum(1 for e in read_table(nxt) if e)
            name = LEVELS[depth + 1][0].lower()
            info = page_info(nxt) if name == "pte" else ""
            gdb.write(f"{indent}{name} phys={nxt:#x} va={va:#x} used={used}{info}\n")
            if depth < 2:
                self.walk(nxt, depth + 1, va)


PtWalk()
PtTables()
