"""Unit tests of tools/lab (lab_runner.py) that need no QEMU: how marked
regions are found and cut, and that every lab of tools/labs.py pairs up
with the markers in the kernel. Run with `tools/test-suite --selftest`."""
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import lab_runner
import labs

SOURCE = """\
int a;
/* LAB outer: begin */
void f(void)
{
	/* LAB inner: begin */
	g();
	/* LAB inner: end */
}
/* LAB outer: end */
	/* LAB inner: begin */
	h();
	/* LAB inner: end */
"""


class RegionTest(unittest.TestCase):
    def test_nested_regions_go_with_the_outer_one(self):
        lines = SOURCE.splitlines(keepends=True)
        self.assertEqual(lab_runner.regions(lines, "outer"), [(1, 8)])
        self.assertEqual(lab_runner.regions(lines, "inner"), [(4, 6), (9, 11)])
        self.assertEqual(lab_runner.regions(lines, "other"), [])

    def test_unbalanced_markers_are_an_error(self):
        with self.assertRaisesRegex(ValueError, "never ends"):
            lab_runner.regions(["/* LAB x: begin */\n"], "x", "f.c")
        with self.assertRaisesRegex(ValueError, "without its begin"):
            lab_runner.regions(["/* LAB x: end */\n"], "x", "f.c")
        with self.assertRaisesRegex(ValueError, "without its begin"):     # crossed
            lab_runner.regions(["/* LAB x: begin */\n", "/* LAB y: begin */\n",
                                "/* LAB x: end */\n", "/* LAB y: end */\n"], "x", "f.c")

    def test_cut_replaces_each_region_by_its_stub(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            (root / "f.c").write_text(SOURCE)
            stubs = {"inner": [("f.c", "\tSTUB1();\n"), ("f.c", "\tSTUB2();\n")],
                     "outer": [("f.c", "void f(void) { STUB(); }\n")]}
            with mock.patch.object(labs, "STUBS", stubs), \
                    mock.patch.object(lab_runner, "repo_files", lambda r: ["f.c"]):
                inner = lab_runner.cut(root, "inner")["f.c"]
                outer = lab_runner.cut(root, "outer")["f.c"]
                self.assertIn("\tSTUB1();\n}\n/* LAB outer: end */\n\tSTUB2();\n", inner)
                self.assertNotIn("g();", inner)
                self.assertEqual(outer, "int a;\nvoid f(void) { STUB(); }\n"
                                 "\t/* LAB inner: begin */\n\th();\n\t/* LAB inner: end */\n")
                stubs["inner"].pop()
                with self.assertRaisesRegex(ValueError, "2 region.* 1 stub"):
                    lab_runner.cut(root, "inner")


class KernelMarkersTest(unittest.TestCase):
    def test_every_lab_pairs_with_the_kernel_source(self):
        """Each lab's stubs match its regions in the real source, and a
        lab's cut leaves no marker of that lab behind."""
        for lab in labs.LABS:
            with self.subTest(lab=lab["name"]):
                bug = "no-r4" if lab["name"] == "bughunt" else None
                new = lab_runner.cut(lab_runner.ROOT, lab["name"], bug)
                self.assertTrue(new)
                for path, text in new.items():
                    self.assertNotIn(f"LAB {lab['name']}: begin", text, path)
                self.assertTrue((lab_runner.ROOT / lab["doc"]).is_file(), lab["doc"])
