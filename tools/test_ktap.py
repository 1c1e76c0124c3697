"""Unit tests for ktap.py; run with `tools/test-suite --selftest`."""
import unittest

from ktap import FAIL, OK, SKIP, parse, strip_prefix


def log(text):
    """Indented test text -> log lines with the kernel's [cN secs] prefix."""
    lines = text.strip("\n").split("\n")
    return [f"[c{i % 4}   0.{i:06d}] {line}" for i, line in enumerate(lines)]


def summary(results):
    return [(r.name, r.status) for r in results]


class KtapTest(unittest.TestCase):
    def test_prefix(self):
        self.assertEqual(strip_prefix("[c12  15.000001]     ok 1 x\n"), "    ok 1 x")
        self.assertEqual(strip_prefix("Quiesce: boot error"), "Quiesce: boot error")

    def test_flat(self):
        results = parse(log("""
smp: 4 CPUs online
KTAP version 1
1..3
ok 1 buddy_every_order
# lost 3 increments
not ok 2 spinlock_contention
ok 3 slab_grow # SKIP needs 2 CPUs
quiesce: poweroff status=1
"""), "s")
        self.assertEqual(summary(results), [("s/buddy_every_order", OK),
                                            ("s/spinlock_contention", FAIL),
                                            ("s/slab_grow", SKIP)])
        self.assertEqual(results[1].diagnostics, ["lost 3 increments"])
        self.assertEqual(results[2].reason, "needs 2 CPUs")

    def test_noise_between_tests(self):
        results = parse(["GRUB noise", "\x1b[2J?"] + log("""
KTAP version 1
1..2
ok 1 - a
rcu: grace period 7 ended
ok 2 b # SKIP
"""), "s")
        self.assertEqual(summary(results), [("s/a", OK), ("s/b", SKIP)])

    def test_not_ok_skip_is_a_failure(self):
        results = parse(log("""
KTAP version 1
1..1
not ok 1 b # SKIP needs 2 CPUs
"""), "s")
        self.assertEqual(summary(results), [("s/b", FAIL)])

    def test_nested(self):
        results = parse(log("""
KTAP version 1
1..2
    KTAP version 1
    # Subtest: buddy
    1..2
    ok 1 split
    # freed twice
    not ok 2 merge
not ok 1 buddy
ok 2 tlb
"""), "s")
        self.assertEqual(summary(results), [("s/buddy/split", OK),
                                            ("s/buddy/merge", FAIL),
                                            ("s/tlb", OK)])
        self.assertEqual(results[1].diagnostics, ["freed twice"])

    def test_parent_fails_alone(self):
        results = parse(log("""
KTAP version 1
1..1
    1..1
    ok 1 x
# parent cleanup failed
not ok 1 p
"""), "s")
        self.assertEqual(summary(results), [("s/p/x", OK), ("s/p", FAIL)])
        self.assertEqual(results[1].diagnostics, ["parent cleanup failed"])

    def test_nested_plan_mismatch(self):
        results = parse(log("""
KTAP version 1
1..1
    1..3
    ok 1 x
ok 1 p
"""), "s")
        self.assertIn(("s/p: plan says 3, got 1", FAIL), summary(results))

    def test_log_ends_early(self):
        results = parse(log("""
KTAP version 1
1..12
ok 1 a
ok 2 b
"""), "bios")
        self.assertEqual(summary(results)[-1], ("bios: plan says 12, got 2", FAIL))

    def test_log_ends_inside_subtest(self):
        results = parse(log("""
KTAP version 1
1..2
ok 1 a
    # Subtest: rcu
    1..2
    ok 1 gp
"""), "s")
        names = [name for name, status in summary(results) if status == FAIL]
        self.assertEqual(sorted(names), ["s/rcu: plan says 2, got 1",
                                         "s: a subtest has no result line",
                                         "s: plan says 2, got 1"])
        self.assertIn(("s/rcu/gp", OK), summary(results))

    def test_missing_plan_and_duplicate(self):
        results = parse(log("KTAP version 1\nok 1 a\nok 1 b"), "s")
        failed = [r.name for r in results if r.status == FAIL]
        self.assertEqual(failed, ["s: duplicate test number 1", "s: no plan line (1..N)"])

    def test_too_many(self):
        results = parse(log("KTAP version 1\n1..1\nok 1 a\nok 2 b"), "s")
        self.assertIn(("s: plan says 1, got 2", FAIL), summary(results))

    def test_no_ktap(self):
        results = parse(log("panic: nothing"), "s")
        self.assertEqual(summary(results), [("s: no 'KTAP version 1' in the log", FAIL)])

    def test_second_block_ends_first(self):
        results = parse(log("KTAP version 1\n1..1\nok 1 a\nKTAP version 1\n1..1\nnot ok 1 z"), "s")
        self.assertEqual(summary(results), [("s/a", OK)])

    def test_hash_in_name_is_not_a_directive(self):
        results = parse(log("KTAP version 1\n1..1\nok 1 a # b"), "s")
        self.assertEqual(summary(results), [("s/a # b", OK)])


if __name__ == "__main__":
    unittest.main()
