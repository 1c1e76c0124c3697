"""Draw Quiesce's page-table dumps (/proc/self/pagetable, mm/ptdump.h).

tools/ptdump finds every dump in a serial log (or any text file): the lines
from `ptdump: begin` to `ptdump: end`, with or without the kernel's
`[cN  secs] ` prefix, and a `ptdump: title TEXT` line just before a dump
names it. It writes one self-contained page (HTML with inline SVG, or a
bare SVG): the tree of tables, PGD to PTE, one box per table with its
physical address, the first address it maps and a bar for the entries in
use; huge PMDs as leaves of their own colour; the tables unhooked and not
yet freed (ptcheck's "pending": awaiting their TLB flush, their grace
period, or the RCU callback); and two dumps side by side, with what left
the tree struck through on the left and what came in marked on the right
(a DONTNEED that reclaimed a table, say).

Python standard library only.
"""
import argparse
import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = re.compile(r"^\[c\d+\s+[\d.]+\]\s?")
LEVELS = ("pgd", "pud", "pmd", "pte")
ENTRIES = 512


@dataclass
class Node:
    """One line of a dump: a table, a huge PMD, or a pending table."""
    kind: str                       # pgd pud pmd pte huge huge1g pending
    fields: dict
    depth: int = 0
    words: list = field(default_factory=list)

    @property
    def va(self):
        return self.fields.get("va", 0)

    @property
    def key(self):
        """What identifies the same table in two dumps of one address space."""
        return (self.kind, self.va)


@dataclass
class Dump:
    title: str = ""
    header: dict = field(default_factory=dict)
    end: dict = field(default_factory=dict)
    nodes: list = field(default_factory=list)       # tree order: parents first
    pending: list = field(default_factory=list)
    untracked: bool = False
    lines: list = field(default_factory=list)        # the text, for the page

    def count(self, kind):
        return sum(1 for n in self.nodes if n.kind == kind)


DEPTH = {"pgd": 0, "pud": 1, "pmd": 2, "pte": 3, "huge": 3, "huge1g": 2}


def parse_fields(words):
    """key=value words -> dict; numbers (0x... or decimal) become ints."""
    out = {}
    for w in words:
        if "=" not in w:
            continue
        k, v = w.split("=", 1)
        try:
            out[k] = int(v, 16) if v.startswith("0x") else int(v)
        except ValueError:
            out[k] = v
    return out


def parse_text(text):
    """Every dump in text, in order -> [Dump]. Raises ValueError on a
    dump that is cut off or holds a line the format does not have."""
    dumps, cur, title = [], None, ""
    for raw in text.splitlines():
        line = PREFIX.sub("", raw).rstrip()
        words = line.split()
        if line.startswith("ptdump: title "):
            title = line[len("ptdump: title "):]
        elif line.startswith("ptdump: begin"):
            if cur is not None:
                raise ValueError(f"dump {len(dumps) + 1}: a begin line before its end")
            cur = Dump(title=title, header=parse_fields(words[2:]), lines=[line])
            title = ""
        elif cur is not None:
            cur.lines.append(line)
            if line.startswith("ptdump: end"):
                cur.end = parse_fields(words[2:])
                dumps.append(cur)
                cur = None
            elif words and words[0] in DEPTH:
                cur.nodes.append(Node(words[0], parse_fields(words[1:]), DEPTH[words[0]], words))
            elif words[:2] == ["pending", "untracked"]:
                cur.untracked = True
            elif words and words[0] == "pending":
                cur.pending.append(Node(words[1], parse_fields(words[2:]), 0, words))
            elif line.strip():
                raise ValueError(f"dump {len(dumps) + 1}: unknown line {line!r}")
    if cur is not None:
        raise ValueError(f"dump {len(dumps) + 1}: no 'ptdump: end' line (cut off?)")
    return dumps


# ------------------------------------------------------------------ drawing

BOX_W, BOX_H, COL_GAP, ROW_H = 270, 46, 34, 54
MARGIN, HEAD_H = 16, 64
COLOURS = {
    "pgd": "#dbe7f7", "pud": "#dcefe0", "pmd": "#f5ecd0", "pte": "#f3f3f3",
    "huge": "#f7c98b", "huge1g": "#f7c98b",
    "flush": "#f4a6a6", "gp": "#f7d98b", "callback": "#d9d9d9",
}
NAMES = {"pgd": "PGD", "pud": "PUD table", "pmd": "PMD table", "pte": "PTE table",
         "huge": "huge PMD (2 MiB page)", "huge1g": "huge PUD (1 GiB page)"}
WAIT = {"flush": "TLB flush owed (R1 step 2)",
        "gp": "flushed; waits for grace period {gp}",
        "callback": "grace period over; RCU callback frees it"}


def esc(s):
    return html.escape(str(s), quote=True)


def hexa(v):
    return f"0x{v:x}" if isinstance(v, int) else str(v)


def box(x, y, node, css, lines, fill, used=None):
    """One table as an SVG group: a rectangle, two lines of text and a bar."""
    out = [f'<g class="{css}" data-va="{hexa(node.va)}">',
           f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="5" '
           f'fill="{fill}" stroke="#555"/>']
    for i, text in enumerate(lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        out.append(f'<text x="{x + 8}" y="{y + 16 + 14 * i}"{weight}>{esc(text)}</text>')
    if used is not None:
        width = round((BOX_W - 16) * min(used, ENTRIES) / ENTRIES)
        out.append(f'<rect x="{x + 8}" y="{y + BOX_H - 9}" width="{BOX_W - 16}" height="4" '
                   f'fill="#fff" stroke="#999" stroke-width="0.5"/>')
        out.append(f'<rect class="used" x="{x + 8}" y="{y + BOX_H - 9}" width="{width}" '
                   f'height="4" fill="#3a7"/>')
    out.append("</g>")
    return out


def table_lines(n):
    f = n.fields
    if n.kind in ("huge", "huge1g"):
        return [f"{NAMES[n.kind]}", f"va {hexa(f.get('va'))}  page {hexa(f.get('phys'))} "
                + " ".join(w for w in n.words[1:] if "=" not in w)]
    head = NAMES[n.kind] + ("" if n.kind == "pgd" else f"  va {hexa(f.get('va'))}")
    extra = f", kernel {f['kernel']}" if "kernel" in f else ""
    if "MISMATCH" in n.words:
        extra += f", COUNT {f.get('count')} MISMATCH"
    return [head, f"phys {hexa(f.get('phys'))}  used {f.get('used')}/{ENTRIES}{extra}"]


def draw_tree(dump, x0, y0, marks):
    """The tree of one dump at (x0, y0): connectors and boxes. marks maps a
    node key to an extra CSS class ("gone", "new"). Returns (svg, height)."""
    out, parents = [], {}
    y = y0
    for n in dump.nodes:
        x = x0 + n.depth * (BOX_W + COL_GAP) // 2
        parent = parents.get(n.depth - 1) if n.depth else None
        if parent:
            px, py = parent
            out.append(f'<path class="edge" d="M{px + 10},{py + BOX_H} V{y + BOX_H // 2} '
                       f'H{x}" fill="none" stroke="#888"/>')
        css = f"table {n.kind} {marks.get(n.key, '')}".strip()
        fill = COLOURS[n.kind]
        out += box(x, y, n, css, table_lines(n), fill,
                   None if n.kind.startswith("huge") else n.fields.get("used"))
        if n.key in marks and marks[n.key] == "gone":
            out.append(f'<line class="strike" x1="{x}" y1="{y + BOX_H // 2}" '
                       f'x2="{x + BOX_W}" y2="{y + BOX_H // 2}" stroke="#c00" stroke-width="2"/>')
        parents[n.depth] = (x, y)
        y += ROW_H
    return out, y - y0


def draw_pending(dump, x0, y0):
    """The tables unhooked from this mm and not freed yet, under the tree."""
    if dump.untracked:
        return [f'<text class="untracked" x="{x0}" y="{y0 + 14}">pending tables not tracked: '
                'boot with ptcheck to see those awaiting a flush or a grace period</text>'], 24
    if not dump.pending:
        return [f'<text x="{x0}" y="{y0 + 14}">no table awaits its flush or grace period</text>'], 24
    out = [f'<text x="{x0}" y="{y0 + 14}" font-weight="bold">unhooked, not freed yet '
           f'(last grace period completed: {dump.header.get("rcu_gp")})</text>']
    y = y0 + 24
    for n in dump.pending:
        wait = n.fields.get("wait", "")
        level = {"pte": "PTE table", "upper": "PMD/PUD table", "huge": "huge PMD"}.get(n.kind, n.kind)
        lines = [f"{level}  va {hexa(n.va)}  phys {hexa(n.fields.get('phys'))}",
                 WAIT.get(wait, wait).format(gp=n.fields.get("gp"))]
        out += box(x0, y, n, f"pending wait-{wait}", lines, COLOURS.get(wait, "#eee"))
        y += ROW_H
    return out, y - y0


def summary(dump):
    h, e = dump.header, dump.end
    huge = e.get("huge")
    return (f"pid {h.get('pid')} {h.get('comm', '')}: {e.get('tables')} tables, "
            f"{huge} huge PMD{'' if huge == 1 else 's'}, {e.get('pending')} pending, "
            f"raced {e.get('raced')}, ptcheck {h.get('ptcheck')}")


def draw_dump(dump, x0, y0, marks, label):
    out = [f'<text class="title" x="{x0}" y="{y0 + 16}" font-size="15" font-weight="bold">'
           f'{esc(label)}</text>',
           f'<text x="{x0}" y="{y0 + 36}">{esc(summary(dump))}</text>']
    tree, th = draw_tree(dump, x0, y0 + HEAD_H, marks)
    pend, ph = draw_pending(dump, x0, y0 + HEAD_H + th + 10)
    return out + tree + pend, HEAD_H + th + 10 + ph


def tree_width(dump):
    deepest = max((n.depth for n in dump.nodes), default=0)
    return deepest * (BOX_W + COL_GAP) // 2 + BOX_W


def compare_marks(before, after):
    """Keys of tables only in before ("gone") and only in after ("new")."""
    b = {n.key for n in before.nodes}
    a = {n.key for n in after.nodes}
    return {k: "gone" for k in b - a}, {k: "new" for k in a - b}


# Marks of a comparison, inside the SVG so that a bare SVG shows them too.
SVG_STYLE = ".new > rect:first-of-type { stroke: #1a1; stroke-width: 3; } .gone { opacity: .55; }"


def svg(dumps, labels, compare=False):
    """One SVG: each dump below the previous one, or two side by side."""
    parts, width, height = [], 0, MARGIN
    if compare:
        gone, new = compare_marks(*dumps)
        x = MARGIN
        for d, label, marks in zip(dumps, labels, (gone, new)):
            body, h = draw_dump(d, x, MARGIN, marks, label)
            parts.append(f'<g class="dump">{"".join(body)}</g>')
            x += max(tree_width(d), BOX_W + 200) + 3 * COL_GAP
            height = max(height, MARGIN + h)
        width = x
    else:
        for d, label in zip(dumps, labels):
            body, h = draw_dump(d, MARGIN, height, {}, label)
            parts.append(f'<g class="dump">{"".join(body)}</g>')
            height += h + 2 * MARGIN
            width = max(width, MARGIN + max(tree_width(d), BOX_W + 300) + MARGIN)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + MARGIN}" '
            f'viewBox="0 0 {width} {height + MARGIN}" font-family="monospace" font-size="11">'
            f'<style>{SVG_STYLE}</style>'
            f'<rect width="100%" height="100%" fill="white"/>' + "".join(parts) + "</svg>")


LEGEND = [("pgd", "PGD"), ("pud", "PUD table"), ("pmd", "PMD table"), ("pte", "PTE table"),
          ("huge", "huge PMD: a 2 MiB page, no PTE table"),
          ("flush", "unhooked, TLB flush owed"), ("gp", "flushed, waiting for a grace period"),
          ("callback", "grace period over, not freed yet")]


def page(dumps, labels, compare, source):
    """A self-contained HTML page: legend, the drawing, each dump's text."""
    legend = "".join(f'<span class="key"><span class="swatch" style="background:{COLOURS[k]}">'
                     f'</span>{esc(t)}</span>' for k, t in LEGEND)
    texts = "".join(f"<details><summary>{esc(l)}: the dump as text</summary>"
                    f"<pre>{esc(chr(10).join(d.lines))}</pre></details>"
                    for d, l in zip(dumps, labels))
    note = ("<p>Left: before; right: after. A table struck through in red left the tree; "
            "one outlined in green came in.</p>" if compare else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Quiesce page tables: {esc(source)}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
.key {{ margin-right: 1.2em; white-space: nowrap; }}
.swatch {{ display: inline-block; width: 1em; height: 1em; border: 1px solid #555;
          vertical-align: middle; margin-right: .3em; }}
pre {{ background: #f6f6f6; padding: .5em; }}
</style></head>
<body>
<h1>Page tables from {esc(source)}</h1>
<p>{legend}</p>
{note}
{svg(dumps, labels, compare)}
{texts}
</body></html>
"""


def labels_of(dumps, picked):
    return [f"dump {i}" + (f": {dumps[i - 1].title}" if dumps[i - 1].title else "")
            for i in picked]


def choose(dumps, args):
    """-> (dump indices, 1-based, compare?) from --pick/--compare, or a default:
    the last before/after pair by title if there is one, else every dump."""
    if args.compare:
        picked = [int(i) for i in args.compare.split(",")]
        if len(picked) != 2:
            raise ValueError("--compare takes two dump numbers: A,B")
        return picked, True
    if args.pick:
        return [int(i) for i in args.pick.split(",")], False
    for i in range(len(dumps) - 1, 0, -1):
        if dumps[i - 1].title.startswith("before") and dumps[i].title.startswith("after"):
            return [i, i + 1], True
    return list(range(1, len(dumps) + 1)), False


def main(argv=None):
    p = argparse.ArgumentParser(prog="ptdump", description=__doc__.split("\n\n")[0])
    p.add_argument("log", help="serial log or file holding dumps ('-': standard input)")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--svg", action="store_true", help="a bare SVG instead of an HTML page")
    p.add_argument("--list", action="store_true", help="list the dumps found and stop")
    p.add_argument("--pick", help="dumps to draw, one below the other: 1,3")
    p.add_argument("--compare", help="two dumps side by side: A,B (default: the last "
                   "'before'/'after' pair of titles)")
    args = p.parse_args(argv)
    text = sys.stdin.read() if args.log == "-" else Path(args.log).read_text(errors="replace")
    try:
        dumps = parse_text(text)
        if not dumps:
            raise ValueError("no 'ptdump: begin' ... 'ptdump: end' in it")
        if args.list:
            for i, d in enumerate(dumps, 1):
                print(f"{i}: {d.title or '(no title)'}: {summary(d)}")
            return 0
        picked, compare = choose(dumps, args)
        if any(not 1 <= i <= len(dumps) for i in picked):
            raise ValueError(f"there are {len(dumps)} dumps")
    except ValueError as e:
        print(f"ptdump: {args.log}: {e}", file=sys.stderr)
        return 1
    chosen = [dumps[i - 1] for i in picked]
    labels = labels_of(dumps, picked)
    out = svg(chosen, labels, compare) if args.svg else page(chosen, labels, compare, args.log)
    if args.output:
        Path(args.output).write_text(out)
    else:
        sys.stdout.write(out)
    return 0
