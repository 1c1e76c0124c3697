"""Run the suites listed in tools/suites.py and check what each one printed.

This is `make test` (through tools/test-suite). For every suite it boots
QEMU once (qemu_run.run), or runs a command on this host (a `host` suite),
saves the output to build/logs/<suite>.log, turns it into results (ok /
FAIL / SKIP, one line each) and at the very end prints
`N passed, N failed, N skipped`; a skip is never a pass. Exit status 1 if
anything failed.
"""
import argparse
import fnmatch
import os
import re
import signal
import subprocess
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ktap
import qemu_run
import suites
from ktap import FAIL, OK, SKIP, Result

LOG_DIR = qemu_run.ROOT / "build" / "logs"
TOOLS_DIR = Path(__file__).resolve().parent
QEMU_KEYS = ("smp", "uefi", "cmdline", "modules", "cpu", "mem", "timeout")
TAIL_LINES = 30


def complete(suite):
    """A suite from suites.py with every missing key set to its default.
    A misspelt key would silently do nothing, so it is an error."""
    unknown = set(suite) - set(suites.DEFAULTS) - {"name"}
    if unknown:
        sys.exit(f"test-suite: suite {suite.get('name')}: unknown key(s) "
                 f"{', '.join(sorted(unknown))} (see tools/suites.py)")
    return {**suites.DEFAULTS, **suite}


# ---------------------------------------------------------------- checks

def check(suite, run, programs=None):
    """RunResult -> [Result] for one suite (see suites.py for the keys).
    programs: what bundled_programs() returned, for a `programs` suite."""
    results = ktap.parse(run.text_lines(), suite["name"]) if suite["ktap"] else []
    accounting = check_programs(suite, results, programs) if suite["programs"] else []
    results.append(check_status(suite, run, results))
    return results + accounting + check_log(suite, run)


def final_status(suite, run):
    """-> (status, where it came from) or (None, why there is none)."""
    if run.hung:
        return None, run.message
    if run.poweroff is not None:
        return run.poweroff, "exit status" if suite["host"] else "poweroff line"
    if not suite["poweroff_line"] and run.debug_exit is not None:
        return run.debug_exit, "isa-debug-exit, no poweroff line"
    return None, run.message


def check_status(suite, run, ktap_results):
    want = suite["status"]
    if suite["ktap"]:          # the kernel says 1 when one of its tests failed
        want = int(any(r.status == FAIL and not r.structural for r in ktap_results))
        if want and suite["host"]:
            want = "nonzero"   # a host command's failure: make says 2
    got, where = final_status(suite, run)
    if want == "nonzero":
        passed = got not in (None, 0)
    else:
        passed = got == want
    name = f"{suite['name']}/status {want}"
    if passed:
        return Result(name, OK)
    if got is None:
        return Result(name, FAIL, [f"no status: {where}"])
    return Result(name, FAIL, [f"got status {got} ({where})"])


# The programs the ISO carries: the ISO rule of the Makefile writes this
# file beside the programs, one "PATH STATUS" line each.
PROGRAMS_TXT = "user/programs.txt"


def program_lines(iso):
    """-> [(path, pass status)] from build/user/programs.txt (may raise OSError)."""
    text = (Path(iso).resolve().parent / PROGRAMS_TXT).read_text()
    return [(line.split()[0], int(line.split()[1])) for line in text.splitlines() if line.strip()]


def bundled_programs(iso):
    """-> [program name] from build/user/programs.txt, or the OSError
    that kept us from reading it (reported by check_programs)."""
    try:
        return [Path(path).name for path, _ in program_lines(iso)]
    except OSError as e:
        return e


def check_programs(suite, ktap_results, programs):
    """Every bundled program reported, and nothing else: init's KTAP plan
    only counts the modules the kernel took, so a program GRUB never loaded,
    or one the kernel dropped, would otherwise go unnoticed."""
    name = suite["name"]
    if not isinstance(programs, list):
        return [Result(f"{name}/bundled programs", FAIL,
                       [f"cannot read the list of bundled programs: {programs}"])]
    prefix = name + "/"
    reported = [r.name[len(prefix):] for r in ktap_results
                if not r.structural and r.name.startswith(prefix)]
    missing = [p for p in programs if p not in reported]
    extra = [p for p in reported if p not in programs]
    results = [Result(f"{name}/{p}: never reported", FAIL,
                      [f"the ISO carries it ({PROGRAMS_TXT} beside the ISO lists it), "
                       "but no KTAP line names it"])
               for p in missing]
    results += [Result(f"{name}/{p}: reported but not bundled", FAIL,
                       [f"a KTAP line names it, but {PROGRAMS_TXT} beside the ISO "
                        "does not list it (an ISO older than the list? run make)"])
                for p in extra]
    return results or [Result(f"{name}/all {len(programs)} bundled programs reported", OK)]


def strip_lines(run):
    return [ktap.strip_prefix(text) for text in run.text_lines()]


def check_log(suite, run):
    """One result per regex in log_has and log_lacks."""
    lines = strip_lines(run)
    results = []
    for regex in suite["log_has"]:
        found = any(re.search(regex, line) for line in lines)
        results.append(Result(f'{suite["name"]}/log has "{regex}"',
                              OK if found else FAIL,
                              [] if found else ["no line matches"]))
    for regex in suite["log_lacks"]:
        bad = [line for line in lines if re.search(regex, line)]
        results.append(Result(f'{suite["name"]}/log lacks "{regex}"',
                              FAIL if bad else OK,
                              [f"found: {line}" for line in bad[:3]]))
    return results


# ----------------------------------------------------------------- boots

# The programs the ISO carries: the ISO rule of the Makefile writes this
# file beside the programs, one "PATH STATUS" line each.
PROGRAMS_TXT = "user/programs.txt"


def with_bundled_programs(suite, iso):
    """modules="bundled": every program the ISO carries, as modules on the
    run disk (so the suite's cmdline applies to them), with init.expect
    for the ones that must not exit 0 -- what the ISO's own entry does."""
    if suite["modules"] != "bundled":
        return suite
    lines = program_lines(iso)
    expect = ",".join(f"{Path(path).name}:{status}" for path, status in lines if status != 0)
    cmdline = " ".join(w for w in (suite["cmdline"], expect and f"init.expect={expect}") if w)
    return {**suite, "cmdline": cmdline,
            "modules": [f"{path}={Path(path).name}" for path, _ in lines]}


def run_suite(suite, args):
    """Boot one suite -> (results, RunResult or None, seconds)."""
    name = suite["name"]
    programs = bundled_programs(args.iso or qemu_run.DEFAULT_ISO) if suite["programs"] else None
    if suite["host"]:
        return run_host(suite, programs)
    if suite["tcg_only"] and qemu_run.current_accel(args.iso).name == "kvm":
        return [Result(f"{name}/boot", SKIP, reason="needs TCG, KVM in use")], None, 0
    sys.stderr.write(f"test-suite: booting {name}\n")   # one write: -j threads
    try:
        suite = with_bundled_programs(suite, args.iso or qemu_run.DEFAULT_ISO)
    except OSError as e:
        return [Result(f"{name}/boot", FAIL, [f"no list of bundled programs: {e}"])], None, 0
    opts = qemu_run.Options(**{k: suite[k] for k in QEMU_KEYS},
                            iso=args.iso, quiet=True, verbose=args.verbose,
                            log=str(LOG_DIR / f"{name}.log"))
    start = time.monotonic()
    try:
        run = qemu_run.run(opts)
    except (OSError, subprocess.CalledProcessError) as e:   # no QEMU, mtools...
        return [Result(f"{name}/boot", FAIL, [f"cannot boot: {e}"])], None, 0
    return check(suite, run, programs), run, time.monotonic() - start


class GroupProcess(subprocess.Popen):
    """A host command in a process group of its own: kill() stops the
    whole group, so `make` and the programs it started go together (a
    killed `make` alone would leave them holding our pipe open)."""

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def host_env():
    """Our environment without the outer make's jobserver: run from
    `make test`, a nested make would otherwise warn that it lost it."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def run_host(suite, programs=None):
    """Run a `host` suite's command -> (results, RunResult, seconds).
    Its exit status stands where a boot's poweroff status would."""
    name, timeout = suite["name"], suite["timeout"]
    sys.stderr.write(f"test-suite: running {name}\n")
    start = time.monotonic()
    try:
        proc = GroupProcess(suite["host"], cwd=qemu_run.ROOT, env=host_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as e:
        return [Result(f"{name}/run", FAIL, [f"cannot run {suite['host'][0]}: {e}"])], None, 0
    qemu_run.RUNNING.add(proc)            # stopped with the QEMUs on Ctrl-C
    try:
        output, hung = proc.communicate(timeout=timeout)[0], False
    except subprocess.TimeoutExpired:
        proc.kill()
        output, hung = proc.communicate()[0], True
    finally:
        qemu_run.RUNNING.discard(proc)
    seconds = time.monotonic() - start
    text = output.decode("utf-8", errors="replace").splitlines()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / f"{name}.log").write_text("".join(line + "\n" for line in text))
    status = None if hung else proc.returncode
    run = qemu_run.RunResult(qemu_run.STATUS_HUNG if hung else status,
                             [(seconds, line) for line in text], status, status, hung,
                             f"still running after {timeout:g} s: killed" if hung else "")
    return check(suite, run, programs), run, seconds


def crashed(run):
    """Did the boot end badly enough that the log's end explains more?"""
    return run.hung or run.poweroff is None or run.poweroff == 125


def report_lines(suite, results, run, seconds):
    """One suite's result lines; details only for failures."""
    out = [f"# {suite['name']} ({seconds:.1f} s)"]
    for r in results:
        if r.status == SKIP:
            out.append(f"SKIP {r.name}" + (f" # {r.reason}" if r.reason else ""))
            continue
        out.append(f"{'ok  ' if r.status == OK else 'FAIL'} {r.name}")
        if r.status == FAIL:
            out += [f"     # {line}" for line in r.diagnostics]
    if run is None or all(r.status != FAIL for r in results):
        return out
    if run.qemu_stderr.strip():
        out.append("     QEMU said:")
        out += [f"     | {line}" for line in run.qemu_stderr.strip().splitlines()]
    if crashed(run):
        out.append(f"     last {TAIL_LINES} lines of build/logs/{suite['name']}.log:")
        out += [f"     | {line}" for line in run.tail(TAIL_LINES)]
    return out


def show(suite, results, run, seconds):
    """Print report_lines(), each line in one write: the boot threads'
    progress messages on stderr may come between lines, never inside one."""
    for line in report_lines(suite, results, run, seconds):
        sys.stdout.write(line + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------ main

def parse_args(argv):
    p = argparse.ArgumentParser(prog="test-suite",
                                description="Boot Quiesce once per suite of "
                                "tools/suites.py and check the results.")
    p.add_argument("--only", action="append", metavar="GLOB",
                   help="run only suites whose name matches (repeatable, "
                   "or comma-separated)")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="boot N suites at once (default 1: TCG guests "
                   "already use several host threads each)")
    p.add_argument("--list", action="store_true", help="list the suites")
    p.add_argument("--selftest", action="store_true",
                   help="run the tools' own unit tests (no QEMU)")
    p.add_argument("--iso", help="default: build/quiesce.iso")
    p.add_argument("--verbose", action="store_true",
                   help="print each QEMU command on stderr")
    return p.parse_args(argv)


def chosen_suites(only):
    picked = [complete(s) for s in suites.SUITES]
    if only:                   # --only 'bios-*' --only uefi-smp4,bad-option
        globs = [g for arg in only for g in arg.split(",")]
        picked = [s for s in picked if any(fnmatch.fnmatch(s["name"], g) for g in globs)]
    return picked


def describe(suite):
    """One line for --list: the options that differ from the defaults."""
    keys = [k for k in suite if k != "name" and suite[k] != suites.DEFAULTS.get(k)]
    return f"{suite['name']:18} " + " ".join(f"{k}={suite[k]!r}" for k in keys)


class KtapTestResult(unittest.TestResult):
    """unittest's results printed as KTAP, one line per test as it ends,
    so that `make test` (suite host-selftest) counts each one. A failure's
    traceback and whatever the test printed come first, as # lines."""

    def __init__(self, stream):
        super().__init__()
        self.stream, self.number = stream, 0
        self.buffer = True            # a test's own output joins its traceback
        self.counts = {OK: 0, FAIL: 0, SKIP: 0}

    def line(self, status, test, directive="", diagnostics=""):
        for text in diagnostics.splitlines():
            self.stream.write(f"# {text}\n")
        self.number += 1
        self.counts[status] += 1
        word = "not ok" if status == FAIL else "ok"
        self.stream.write(f"{word} {self.number} {test.id()}{directive}\n")
        self.stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.line(OK, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.line(FAIL, test, diagnostics=self.failures[-1][1])

    def addError(self, test, err):
        super().addError(test, err)
        self.line(FAIL, test, diagnostics=self.errors[-1][1])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.line(SKIP, test, f" # SKIP {reason}")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.line(OK, test)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.line(FAIL, test, diagnostics="expected to fail, but passed")


def run_ktap(tests, stream):
    """Run a unittest suite, printing KTAP and the closing count -> exit status."""
    stream.write(f"KTAP version 1\n1..{tests.countTestCases()}\n")
    result = KtapTestResult(stream)
    tests.run(result)
    c = result.counts
    stream.write(f"{c[OK]} passed, {c[FAIL]} failed, {c[SKIP]} skipped\n")
    return 0 if result.wasSuccessful() else 1


def selftest():
    tests = unittest.defaultTestLoader.discover(str(TOOLS_DIR), "test_*.py",
                                                top_level_dir=str(TOOLS_DIR))
    return run_ktap(tests, sys.stdout)


def run_all(picked, args):
    """Boot every suite, print as they finish (in list order), count."""
    counts = {OK: 0, FAIL: 0, SKIP: 0}
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        outcomes = pool.map(lambda s: run_suite(s, args), picked)
        try:
            for suite, (results, run, seconds) in zip(picked, outcomes):
                show(suite, results, run, seconds)
                sys.stdout.flush()
                for r in results:
                    counts[r.status] += 1
        except KeyboardInterrupt:
            pool.shutdown(cancel_futures=True)   # start no further boots
            raise
    return counts


def interrupt(signum, frame):
    """Ctrl-C, kill, or a closed terminal: stop every QEMU, then unwind."""
    qemu_run.stop_all()
    raise KeyboardInterrupt


def main(argv):
    args = parse_args(argv)
    # Whole lines only: progress goes to stderr from the boot threads, and
    # a block-buffered stdout would be cut wherever its buffer fills.
    sys.stdout.reconfigure(line_buffering=True)
    if args.selftest:
        return selftest()
    picked = chosen_suites(args.only)
    if args.list:
        print(*map(describe, picked), sep="\n")
        return 0
    if not picked:
        print(f"test-suite: no suite matches {args.only}", file=sys.stderr)
        return 2
    boots = sum(not s["host"] for s in picked)
    iso = Path(args.iso or qemu_run.DEFAULT_ISO)
    if boots and not iso.exists():
        print(f"FAIL iso: {iso} does not exist (run make)\n0 passed, 1 failed, 0 skipped")
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
    try:
        if boots:
            qemu_run.current_accel(args.iso)   # probe (and say) before the first boot
    except ValueError as e:
        print(f"test-suite: {e}", file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        counts = run_all(picked, args)
    except KeyboardInterrupt:
        print("test-suite: interrupted", file=sys.stderr)
        return 130
    accel = f", QEMU with {qemu_run.current_accel(args.iso).name.upper()}" if boots else ""
    plural = lambda n, word: f"{n} {word}" + ("" if n == 1 else "s")
    print(f"# {plural(len(picked), 'suite')} ({plural(boots, 'boot')}) in "
          f"{time.monotonic() - start:.0f} s{accel}")
    print(f"{counts[OK]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped")
    return 1 if counts[FAIL] else 0
