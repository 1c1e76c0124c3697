"""Boot Quiesce under QEMU and report how the boot ended.

Used two ways: as the command `tools/qemu-run` (see main() and --help), and
in-process by tools/test-suite through run(Options(...)) -> RunResult.

How a run ends decides our exit status:
  * the kernel's last `quiesce: poweroff status=N` line  -> N
  * no such line within the timeout (QEMU killed)        -> 124 (hung)
  * QEMU exited without that line                        -> 125 (crashed)
We trust the printed line rather than QEMU's own exit status because
isa-debug-exit turns a value v into 2*v+1, which cannot carry 0..255.
"""
import argparse
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

from run_disk import make_run_disk

ROOT = Path(__file__).resolve().parent.parent        # the repository
DEFAULT_ISO = ROOT / "build" / "quiesce.iso"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")

# QEMUs now running, so that a signal handler can stop them all: a test
# run that is killed must not leave guests behind.
RUNNING = set()

STATUS_HUNG = 124
STATUS_NO_POWEROFF = 125

POWEROFF_RE = re.compile(r"quiesce: poweroff status=(\d+)")
# Firmware (OVMF, GRUB) draws its screen with terminal escape sequences;
# they would garble the log, so we drop them and other control characters.
ESCAPE_RE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])|[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Options:
    smp: int = 4
    uefi: bool = False
    cmdline: str = None          # None: boot the ISO's default entry
    modules: list = field(default_factory=list)   # "PATH" or "PATH=NAME"
    timeout: float = 60.0        # seconds; 0 means wait forever
    gdb: bool = False
    mem: str = "512M"
    iso: str = None              # None: build/quiesce.iso
    cpu: str = None              # None: host (KVM) or max (TCG)
    accel: "Accel" = None        # None: current_accel() (QUIESCE_ACCEL)
    log: str = None              # also copy the serial console here
    quiet: bool = False          # do not echo the console to stdout
    verbose: bool = False        # print the QEMU command on stderr
    extra: list = field(default_factory=list)     # appended QEMU arguments
    interactive: bool = False    # our stdin goes to the guest's serial input, output
                                 # is shown as it comes (see "input" below)


@dataclass
class RunResult:
    status: int                  # what qemu-run exits with (see top of file)
    lines: list                  # [(seconds since QEMU started, text)]
    qemu_exit: int = None        # QEMU's own exit status (None if killed)
    poweroff: int = None         # N of the last poweroff line, if any
    hung: bool = False
    message: str = ""            # why the run did not end with poweroff
    qemu_stderr: str = ""

    @property
    def debug_exit(self):
        """The value the guest wrote to isa-debug-exit, guessed from QEMU's
        exit status (2*v+1); None when QEMU ended some other way."""
        if self.qemu_exit is not None and self.qemu_exit % 2 == 1:
            return (self.qemu_exit - 1) // 2
        return None

    def text_lines(self):
        return [text for _, text in self.lines]

    def tail(self, n):
        return self.text_lines()[-n:]

    def time_to(self, regex):
        """Host seconds from QEMU start to the first line matching regex."""
        pattern = re.compile(regex)
        for stamp, text in self.lines:
            if pattern.search(text):
                return stamp
        return None


# ---------------------------------------------------------------- machine
#
# Which accelerator: QUIESCE_ACCEL=auto|kvm|tcg (make ... ACCEL=...).
# `auto` does not trust that /dev/kvm opens: some machines have one that
# opens fine and then makes QEMU abort ("failed to set MSR 0x10a") or hang
# without printing anything. So auto boots the kernel once under KVM (a
# short boot that powers off at once) and uses KVM only if that boot said
# `quiesce: poweroff status=0`. The answer is cached in the build directory
# (build/accel), so the probe costs one short boot per build directory.

QEMU = os.environ.get("QUIESCE_QEMU", "qemu-system-x86_64")
ACCEL_CHOICES = ("auto", "kvm", "tcg")
PROBE_TIMEOUT = 10.0         # a KVM boot to poweroff takes about a second
PROBE_CMDLINE = "ktest=none"


@dataclass
class Accel:
    name: str                    # "kvm" or "tcg"
    why: str                     # one line: how it was chosen

    def args(self, cpu):
        if self.name == "kvm":
            return ["-accel", "kvm", "-cpu", cpu or "host"]
        # thread=multi gives each virtual CPU its own host thread, so SMP
        # races in the kernel really happen in parallel even without KVM.
        return ["-accel", "tcg,thread=multi", "-cpu", cpu or "max"]


def kvm_openable():
    """/dev/kvm exists and we may open it read-write (necessary, not enough)."""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


def probe_kvm(iso, timeout=PROBE_TIMEOUT):
    """Boot `iso` once under KVM -> (works, reason). Never raises."""
    opts = Options(smp=1, cmdline=PROBE_CMDLINE, timeout=timeout, iso=str(iso),
                   quiet=True, accel=Accel("kvm", "probe"))
    try:
        result = run(opts)
    except (OSError, subprocess.CalledProcessError) as e:
        return False, f"probe boot could not start: {e}"
    if result.status == 0:
        return True, ""
    if result.hung:
        said = "printed nothing" if not result.lines else "never powered off"
        return False, f"probe boot hung for {timeout:g} s and {said}"
    first = next((l for l in result.qemu_stderr.splitlines() if l.strip()), "")
    if result.qemu_exit not in (None, 0) and first:
        return False, f"QEMU exited with status {result.qemu_exit}: {first.strip()}"
    return False, result.message or f"probe boot ended with status {result.status}"


def accel_cache_path(iso):
    return Path(iso).resolve().parent / "accel"


def choose_accel(iso=None, setting=None, cache=None, probe=probe_kvm):
    """-> Accel, following QUIESCE_ACCEL (see the top of this section)."""
    setting = (setting or os.environ.get("QUIESCE_ACCEL") or "auto").lower()
    if setting not in ACCEL_CHOICES:
        raise ValueError(f"QUIESCE_ACCEL={setting}: expected one of "
                         + ", ".join(ACCEL_CHOICES))
    if setting == "tcg":
        return Accel("tcg", "using TCG (QUIESCE_ACCEL=tcg)")
    if setting == "kvm":
        return Accel("kvm", "using KVM (QUIESCE_ACCEL=kvm, not probed)")
    if not kvm_openable():
        return Accel("tcg", "using TCG (no usable /dev/kvm)")
    iso = Path(iso or DEFAULT_ISO)
    cache = Path(cache) if cache else accel_cache_path(iso)
    key = f"qemu={QEMU}"       # a broken /dev/kvm stays broken: one probe
    try:
        cached_key, name, why = cache.read_text().split("\n")[:3]
        if cached_key == key and name in ("kvm", "tcg"):
            return Accel(name, f"{why} (cached in {cache})")
    except (OSError, ValueError):
        pass
    if not iso.exists():
        return Accel("tcg", f"using TCG (no ISO at {iso} to probe KVM with)")
    works, reason = probe(iso)
    accel = (Accel("kvm", "using KVM (a probe boot powered off cleanly)") if works else
             Accel("tcg", f"KVM present but not working ({reason}); using TCG"))
    try:
        cache.write_text(f"{key}\n{accel.name}\n{accel.why}\n")
    except OSError:
        pass
    return accel


_CHOSEN = {}


def current_accel(iso=None):
    """choose_accel() once per process and ISO, announced on stderr once."""
    key = str(Path(iso or DEFAULT_ISO).resolve())
    if key not in _CHOSEN:
        _CHOSEN[key] = choose_accel(iso)
        print(f"qemu: {_CHOSEN[key].why}", file=sys.stderr)
    return _CHOSEN[key]


def firmware_args(uefi, tmp):
    """BIOS is QEMU's default (SeaBIOS). UEFI needs OVMF's code plus a
    private, writable copy of its variable store for this one run."""
    if not uefi:
        return []
    vars_copy = Path(tmp) / "OVMF_VARS.fd"
    shutil.copyfile(OVMF_VARS, vars_copy)
    return ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}"]


def disk_args(iso, run_disk):
    # Buses are named because q35's AHCI ports hold one device each.
    # The run disk gets a boot index too: OVMF only connects the disks
    # listed in the boot order, and GRUB would not see it otherwise.
    args = ["-drive", f"if=none,id=cd,media=cdrom,format=raw,file={iso}",
            "-device", "ide-cd,drive=cd,bus=ide.0,bootindex=0"]
    if run_disk:
        args += ["-drive", f"if=none,id=qrun,format=raw,file={run_disk}",
                 "-device", "ide-hd,drive=qrun,bus=ide.1,bootindex=1"]
    return args


def qemu_command(opts, tmp):
    run_disk = None
    if opts.cmdline is not None or opts.modules:
        run_disk = make_run_disk(tmp, opts.cmdline, opts.modules)
    cmd = [QEMU, "-machine", "q35", "-m", opts.mem,
           "-smp", str(opts.smp), "-display", "none", "-no-reboot",
           "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    cmd += (opts.accel or current_accel(opts.iso)).args(opts.cpu)
    cmd += firmware_args(opts.uefi, tmp)
    cmd += disk_args(opts.iso or DEFAULT_ISO, run_disk)
    if opts.gdb:
        cmd += ["-s", "-S"]      # gdb stub on :1234, CPUs wait for gdb
    return cmd + list(opts.extra)


# ---------------------------------------------------------------- input
#
# The guest's serial input is a pipe we write to. Every boot ends its input
# with Ctrl-D (EOT, 0x04), which the kernel's terminal reads as end of file
# (kernel/tty.c): a shell the kernel runs at the end (init.shell) then
# exits and the kernel powers off, so no boot waits for a keyboard. An
# interactive run first copies our own standard input there (a terminal
# in raw mode, so that the guest does the echoing and line editing), and
# sends the Ctrl-D when that input ends.

EOT = b"\x04"
QUIT_KEY = b"\x1d"          # Ctrl-]: leave an interactive run, as telnet's escape


READY_RE = re.compile(r"Quiesce ready:")   # kernel/main.c: the serial input is live


class Input:
    """Feeds the guest's serial input; see above. Bytes are held back until
    the kernel says it is ready: the firmware, GRUB and the early kernel
    (which resets the UART's FIFO) would otherwise eat the first ones."""

    def __init__(self, proc, interactive):
        self.proc = proc
        self.fd = sys.stdin.fileno() if interactive else None
        self.saved = None
        self.quit = False
        self.live = False
        self.held = b""
        if self.fd is not None and os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd)
        if self.fd is None:
            self.held = EOT

    def ready(self):
        """The kernel printed READY_RE: send what was held back."""
        if not self.live:
            self.live = True
            self.send(self.held)
            self.held = b""

    def send(self, data):
        if not self.live:
            self.held += data
            return
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def feed(self, data):
        """Bytes from our stdin (b"" at its end)."""
        if QUIT_KEY in data:
            self.quit = True
            data = data.split(QUIT_KEY)[0]
        self.send(data if data else EOT)

    def close(self):
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None


# ---------------------------------------------------------------- console

def clean(raw):
    """Bytes of one serial line -> printable text."""
    return ESCAPE_RE.sub("", raw.decode("utf-8", errors="replace"))


class Console:
    """Splits QEMU's serial output into timestamped lines and copies each
    one to stdout and the log file as soon as it is complete."""

    def __init__(self, opts, start):
        self.start = start
        self.on_ready = None     # called once the kernel's READY_RE line is seen
        self.echo = not opts.quiet and not opts.interactive
        self.raw_echo = opts.interactive and not opts.quiet
        self.log = open(opts.log, "w") if opts.log else None
        self.lines = []
        self.partial = b""

    def feed(self, data):
        if self.raw_echo:        # interactive: prompts and echo show before a newline
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            except BrokenPipeError:
                self.raw_echo = False
        *complete, self.partial = (self.partial + data).split(b"\n")
        for raw in complete:
            self.add(raw)

    def add(self, raw):
        text = clean(raw)
        if self.on_ready and READY_RE.search(text):
            self.on_ready()
            self.on_ready = None
        self.lines.append((time.monotonic() - self.start, text))
        if self.log:
            self.log.write(text + "\n")
            self.log.flush()
        if self.echo:
            self.write_stdout(text)

    def write_stdout(self, text):
        try:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # e.g. `qemu-run | head`: stop echoing but let the boot finish.
            self.echo = False
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    def close(self):
        if self.partial:
            self.add(self.partial)
        if self.log:
            self.log.close()


def pump(proc, console, deadline, feeder=None):
    """Copy QEMU's output (and, for an interactive run, our input) until
    QEMU exits (True), the deadline passes or Ctrl-] is typed (False)."""
    stderr = []
    outputs = {proc.stdout.fileno(), proc.stderr.fileno()}
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, console.feed)
    sel.register(proc.stderr, selectors.EVENT_READ, stderr.append)
    if feeder is not None and feeder.fd is not None:
        try:
            sel.register(feeder.fd, selectors.EVENT_READ, feeder.feed)
        except PermissionError:  # a file or /dev/null cannot be polled: send it all now
            with open(feeder.fd, "rb", closefd=False) as f:
                feeder.feed(f.read())
            feeder.feed(b"")
    while outputs:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return False, b"".join(stderr)
        for key, _ in sel.select(left):
            data = os.read(key.fd, 65536)
            if data or key.fd not in outputs:
                key.data(data)           # our input's end is passed on too: Ctrl-D
            if not data:
                sel.unregister(key.fileobj)
                outputs.discard(key.fd)
        if feeder is not None and feeder.quit:
            return False, b"".join(stderr)
    return True, b"".join(stderr)


# -------------------------------------------------------------------- run

def verdict(lines, exited, qemu_exit, timeout):
    """-> (status, poweroff, message) from the console and how QEMU ended."""
    poweroff = None
    for _, text in lines:
        match = POWEROFF_RE.search(text)
        if match:
            poweroff = int(match.group(1))
    if not exited and poweroff is None:
        return STATUS_HUNG, None, f"no poweroff within {timeout:g} s: the kernel hung"
    if not exited:
        return STATUS_HUNG, poweroff, f"poweroff printed but QEMU still ran after {timeout:g} s"
    if poweroff is not None:
        return poweroff, poweroff, ""
    why = f"QEMU exited with status {qemu_exit} without a 'quiesce: poweroff' line"
    return STATUS_NO_POWEROFF, None, why


def run(opts):
    """Boot once and return a RunResult. Never raises for guest failures."""
    iso = Path(opts.iso or DEFAULT_ISO)
    if not iso.exists():
        return RunResult(STATUS_NO_POWEROFF, [], message=f"no ISO at {iso} (run make)")
    with tempfile.TemporaryDirectory(prefix="qemu-run-") as tmp:
        cmd = qemu_command(opts, tmp)
        if opts.verbose:
            print("qemu-run:", shlex.join(map(str, cmd)), file=sys.stderr)
        start = time.monotonic()
        console = Console(opts, start)
        timeout = 0 if opts.gdb else opts.timeout
        deadline = start + timeout if timeout else None
        # Under --gdb, QEMU gets its own session so that a Ctrl-C typed to
        # interrupt the guest in gdb does not reach (and kill) QEMU too.
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=opts.gdb)
        RUNNING.add(proc)
        feeder = None
        try:
            feeder = Input(proc, opts.interactive)
            console.on_ready = feeder.ready
            exited, errors = pump(proc, console, deadline, feeder)
        finally:
            if feeder is not None:
                feeder.close()
            if proc.poll() is None:       # hung, or we were interrupted
                proc.kill()
            proc.wait()
            RUNNING.discard(proc)
            console.close()
    qemu_exit = proc.returncode if exited else None
    status, poweroff, message = verdict(console.lines, exited, qemu_exit, timeout)
    return RunResult(status, console.lines, qemu_exit, poweroff, not exited,
                     message, errors.decode("utf-8", errors="replace"))


def stop_all():
    for proc in list(RUNNING):
        proc.kill()


# -------------------------------------------------------------------- CLI

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="qemu-run", description="Boot Quiesce under QEMU; exit with "
        "the kernel's poweroff status (124 hung, 125 no poweroff line).")
    p.add_argument("--smp", type=int, default=4, help="CPUs (default 4)")
    p.add_argument("--uefi", action="store_true", help="boot with OVMF")
    p.add_argument("--cmdline", help="kernel command line")
    p.add_argument("--module", dest="modules", action="append", default=[],
                   metavar="PATH[=NAME]", help="multiboot2 module (repeatable)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SEC",
                   help="kill QEMU after SEC seconds (0 = never; default 60; "
                   "never when --interactive on a terminal)")
    p.add_argument("--interactive", action="store_true",
                   help="our stdin is the guest's serial input (a terminal in raw mode: "
                   "Ctrl-] quits); Ctrl-D when it ends")
    p.add_argument("--gdb", action="store_true",
                   help="wait for gdb on :1234 (implies no timeout)")
    p.add_argument("--mem", default="512M", metavar="SIZE")
    p.add_argument("--iso", help="default: build/quiesce.iso")
    p.add_argument("--cpu", metavar="MODEL", help="QEMU CPU model")
    p.add_argument("--log", metavar="FILE", help="also write the console here")
    p.add_argument("--quiet", action="store_true", help="no console on stdout")
    p.add_argument("--verbose", action="store_true",
                   help="print the QEMU command on stderr")
    p.add_argument("--time-to", action="append", default=[], metavar="REGEX",
                   help="print host seconds from QEMU start to the first "
                   "console line matching REGEX")
    p.add_argument("extra", nargs="*", help="after --: extra QEMU arguments")
    return p.parse_args(argv)


def report(result, time_to):
    """Explain on stderr anything the console alone does not show."""
    err = sys.stderr
    if result.qemu_stderr.strip() and result.status != result.poweroff:
        err.write(result.qemu_stderr)
    for regex in time_to:
        seconds = result.time_to(regex)
        shown = "not found" if seconds is None else f"{seconds:.3f} s"
        print(f"time-to {regex}: {shown}", file=err)
    if result.message:
        print(f"qemu-run: {result.message}", file=err)
    if result.hung:
        print("qemu-run: last serial lines:", file=err)
        for text in result.tail(20):
            print("    " + text, file=err)


def main(argv):
    args = parse_args(argv)
    # `kill` (e.g. from `make gdb` once gdb quits) must not orphan QEMU:
    # turn the signal into an exception so run() kills QEMU on its way out.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    opts = Options(**{k: v for k, v in vars(args).items() if k != "time_to"})
    if opts.interactive and os.isatty(sys.stdin.fileno()):
        opts.timeout = 0             # a person types: no deadline, Ctrl-] leaves
        print("qemu-run: the serial console is this terminal; Ctrl-] quits QEMU",
              file=sys.stderr)
    if opts.gdb:
        print("qemu-run: CPUs halted; in gdb: target remote :1234", file=sys.stderr)
    try:
        result = run(opts)
    except KeyboardInterrupt:
        return 130
    except (OSError, subprocess.CalledProcessError) as e:   # no QEMU, mtools...
        print(f"qemu-run: cannot boot: {e}", file=sys.stderr)
        return STATUS_NO_POWEROFF
    report(result, args.time_to)
    return result.status
