"""Prepare, grade and check the labs of tools/labs.py (tools/lab).

    tools/lab list                      the labs
    tools/lab prepare NAME [--bug B]    build/labs/NAME/: the student's tree
    tools/lab grade NAME [--iso ISO]    grade this tree's kernel; prints each
                                        check and the score, exit 0 at full marks
    tools/lab check [NAME...]           for `make test`: each student tree
                                        builds, fails its grader, and the
                                        reference (this tree) passes it (KTAP)

A student tree is a copy of this repository, build directory included (so
that its first `make` recompiles only what the cut changed), in which each
region marked for the lab is replaced by its stub (tools/labs.py).
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import labs
import qemu_run

ROOT = qemu_run.ROOT
MARKER = re.compile(r"^\s*/\* LAB (\w+): (begin|end) \*/\s*$")
BOOT_TIMEOUT = 90            # seconds; a grader's boot that takes longer has hung


def lab_named(name):
    for lab in labs.LABS:
        if lab["name"] == name:
            return lab
    raise SystemExit(f"lab: no lab called {name!r} (tools/lab list)")


# ------------------------------------------------------------ the regions

def regions(lines, name, path="?"):
    """The (first, last) line indexes of each region of lab `name` that is
    not inside another region, markers included. Raises ValueError when
    the markers of any lab are unbalanced."""
    found, stack = [], []
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        lab, what = m.groups()
        if what == "begin":
            stack.append((lab, i))
        elif not stack or stack[-1][0] != lab:
            raise ValueError(f"{path}:{i + 1}: 'LAB {lab}: end' without its begin")
        else:
            _, start = stack.pop()
            if lab == name and not any(l == name for l, _ in stack):
                found.append((start, i))      # other labs' regions inside go with it
    if stack:
        raise ValueError(f"{path}:{stack[-1][1] + 1}: 'LAB {stack[-1][0]}: begin' never ends")
    return sorted(found)


def marked_files(root):
    """Files of the tree that hold a LAB marker -> {path: [lines]}."""
    out = {}
    for path in repo_files(root):
        if not path.endswith((".c", ".h")):
            continue
        text = (root / path).read_text()
        if "/* LAB " in text:
            out[path] = text.splitlines(keepends=True)
    return out


def cut(root, name, bug=None):
    """{path: new text} for lab `name`: each region replaced by its stub.
    Raises ValueError if regions and stubs do not pair up."""
    stubs = list(labs.STUBS[name])
    files = marked_files(root)
    out = {}
    for path in sorted({p for p, _ in stubs}):
        lines = files.get(path, [])
        mine = [s for p, s in stubs if p == path]
        found = regions(lines, name, path)
        if len(found) != len(mine):
            raise ValueError(f"{path}: {len(found)} region(s) of lab {name}, "
                             f"{len(mine)} stub(s) in tools/labs.py")
        for (first, last), stub in reversed(list(zip(found, mine))):
            if bug:
                stub = stub.replace("@BUG@", labs.BUGHUNT_BUGS[bug])
            lines[first:last + 1] = [stub]
        out[path] = "".join(lines)
    for path, lines in files.items():        # a region with no stub is an error too
        if path not in out and regions(lines, name, path):
            raise ValueError(f"{path}: a region of lab {name} but no stub in tools/labs.py")
    return out


# ------------------------------------------------------------- the trees

def repo_files(root):
    """The repository's files, relative: git's list when there is one."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=root, capture_output=True, text=True, check=True).stdout
        return [p for p in out.splitlines() if (root / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        return [str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and p.parts[len(root.parts)] not in ("build", ".git")]


def copy_build(src, dest):
    """This tree's build products, times kept, so that make in the copy
    rebuilds only what the cut touched. Logs and other labs stay behind."""
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if rel.parts[0] in ("labs", "logs") or not path.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)


def prepare(name, dest=None, bug=None):
    """Make the student tree for lab `name`; returns its path."""
    lab = lab_named(name)
    dest = Path(dest) if dest else ROOT / "build" / "labs" / name
    if name == "bughunt":
        bug = bug or random.choice(sorted(labs.BUGHUNT_BUGS))
    new = cut(ROOT, name, bug)
    if dest.exists():
        shutil.rmtree(dest)
    for path in repo_files(ROOT):
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, dest / path)
    if (ROOT / "build").is_dir():
        copy_build(ROOT / "build", dest / "build")
    for path, text in new.items():
        (dest / path).write_text(text)       # newer than the copied objects: rebuilt
    (dest / "LAB").write_text(f"{name}: {lab['title']}\nRead {lab['doc']}, then "
                              f"`make grade LAB={name}`.\n")
    if bug:
        (dest / "build" / ".planted").write_text(bug + "\n")   # for the teacher; no peeking
    return dest


# ---------------------------------------------------------------- grading

def boot_checks(boot, run):
    """[(check, passed, detail)] for one grader boot."""
    lines = [qemu_run_strip(t) for t in run.text_lines()]
    results = []
    tests = {"ktests": boot.get("ktests", []), "programs": boot.get("programs", []),
             "bench": [b for b, _ in boot.get("bench", [])]}
    for kind, names in tests.items():
        for test in names:
            ok = any(re.fullmatch(rf"ok \d+ {re.escape(test)}", l) for l in lines)
            bad = any(re.fullmatch(rf"not ok \d+ {re.escape(test)}.*", l) for l in lines)
            skip = any(re.fullmatch(rf"ok \d+ {re.escape(test)} # SKIP.*", l) for l in lines)
            detail = "" if ok else "skipped" if skip else "failed" if bad else "never reported"
            results.append((f"{kind.rstrip('s')} {test}", ok, detail))
    for what, regex in boot.get("has", []):
        ok = any(re.search(regex, l) for l in lines)
        results.append((what, ok, "" if ok else "no such line"))
    for what, regex in boot.get("lacks", []):
        bad = [l for l in lines if re.search(regex, l)]
        results.append((what, not bad, bad[0] if bad else ""))
    ended = run.poweroff is not None and run.poweroff != 125 and not run.hung
    why = next((l for l in lines if re.search(r"PANIC|panic|KERNEL EXCEPTION", l)),
               run.message or f"status {run.poweroff}")
    results.append(("the kernel ran to its end (no panic, no hang)", ended, "" if ended else why))
    return results


def qemu_run_strip(text):
    return re.sub(r"^\[c\d+\s+[\d.]+\]\s?", "", text)


def grade(name, root=ROOT, iso=None, out=sys.stdout):
    """Boot each of the lab's grader boots on this tree's kernel, print
    every check and the score; returns (passed, total)."""
    lab = lab_named(name)
    iso = Path(iso) if iso else root / "build" / "quiesce.iso"
    logs = root / "build" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    passed = total = 0
    out.write(f"lab {name}: {lab['title']}\n")
    for i, boot in enumerate(lab["boots"], 1):
        modules = [f"{root}/build/user/tests/{p}={p}" for p in boot.get("programs", [])]
        modules += [f"{root}/build/user/bench/{b}={b} {args}" for b, args in boot.get("bench", [])]
        log = logs / f"lab-{name}-{i}.log"
        opts = qemu_run.Options(smp=4, cmdline=boot["cmdline"], modules=modules,
                                timeout=BOOT_TIMEOUT, iso=str(iso), quiet=True, log=str(log))
        start = time.monotonic()
        run = qemu_run.run(opts)
        names = boot.get("programs", []) + [" ".join(b) for b in boot.get("bench", [])]
        out.write(f"# boot {i}: {boot['cmdline']}" + (f" + {', '.join(names)}" if names else "")
                  + f" ({time.monotonic() - start:.0f} s, log {log.relative_to(root)})\n")
        for line in run.text_lines():
            if qemu_run_strip(line).startswith("BENCH "):
                out.write(f"info  {qemu_run_strip(line)[6:]}  (measured, not scored)\n")
        for check, ok, detail in boot_checks(boot, run):
            passed, total = passed + ok, total + 1
            out.write(f"{'PASS' if ok else 'FAIL'}  {check}" + (f"  ({detail})" if detail else "")
                      + "\n")
        out.flush()
    out.write(f"score: {passed}/{total}\n")
    return passed, total


# ---------------------------------------------------------------- checking

def make(tree, log):
    """Build a tree; True if it built (output appended to log)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    with open(log, "a") as f:
        return subprocess.run(["make", "-j2", "--no-print-directory", "all"], cwd=tree, env=env,
                              stdout=f, stderr=subprocess.STDOUT).returncode == 0


class Quiet:
    """A file that keeps what a grade printed, for the check's diagnostics."""
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def check_one(name, bug=None):
    """-> [(result line, ok, diagnostics)] for one lab; see `tools/lab check`."""
    times = {}
    results = []
    start = time.monotonic()
    try:
        tree = prepare(name, bug=bug or ("stale-scan" if name == "bughunt" else None))
    except (ValueError, OSError) as e:
        return [(f"{name}: the student tree is made", False, [str(e)])]
    times["copy"] = time.monotonic() - start
    log = tree / "build" / "lab-build.log"
    log.write_text("")
    built = make(tree, log)
    times["build"] = time.monotonic() - start - sum(times.values())
    results.append((f"{name}: the student tree builds", built,
                    [] if built else log.read_text().splitlines()[-15:]))
    if built:
        q = Quiet()
        got, total = grade(name, root=tree, out=q)
        results.append((f"{name}: the student tree fails its grader ({got}/{total})",
                        got < total, [] if got < total else q.text.splitlines()))
    times["student grade"] = time.monotonic() - start - sum(times.values())
    q = Quiet()
    got, total = grade(name, root=ROOT, out=q)
    results.append((f"{name}: the reference passes its grader ({got}/{total})",
                    got == total, [] if got == total else q.text.splitlines()))
    times["reference grade"] = time.monotonic() - start - sum(times.values())
    spent = ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
    results.append((f"{name}: checked in {time.monotonic() - start:.0f} s ({spent})", True, []))
    return results


def check(names, jobs):
    """KTAP for `make test`: every lab's tree built, failing, and the
    reference passing. Exit status 1 if a result failed."""
    names = names or [lab["name"] for lab in labs.LABS]
    for path, lines in marked_files(ROOT).items():       # every marker balanced
        regions(lines, "", path)
    print("KTAP version 1")
    print(f"1..{len(names) * 4}")
    n, failed = 0, 0
    with ThreadPoolExecutor(jobs) as pool:
        for results in pool.map(check_one, names):
            for line, ok, diags in results:
                for d in diags:
                    print(f"# {d}")
                n += 1
                failed += not ok
                print(f"{'ok' if ok else 'not ok'} {n} {line}")
                sys.stdout.flush()
    print(f"# labs: {n - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="lab", description="Prepare, grade and check the labs.")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the labs")
    pp = sub.add_parser("prepare", help="make build/labs/NAME, the student's tree")
    pp.add_argument("name")
    pp.add_argument("--dest", help="where (default build/labs/NAME)")
    pp.add_argument("--bug", choices=sorted(labs.BUGHUNT_BUGS), help="bughunt: which bug")
    pg = sub.add_parser("grade", help="grade this tree's kernel")
    pg.add_argument("name")
    pg.add_argument("--iso", help="default: build/quiesce.iso")
    pc = sub.add_parser("check", help="every student tree fails, the reference passes (KTAP)")
    pc.add_argument("names", nargs="*")
    pc.add_argument("-j", "--jobs", type=int, default=2, help="labs checked at once (2)")
    args = p.parse_args(argv)
    if args.cmd == "list":
        for lab in labs.LABS:
            print(f"{lab['name']:8} {lab['title']}  ({lab['doc']})")
        return 0
    if args.cmd == "prepare":
        tree = prepare(args.name, args.dest, args.bug)
        print(f"lab {args.name}: your tree is {tree}\n"
              f"  read {lab_named(args.name)['doc']}, then in that directory: "
              f"make grade LAB={args.name}")
        return 0
    if args.cmd == "grade":
        got, total = grade(args.name, iso=args.iso)
        return 0 if got == total else 1
    return check(args.names, args.jobs)
