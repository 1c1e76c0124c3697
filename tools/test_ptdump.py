"""Tests of tools/ptdump (ptdump_view.py): it finds the dumps in a serial
log, and the page it draws holds one box per table, huge PMD and pending
table, with a comparison's marks where the tables differ. Where a headless
browser is installed, the page is also opened and photographed. Run with
`tools/test-suite --selftest`."""
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import ptdump_view

# A serial log as ptdump_race prints it (prefixes and all), with a huge PMD
# and a pending table of each kind added by hand.
LOG = """\
[c0    0.100000] Quiesce ready: 4 CPUs
ptdump: title before: 64 pages in the table at 0x200000
ptdump: begin pid=6 comm=ptdump_race ptcheck=on rcu_gp=4
pgd phys=0x532000 used=2 kernel=3
  pud phys=0x533000 va=0x0 used=1
    pmd phys=0x1fe000 va=0x0 used=3
        pte phys=0x1f5f2000 va=0x200000 used=64
        pte phys=0x1ff000 va=0x400000 used=8
        huge phys=0x3e00000 va=0x40000000 rw
  pud phys=0x597000 va=0x7f8000000000 used=1
    pmd phys=0x53c000 va=0x7fffc0000000 used=1
        pte phys=0x53d000 va=0x7fffffe00000 used=2
pending pte phys=0x61c000 va=0x7ffff7a00000 wait=flush
ptdump: end tables=8 huge=1 pending=1 raced=0 truncated=0
[c1    0.200000] some other kernel line
ptdump: title after: MADV_DONTNEED of all of them
ptdump: begin pid=6 comm=ptdump_race ptcheck=on rcu_gp=5
pgd phys=0x532000 used=2 kernel=3
  pud phys=0x533000 va=0x0 used=1
    pmd phys=0x1fe000 va=0x0 used=2
        pte phys=0x1ff000 va=0x400000 used=8
        huge phys=0x3e00000 va=0x40000000 rw
  pud phys=0x597000 va=0x7f8000000000 used=1
    pmd phys=0x53c000 va=0x7fffc0000000 used=2
        pte phys=0x777000 va=0x7fffffc00000 used=1
        pte phys=0x53d000 va=0x7fffffe00000 used=2
pending pte phys=0x1f5f2000 va=0x200000 wait=gp gp=6
pending pte phys=0x61c000 va=0x7ffff7a00000 wait=callback gp=5
ptdump: end tables=8 huge=1 pending=2 raced=1 truncated=0
"""

SVG_NS = "{http://www.w3.org/2000/svg}"


def groups(svg_text, css):
    """The <g> elements whose class list holds every word of css."""
    root = ET.fromstring(svg_text)
    want = set(css.split())
    return [g for g in root.iter(SVG_NS + "g") if want <= set(g.get("class", "").split())]


class ParseTest(unittest.TestCase):
    def test_finds_both_dumps_through_the_prefixes(self):
        before, after = ptdump_view.parse_text(LOG)
        self.assertEqual(before.title, "before: 64 pages in the table at 0x200000")
        self.assertEqual(before.header["pid"], 6)
        self.assertEqual(before.count("pte"), 3)
        self.assertEqual(before.count("huge"), 1)
        self.assertEqual(len(after.pending), 2)
        self.assertEqual(after.end["raced"], 1)
        self.assertEqual(after.pending[0].fields["wait"], "gp")

    def test_a_dump_cut_off_is_an_error(self):
        cut = LOG[:LOG.index("ptdump: end tables=8 huge=1 pending=1")]
        with self.assertRaisesRegex(ValueError, "no 'ptdump: end'"):
            ptdump_view.parse_text(cut)

    def test_an_unknown_line_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "unknown line"):
            ptdump_view.parse_text(LOG.replace("huge phys=0x3e00000 va=0x40000000 rw",
                                               "giant phys=0x1", 1))


class DrawTest(unittest.TestCase):
    def setUp(self):
        self.dumps = ptdump_view.parse_text(LOG)

    def test_one_box_per_table_huge_pmd_and_pending_table(self):
        text = ptdump_view.svg(self.dumps[:1], ["before"])
        self.assertEqual(len(groups(text, "table pgd")), 1)
        self.assertEqual(len(groups(text, "table pud")), 2)
        self.assertEqual(len(groups(text, "table pmd")), 2)
        self.assertEqual(len(groups(text, "table pte")), 3)
        self.assertEqual(len(groups(text, "table huge")), 1)
        self.assertEqual(len(groups(text, "pending wait-flush")), 1)
        # The bar of a PTE table is as long as its share of 512 entries.
        bars = [r for g in groups(text, "table pte") for r in g if r.get("class") == "used"]
        self.assertEqual(sorted(int(r.get("width")) for r in bars),
                         sorted(round((ptdump_view.BOX_W - 16) * u / 512) for u in (64, 8, 2)))

    def test_side_by_side_marks_what_left_and_what_came(self):
        text = ptdump_view.svg(self.dumps, ["before", "after"], compare=True)
        self.assertEqual(len(groups(text, "dump")), 2)
        gone = groups(text, "table gone")
        self.assertEqual([g.get("data-va") for g in gone], ["0x200000"])   # reclaimed
        new = groups(text, "table new")
        self.assertEqual([g.get("data-va") for g in new], ["0x7fffffc00000"])
        self.assertEqual(len(groups(text, "pending wait-gp")), 1)
        self.assertEqual(len(groups(text, "pending wait-callback")), 1)

    def test_the_page_is_self_contained(self):
        page = ptdump_view.page(self.dumps, ["before", "after"], True, "test.log")

        class Refs(HTMLParser):
            refs = []

            def handle_starttag(self, tag, attrs):
                self.refs += [v for k, v in attrs if k in ("src", "href")]

        parser = Refs()
        parser.feed(page)
        self.assertEqual(parser.refs, [])            # no script, style sheet or image to fetch
        self.assertIn("<svg", page)
        self.assertIn("ptdump: end tables=8 huge=1 pending=2", page)   # the text is there too
        svg_text = page[page.index("<svg"):page.index("</svg>") + 6]
        self.assertEqual(len(groups(svg_text, "table")), 18)

    def test_command_line_picks_the_before_after_pair(self):
        with tempfile.TemporaryDirectory() as d:
            log, out = Path(d, "serial.log"), Path(d, "page.svg")
            log.write_text("noise\n" + LOG)
            self.assertEqual(ptdump_view.main([str(log), "--svg", "-o", str(out)]), 0)
            self.assertEqual(len(groups(out.read_text(), "dump")), 2)
            self.assertEqual(ptdump_view.main([str(log), "--pick", "3"]), 1)   # no third dump


def browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserTest(unittest.TestCase):
    @unittest.skipUnless(browser(), "no headless browser (chromium) installed")
    def test_a_browser_renders_the_page(self):
        dumps = ptdump_view.parse_text(LOG)
        with tempfile.TemporaryDirectory() as d:
            page, shot = Path(d, "page.html"), Path(d, "shot.png")
            page.write_text(ptdump_view.page(dumps, ["before", "after"], True, "test.log"))
            subprocess.run([browser(), "--headless", "--disable-gpu", "--no-sandbox",
                            f"--user-data-dir={d}/profile", f"--screenshot={shot}",
                            "--window-size=1600,1000", page.as_uri()],
                           capture_output=True, timeout=120, check=False)
            data = shot.read_bytes() if shot.exists() else b""
            self.assertTrue(data.startswith(b"\x89PNG"), "no PNG screenshot written")
            self.assertGreater(len(data), 10000)     # a picture, not a blank page
