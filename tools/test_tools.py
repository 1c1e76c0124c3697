"""Unit tests for qemu_run.py and suite_runner.py that need no QEMU;
run with `tools/test-suite --selftest`."""
import io
import sys
import tempfile
import time
import unittest
from pathlib import Path
from unittest import mock

import ktap
import qemu_run
import run_disk
import suite_runner
from ktap import FAIL, OK, SKIP
from qemu_run import Console, Options, RunResult


def fake_run(text, status=None, qemu_exit=None, hung=False):
    """A RunResult as if QEMU had printed `text`."""
    lines = [(0.1 * i, line) for i, line in enumerate(text.strip().split("\n"))]
    exit_ = None if hung else qemu_exit
    status_, poweroff, message = qemu_run.verdict(lines, not hung, exit_, 5)
    return RunResult(status_, lines, exit_, poweroff, hung, message)


class QemuRunTest(unittest.TestCase):
    def test_grub_quote(self):
        self.assertEqual(run_disk.grub_quote("ktest=all"), "ktest=all")
        self.assertEqual(run_disk.grub_quote("a$b"), "'a$b'")
        self.assertEqual(run_disk.grub_quote("it's"), "'it'\\''s'")

    def test_run_config(self):
        cfg = run_disk.run_config("ktest  smp=2", ["/x/init.elf", "/y/t=prog a"])
        self.assertEqual(cfg.splitlines(), [
            "multiboot2 ($root)/boot/quiesce.elf ktest smp=2",
            "module2 ($qrun)/mod0 init.elf",
            "module2 ($qrun)/mod1 prog a",
            "boot"])
        self.assertTrue(run_disk.run_config("", []).startswith(
            "multiboot2 ($root)/boot/quiesce.elf\n"))

    def test_clean_firmware_noise(self):
        raw = b"\x1b[0m\x1b[30m\x1b[=3h\x1b[01;01H\rBooting `Quiesce'\r"
        self.assertEqual(qemu_run.clean(raw), "Booting `Quiesce'")

    def test_console_splits_lines(self):
        console = Console(Options(quiet=True), start=0)
        console.feed(b"[c0   0.1] one\r\n[c0   0.2] tw")
        console.feed(b"o\nthree")
        console.close()
        self.assertEqual([t for _, t in console.lines],
                         ["[c0   0.1] one", "[c0   0.2] two", "three"])

    def test_verdicts(self):
        self.assertEqual(fake_run("quiesce: poweroff status=3", qemu_exit=1).status, 3)
        run = fake_run("x\n[c1  1.0] quiesce: poweroff status=0\n", qemu_exit=1)
        self.assertEqual((run.status, run.poweroff), (0, 0))
        run = fake_run("Quiesce: boot error", qemu_exit=5)
        self.assertEqual((run.status, run.debug_exit), (125, 2))
        self.assertIn("status 5", run.message)
        run = fake_run("[c0   0.1] waiting", hung=True)
        self.assertEqual((run.status, run.hung), (124, True))

    def test_time_to(self):
        run = fake_run("a\nsmp: 4 CPUs online\nsmp: 4 CPUs online")
        self.assertAlmostEqual(run.time_to(r"smp: \d+ CPUs"), 0.1)
        self.assertIsNone(run.time_to("nope"))

    def test_accel_args(self):
        self.assertEqual(qemu_run.Accel("tcg", "").args("qemu32")[-1], "qemu32")
        self.assertIn("tcg,thread=multi", qemu_run.Accel("tcg", "").args(None))
        self.assertEqual(qemu_run.Accel("kvm", "").args(None),
                         ["-accel", "kvm", "-cpu", "host"])


# Stand-ins for QEMU in the accelerator probe: each is what a machine's
# QEMU did under -accel kvm on some machine we met.
STAND_INS = {
    "works": 'print("[c0   0.1] quiesce: poweroff status=0", flush=True)\n'
             'sys.exit(1)',
    "aborts": 'print("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69",'
              ' file=sys.stderr)\nsys.exit(1)',
    "hangs": 'time.sleep(60)',
}


class AccelProbeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.iso = self.dir / "quiesce.iso"
        self.iso.write_bytes(b"")
        patch = mock.patch.object(qemu_run, "kvm_openable", return_value=True)
        patch.start()
        self.addCleanup(patch.stop)
        self.addCleanup(self.tmp.cleanup)

    def choose(self, behaviour, probe_timeout=5.0):
        qemu = self.dir / f"qemu-{behaviour}"
        qemu.write_text("#!/usr/bin/env python3\nimport sys, time\n"
                        + STAND_INS[behaviour] + "\n")
        qemu.chmod(0o755)
        probe = lambda iso: qemu_run.probe_kvm(iso, timeout=probe_timeout)
        with mock.patch.object(qemu_run, "QEMU", str(qemu)):
            return qemu_run.choose_accel(self.iso, "auto", probe=probe)

    def test_probe_works(self):
        accel = self.choose("works")
        self.assertEqual(accel.name, "kvm")

    def test_probe_aborts(self):
        accel = self.choose("aborts")
        self.assertEqual(accel.name, "tcg")
        self.assertIn("KVM present but not working", accel.why)
        self.assertIn("failed to set MSR 0x10a", accel.why)

    def test_probe_hangs(self):
        start = time.monotonic()
        accel = self.choose("hangs", probe_timeout=1.0)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(accel.name, "tcg")
        self.assertIn("hung for 1 s and printed nothing", accel.why)

    def test_answer_is_cached(self):
        self.assertEqual(self.choose("aborts").name, "tcg")
        accel = self.choose("aborts")      # same stand-in path: from the cache
        self.assertIn("cached", accel.why)
        self.assertEqual(accel.name, "tcg")

    def test_settings(self):
        def no_probe(iso):
            raise AssertionError("probed")
        self.assertEqual(qemu_run.choose_accel(self.iso, "tcg", probe=no_probe).name, "tcg")
        self.assertEqual(qemu_run.choose_accel(self.iso, "kvm", probe=no_probe).name, "kvm")
        with self.assertRaises(ValueError):
            qemu_run.choose_accel(self.iso, "xen")
        with mock.patch.object(qemu_run, "kvm_openable", return_value=False):
            accel = qemu_run.choose_accel(self.iso, "auto", probe=no_probe)
            self.assertEqual((accel.name, accel.why), ("tcg", "using TCG (no usable /dev/kvm)"))


def suite(**keys):
    return suite_runner.complete(dict(name="t", **keys))


def outcome(results):
    return [(r.name, r.status) for r in results]


KTAP_LOG = """
[c0   0.1] smp: 4 CPUs online
[c0   0.2] KTAP version 1
[c0   0.2] 1..2
[c1   0.3] ok 1 a
[c0   0.4] not ok 2 b
[c0   0.5] quiesce: poweroff status=1
"""


class CheckTest(unittest.TestCase):
    def test_ktap_suite(self):
        results = suite_runner.check(suite(ktap=True, log_has=["^smp: 4 CPUs"]),
                                     fake_run(KTAP_LOG, qemu_exit=3))
        self.assertEqual(outcome(results), [("t/a", OK), ("t/b", FAIL),
                                            ("t/status 1", OK),
                                            ('t/log has "^smp: 4 CPUs"', OK)])

    def test_ktap_hang(self):
        run = fake_run("[c0   0.2] KTAP version 1\n[c0   0.2] 1..2\n[c0   0.3] ok 1 a",
                       hung=True)
        results = suite_runner.check(suite(ktap=True), run)
        self.assertEqual(outcome(results), [("t/a", OK), ("t: plan says 2, got 1", FAIL),
                                            ("t/status 0", FAIL)])
        self.assertIn("hung", results[-1].diagnostics[0])
        self.assertTrue(suite_runner.crashed(run))

    def test_log_checks(self):
        run = fake_run("[c0   1.0] #PF at RIP 0x10\n[c0   1.1] quiesce: poweroff status=125")
        results = suite_runner.check(suite(status=125, log_has=["#PF", "CR2"],
                                           log_lacks=["panic"]), run)
        self.assertEqual(outcome(results), [("t/status 125", OK),
                                            ('t/log has "#PF"', OK),
                                            ('t/log has "CR2"', FAIL),
                                            ('t/log lacks "panic"', OK)])

    def test_no_poweroff_line_allowed(self):
        run = fake_run("Quiesce: boot error: CPU has no long mode", qemu_exit=5)
        strict = suite_runner.check(suite(status="nonzero"), run)
        self.assertEqual(strict[0].status, FAIL)
        lenient = suite_runner.check(suite(status="nonzero", poweroff_line=False), run)
        self.assertEqual(lenient[0].status, OK)

    def test_misspelt_key(self):
        with self.assertRaises(SystemExit):
            suite(log_hass=["x"])

    def test_show_prints_tail_on_crash(self):
        run = fake_run("boot\n[c0   1.0] #UD", qemu_exit=0)
        results = suite_runner.check(suite(), run)
        out = io.StringIO()
        with mock.patch("sys.stdout", out):
            suite_runner.show(suite(), results, run, 1.0)
        self.assertIn("FAIL t/status 0", out.getvalue())
        self.assertIn("| [c0   1.0] #UD", out.getvalue())


# init's report of the bundled programs, as the user-* suites see it.
USER_LOG = """
[c0   0.2] KTAP version 1
[c0   0.2] 1..2
[c1   0.3] ok 1 hello
[c0   0.4] ok 2 segfault
[c0   0.5] quiesce: poweroff status=0
"""


class ProgramAccountingTest(unittest.TestCase):
    def check(self, programs, log=USER_LOG):
        return outcome(suite_runner.check(suite(ktap=True, programs=True),
                                          fake_run(log, qemu_exit=1), programs))

    def test_all_reported(self):
        self.assertEqual(self.check(["hello", "segfault"]), [
            ("t/hello", OK), ("t/segfault", OK), ("t/status 0", OK),
            ("t/all 2 bundled programs reported", OK)])

    def test_program_never_reported(self):
        # The kernel took 2 modules of 3 and planned 2: KTAP alone is happy.
        self.assertEqual(self.check(["hello", "segfault", "sigill"]), [
            ("t/hello", OK), ("t/segfault", OK), ("t/status 0", OK),
            ("t/sigill: never reported", FAIL)])

    def test_program_not_bundled(self):
        self.assertEqual(self.check(["hello"])[-1],
                         ("t/segfault: reported but not bundled", FAIL))

    def test_boot_died_early(self):
        log = USER_LOG.replace("[c0   0.4] ok 2 segfault\n", "")
        results = self.check(["hello", "segfault"], log)
        self.assertIn(("t: plan says 2, got 1", FAIL), results)
        self.assertIn(("t/segfault: never reported", FAIL), results)

    def test_list_unreadable(self):
        results = self.check(OSError("no such file"))
        self.assertIn(("t/bundled programs", FAIL), results)

    def test_only_programs_suites_are_accounted(self):
        results = suite_runner.check(suite(ktap=True), fake_run(USER_LOG, qemu_exit=1))
        self.assertEqual(len(results), 3)

    def test_bundled_programs_reads_the_makefile_list(self):
        with tempfile.TemporaryDirectory() as tmp:
            iso = Path(tmp) / "quiesce.iso"
            self.assertIsInstance(suite_runner.bundled_programs(iso), OSError)
            (Path(tmp) / "user").mkdir()
            (Path(tmp) / "user" / "programs.txt").write_text(
                "build/user/tests/hello 0\nbuild/user/tests/segfault 139\n")
            self.assertEqual(suite_runner.bundled_programs(iso), ["hello", "segfault"])
            # modules="bundled": every program as a module, init.expect from the statuses
            boot = suite_runner.with_bundled_programs(
                suite(modules="bundled", cmdline="ptcheck"), iso)
            self.assertEqual(boot["cmdline"], "ptcheck init.expect=segfault:139")
            self.assertEqual(boot["modules"], ["build/user/tests/hello=hello",
                                               "build/user/tests/segfault=segfault"])


def python_command(code):
    return [sys.executable, "-c", code]


class HostSuiteTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        patch = mock.patch.object(suite_runner, "LOG_DIR", Path(tmp.name))
        patch.start()
        self.addCleanup(patch.stop)

    def test_exit_status_and_ktap(self):
        code = ('print("KTAP version 1\\n1..2\\nok 1 a\\n# why\\nnot ok 2 b");'
                'raise SystemExit(1)')
        results, run, _ = suite_runner.run_host(suite(host=python_command(code), ktap=True))
        self.assertEqual(outcome(results), [("t/a", OK), ("t/b", FAIL),
                                            ("t/status nonzero", OK)])
        self.assertEqual(results[1].diagnostics, ["why"])
        self.assertIn("not ok 2 b", (suite_runner.LOG_DIR / "t.log").read_text())

    def test_failure_must_show_in_the_status(self):
        code = 'print("KTAP version 1\\n1..1\\nnot ok 1 b")'
        results, _, _ = suite_runner.run_host(suite(host=python_command(code), ktap=True))
        self.assertEqual(outcome(results), [("t/b", FAIL), ("t/status nonzero", FAIL)])

    def test_wrong_status(self):
        results, _, _ = suite_runner.run_host(
            suite(host=python_command("raise SystemExit(3)")))
        self.assertEqual(outcome(results), [("t/status 0", FAIL)])
        self.assertEqual(results[0].diagnostics, ["got status 3 (exit status)"])

    def test_hung_command_and_its_children_are_killed(self):
        # The grandchild keeps our pipe open: only killing the group ends it.
        command = ["sh", "-c", "echo started; sleep 60 & sleep 60"]
        start = time.monotonic()
        results, run, _ = suite_runner.run_host(suite(host=command, timeout=1))
        self.assertLess(time.monotonic() - start, 10)
        self.assertTrue(run.hung)
        self.assertEqual(run.text_lines(), ["started"])
        self.assertEqual(outcome(results), [("t/status 0", FAIL)])
        self.assertIn("killed", results[0].diagnostics[0])

    def test_missing_command(self):
        results, run, _ = suite_runner.run_host(suite(host=["/nonexistent/tool"]))
        self.assertEqual((outcome(results), run), ([("t/run", FAIL)], None))


class KtapSelftestTest(unittest.TestCase):
    def test_unittest_results_as_ktap(self):
        class Sample(unittest.TestCase):
            def test_a_passes(self):
                pass

            def test_b_fails(self):
                print("printed by the test")
                self.assertEqual(1, 2)

            def test_c_errors(self):
                raise RuntimeError("boom")

            @unittest.skip("not here")
            def test_d_skips(self):
                pass

        out = io.StringIO()
        status = suite_runner.run_ktap(
            unittest.defaultTestLoader.loadTestsFromTestCase(Sample), out)
        lines = out.getvalue().splitlines()
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "1 passed, 2 failed, 1 skipped")
        results = ktap.parse(lines, "s")
        self.assertEqual([(r.name.rsplit(".", 1)[-1], r.status) for r in results],
                         [("test_a_passes", OK), ("test_b_fails", FAIL),
                          ("test_c_errors", FAIL), ("test_d_skips", SKIP)])
        self.assertTrue(any("1 != 2" in d for d in results[1].diagnostics))
        self.assertTrue(any("printed by the test" in d for d in results[1].diagnostics))
        self.assertTrue(any("boom" in d for d in results[2].diagnostics))
        self.assertEqual(results[3].reason, "not here")


if __name__ == "__main__":
    unittest.main()
