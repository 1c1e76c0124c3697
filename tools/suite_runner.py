"""Run the boots listed in tools/suites.py and check what each one printed.

This is `make test` (through tools/test-suite). For every suite it boots
QEMU once (qemu_run.run), saves the serial log to build/logs/<suite>.log,
turns the log into results (ok / FAIL / SKIP, one line each) and at the
very end prints `N passed, N failed, N skipped`; a skip is never a pass. Exit status 1 if anything failed.
"""
import argparse
import fnmatch
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

def check(suite, run):
    """RunResult -> [Result] for one suite (see suites.py for the keys)."""
    results = ktap.parse(run.text_lines(), suite["name"]) if suite["ktap"] else []
    results.append(check_status(suite, run, results))
    return results + check_log(suite, run)


def final_status(suite, run):
    """-> (status, where it came from) or (None, why there is none)."""
    if run.hung:
        return None, run.message
    if run.poweroff is not None:
        return run.poweroff, "poweroff line"
    if not suite["poweroff_line"] and run.debug_exit is not None:
        return run.debug_exit, "isa-debug-exit, no poweroff line"
    return None, run.message


def check_status(suite, run, ktap_results):
    want = suite["status"]
    if suite["ktap"]:          # the kernel says 1 when one of its tests failed
        want = int(any(r.status == FAIL and not r.structural for r in ktap_results))
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
    lines = (Path(iso).resolve().parent / PROGRAMS_TXT).read_text().split("\n")
    pairs = [line.split() for line in lines if line.strip()]
    expect = ",".join(f"{Path(path).name}:{status}" for path, status in pairs if status != "0")
    cmdline = " ".join(w for w in (suite["cmdline"], expect and f"init.expect={expect}") if w)
    return {**suite, "cmdline": cmdline,
            "modules": [f"{path}={Path(path).name}" for path, _ in pairs]}


def run_suite(suite, args):
    """Boot one suite -> (results, RunResult or None, seconds)."""
    name = suite["name"]
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
    return check(suite, run), run, time.monotonic() - start


def crashed(run):
    """Did the boot end badly enough that the log's end explains more?"""
    return run.hung or run.poweroff is None or run.poweroff == 125


def show(suite, results, run, seconds):
    """Print one suite's result lines; details only for failures."""
    print(f"# {suite['name']} ({seconds:.1f} s)")
    for r in results:
        if r.status == SKIP:
            print(f"SKIP {r.name}" + (f" # {r.reason}" if r.reason else ""))
            continue
        print(f"{'ok  ' if r.status == OK else 'FAIL'} {r.name}")
        if r.status == FAIL:
            for line in r.diagnostics:
                print(f"     # {line}")
    if run is None or all(r.status != FAIL for r in results):
        return
    if run.qemu_stderr.strip():
        print("     QEMU said:", *run.qemu_stderr.strip().splitlines(), sep="\n     | ")
    if crashed(run):
        print(f"     last {TAIL_LINES} lines of build/logs/{suite['name']}.log:",
              *run.tail(TAIL_LINES), sep="\n     | ")


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


def selftest():
    tests = unittest.defaultTestLoader.discover(str(TOOLS_DIR), "test_*.py",
                                                top_level_dir=str(TOOLS_DIR))
    ok = unittest.TextTestRunner(verbosity=1).run(tests).wasSuccessful()
    return 0 if ok else 1


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
    if args.selftest:
        return selftest()
    picked = chosen_suites(args.only)
    if args.list:
        print(*map(describe, picked), sep="\n")
        return 0
    if not picked:
        print(f"test-suite: no suite matches {args.only}", file=sys.stderr)
        return 2
    iso = Path(args.iso or qemu_run.DEFAULT_ISO)
    if not iso.exists():
        print(f"FAIL iso: {iso} does not exist (run make)\n0 passed, 1 failed, 0 skipped")
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
    try:
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
    print(f"# {len(picked)} boots in {time.monotonic() - start:.0f} s "
          f"({qemu_run.current_accel(args.iso).name})")
    print(f"{counts[OK]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped")
    return 1 if counts[FAIL] else 0
