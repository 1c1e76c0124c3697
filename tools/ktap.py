"""A KTAP version 1 parser for Quiesce's serial log.

KTAP is the test-output format of Linux's kselftest/KUnit:

    KTAP version 1
    1..3                         <- the plan: 3 tests will be reported
    ok 1 buddy_every_order
        KTAP version 1           <- a nested subtest, indented by 4 spaces
        1..2
        ok 1 split
        # freed 3 pages twice    <- a diagnostic line
        not ok 2 merge
    not ok 2 buddy_merge         <- the parent's result follows its children
    ok 3 slab_grow # SKIP needs 2 CPUs

parse() turns the log into a flat list of Result(name, status, diagnostics).
The plan is what makes a missing test visible: if the kernel stops after
9 of 12 tests (a hang, a crash), the suite gets a failed entry saying so.

Lines that are not KTAP (other printk output, firmware noise) are ignored,
so the kernel may keep logging while its tests run.
"""
import re
from dataclasses import dataclass, field

OK, FAIL, SKIP = "ok", "fail", "skip"

# The kernel prefixes each line with "[cCPU  SECONDS] ".
PREFIX_RE = re.compile(r"^\[c\d+ +\d+\.\d+\] ")
HEADER_RE = re.compile(r"K?TAP version \d+$")
PLAN_RE = re.compile(r"1\.\.(\d+)\b")
RESULT_RE = re.compile(r"(not ok|ok) (\d+)\b(?: (?:- )?([^#]*?))?\s*(?:#\s*(.*))?$")
SUBTEST_RE = re.compile(r"# Subtest: (.*)")


@dataclass
class Result:
    name: str
    status: str                                  # OK, FAIL or SKIP
    diagnostics: list = field(default_factory=list)
    reason: str = ""                             # why it was skipped
    structural: bool = False     # a fault of the KTAP output (plan, numbering)
                                 # rather than a test the kernel reported


def strip_prefix(line):
    """'[c0   0.123456] message' -> 'message'; other lines unchanged."""
    return PREFIX_RE.sub("", line.rstrip("\r\n"), count=1)


# ------------------------------------------------------------ the tree
# While reading we build a small tree: a Group is one KTAP block (a plan
# and its result lines); a Test is one result line, whose children are
# the nested Group printed just before it.

@dataclass
class Test:
    number: int
    name: str
    status: str
    reason: str = ""
    diagnostics: list = field(default_factory=list)
    children: "Group" = None


@dataclass
class Group:
    level: int
    name: str = ""               # from "# Subtest: name", if printed
    plan: int = None
    tests: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    diags: list = field(default_factory=list)    # waiting for the next test
    closed_child: "Group" = None                 # waiting for its parent's result

    def add(self, test):
        if any(t.number == test.number for t in self.tests):
            self.errors.append(f"duplicate test number {test.number}")
        test.diagnostics = self.diags
        test.children, self.closed_child = self.closed_child, None
        self.diags = []
        self.tests.append(test)

    def finish(self):
        """Called when the block ends: check the plan, place leftovers."""
        if self.diags and self.tests:        # diagnostics after the last test
            self.tests[-1].diagnostics += self.diags
        if self.closed_child:                # children whose parent never came
            self.errors.append("a subtest has no result line")
        if self.plan is None:
            self.errors.append("no plan line (1..N)")
        elif self.plan != len(self.tests):
            self.errors.append(f"plan says {self.plan}, got {len(self.tests)}")


def parse_result(text):
    """'not ok 3 name # SKIP why' -> Test, or None if not a result line."""
    m = RESULT_RE.match(text)
    if not m:
        return None
    ok, number, name, directive = m.groups()
    status = OK if ok == "ok" else FAIL
    reason = ""
    if directive and directive.upper().startswith("SKIP"):
        # `not ok N name # SKIP` is a failure that calls itself a skip:
        # it stays a failure, with the reason kept as a diagnostic.
        reason = directive[4:].strip()
        if status == OK:
            status = SKIP
    elif directive:                          # not a directive: part of the name
        name = f"{name} # {directive}"
    return Test(int(number), name or f"test {number}", status, reason)


class Parser:
    """Feeds KTAP lines (prefix already stripped) into a stack of Groups,
    one per indentation level that is currently open."""

    def __init__(self):
        self.stack = [Group(0)]

    def feed(self, line):
        """Returns False when a new top-level KTAP block starts (stop)."""
        body = line.lstrip(" ")
        level = (len(line) - len(body)) // 4
        kind = classify(body)
        if kind is None:
            return True                      # not KTAP: ignore
        if kind == "header" and level == 0:
            return False
        self.move_to(level)
        group = self.stack[-1]
        if kind == "plan":
            group.plan = int(PLAN_RE.match(body).group(1))
        elif kind == "result":
            group.add(parse_result(body))
        elif kind == "subtest":
            group.name = SUBTEST_RE.match(body).group(1).strip()
        elif kind == "diag":
            group.diags.append(body[1:].strip())
        return True

    def move_to(self, level):
        """Open groups down to `level`, or close the deeper ones."""
        while self.stack[-1].level < level:
            self.stack.append(Group(self.stack[-1].level + 1))
        while self.stack[-1].level > level:
            child = self.stack.pop()
            child.finish()
            self.stack[-1].closed_child = child

    def finish(self):
        self.move_to(0)
        top = self.stack[0]
        top.finish()
        return top


def classify(body):
    if HEADER_RE.match(body):
        return "header"
    if PLAN_RE.match(body):
        return "plan"
    if RESULT_RE.match(body):
        return "result"
    if SUBTEST_RE.match(body):
        return "subtest"
    if body.startswith("#"):
        return "diag"
    return None


# ------------------------------------------------------------- flatten

def flatten(group, prefix, where):
    """Tree -> list of Results. A parent with subtests is represented by
    its subtests; its own line counts only if it failed on its own."""
    results = []
    for test in group.tests:
        name = prefix + test.name
        if not test.children:
            results.append(Result(name, test.status, test.diagnostics, test.reason))
            continue
        below = flatten(test.children, name + "/", name)
        results += below
        if test.status == FAIL and all(r.status != FAIL for r in below):
            results.append(Result(name, FAIL, test.diagnostics))
    orphan = group.closed_child
    if orphan:                               # still report what it did print
        name = prefix + (orphan.name or "subtest")
        results += flatten(orphan, name + "/", name)
    return results + [Result(f"{where}: {e}", FAIL, structural=True)
                      for e in group.errors]


def parse(lines, suite="ktap"):
    """Serial log lines -> [Result]; names are 'suite/test' and suite-level
    problems (plan mismatch, no KTAP at all) are failed 'suite: ...' entries."""
    body = [strip_prefix(line) for line in lines]
    if not any(HEADER_RE.match(b) for b in body):
        return [Result(f"{suite}: no 'KTAP version 1' in the log", FAIL, structural=True)]
    start = next(i for i, b in enumerate(body) if HEADER_RE.match(b))
    parser = Parser()
    for line in body[start + 1:]:
        if not parser.feed(line):
            break
    return flatten(parser.finish(), suite + "/", suite)


if __name__ == "__main__":
    # `python3 tools/ktap.py build/logs/bios-smp4.log`: show what was parsed.
    import sys
    with open(sys.argv[1], errors="replace") as f:
        for r in parse(f.readlines(), sys.argv[2] if len(sys.argv) > 2 else "ktap"):
            print(f"{r.status:4} {r.name}")
            for line in r.diagnostics:
                print(f"     # {line}")
