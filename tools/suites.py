"""The boots that `make test` (tools/test-suite) runs, as plain data.

Each suite is one boot of the kernel under QEMU, written as a dict.

How to boot it (any of these may be left out; defaults in DEFAULTS):
    name      unique name; the full log goes to build/logs/<name>.log
    smp       number of CPUs
    uefi      True: boot through OVMF instead of the BIOS
    cmdline   kernel command line (e.g. "ktest" runs the in-kernel tests)
    modules   list of "PATH" or "PATH=NAME" handed to the kernel by GRUB
    cpu       QEMU CPU model, e.g. "qemu32"
    mem       guest RAM, e.g. "512M"
    timeout   seconds before a boot counts as hung and QEMU is killed
    tcg_only  True: skip under KVM (the check needs QEMU's own CPU models)

What to expect from it; every item below is one ok/FAIL line:
    ktap      True: each KTAP test the kernel reports is one result, and
              the kernel must power off with status 1 if one failed, else 0
    status    otherwise: the poweroff status expected, or "nonzero"
    poweroff_line  False: the kernel may die before it can print
              `quiesce: poweroff status=N`; the value written to
              isa-debug-exit is used instead
    log_has   regexes that must each match some line of the serial log
    log_lacks regexes that must match no line
A regex is matched (re.search) against each line with the kernel's
"[cN  secs] " prefix removed, so "^smp:" works.

To add a test: copy a suite, give it a new name, change what differs.
"""

DEFAULTS = dict(smp=4, uefi=False, cmdline=None, modules=[], cpu=None,
                mem="512M", timeout=120, tcg_only=False, ktap=False,
                status=0, poweroff_line=True, log_has=[], log_lacks=[])

# Under software emulation (no KVM) OVMF alone takes about 5 seconds.
UEFI_TIMEOUT = 180

# The programs that must die by a signal: each at its own fixed address
# (user/lib/fatal.c), as the kernel reports it. Dying of some other fault
# would give the same exit status; these lines tell them apart.
USER_FAULT_LINES = [
    r"^segfault: SIGSEGV at 0x8 ip 0x[0-9a-f]+$",
    r"^segv_kernel: SIGSEGV at 0xffff888000100000 ip 0x[0-9a-f]+$",
    r"^segv_readonly: SIGSEGV at 0x2000000000 ip 0x[0-9a-f]+$",
    r"^sigill: SIGILL at 0x0 ip 0x2200000000$",
    r"^tlb_shootdown: SIGSEGV at 0x2100000000 ip 0x[0-9a-f]+$",
]

SUITES = [
    dict(name="bios-smp4", cmdline="ktest", smp=4, ktap=True,
         log_has=[r"smp: 4 CPUs online"]),
    dict(name="uefi-smp4", cmdline="ktest", smp=4, ktap=True, uefi=True,
         timeout=UEFI_TIMEOUT, log_has=[r"smp: 4 CPUs online"]),
    dict(name="bios-smp1", cmdline="ktest", smp=1, ktap=True),
    dict(name="bios-smp2", cmdline="ktest", smp=2, ktap=True),
    dict(name="bios-smp8", cmdline="ktest", smp=8, ktap=True, timeout=240),

    # The bundled user programs (user/tests), run by init from the ISO's
    # default entry, which carries them as modules with init.expect=...;
    # each program is one KTAP result, failed also if it leaked memory.
    dict(name="user-bios-smp4", smp=4, ktap=True, log_has=USER_FAULT_LINES,
         log_lacks=[r"KERNEL EXCEPTION", r"PANIC"]),
    dict(name="user-uefi-smp4", smp=4, ktap=True, uefi=True, timeout=UEFI_TIMEOUT,
         log_has=USER_FAULT_LINES),
    dict(name="user-bios-smp1", smp=1, ktap=True, log_has=USER_FAULT_LINES),
    dict(name="user-bios-smp2", smp=2, ktap=True, log_has=USER_FAULT_LINES),

    # tools/run-elf's mode: init=exit powers off with the program's status.
    dict(name="run-elf-segfault", cmdline="init=exit",
         modules=["build/user/tests/segfault=segfault"], status=139,
         log_has=[r"^segfault: SIGSEGV at 0x8 ip 0x[0-9a-f]+$"]),
    dict(name="run-elf-args", cmdline="init=exit",
         modules=["build/user/tests/hello=hello one two"], status=0,
         log_has=[r"argc 3, argv\[0\] hello"]),
    # R5: with ptfree=ipi an IPI round trip replaces the RCU grace period
    # before a page table is freed. A walker inside rcu_read_lock() runs with
    # interrupts on, answers the IPI mid-walk, and reads the freed (poisoned)
    # table: the test that passes by default must FAIL here, and say why.
    dict(name="r5-ipi-switch", cmdline="ptfree=ipi ktest=pgtable_not_freed_under_rcu_reader",
         status=1,
         log_has=[r"expected !rr\.saw_dead",
                  r"^not ok 1 pgtable_not_freed_under_rcu_reader$"]),

    # tlb_single_page_flush_ceiling: above it a range flush reloads CR3
    # (the user suite sees "0 INVLPG, 4 full" at the default 33); raised to
    # 1000, the same 256-page DONTNEED is flushed page by page on each CPU.
    dict(name="tlb-ceiling", cmdline="init=exit tlb_single_page_flush_ceiling=1000",
         modules=["build/user/tests/tlb_batching=tlb_batching"], status=0,
         log_has=[r"DONTNEED of 256 pages with 3 other CPUs: 3 shootdown IPIs, "
                  r"local flushes: \d{4,} INVLPG, 0 full"]),
    # A file that is not a program: a clear message, status 126, and the
    # kernel goes on to run the next program.
    dict(name="malformed-elf", cmdline="init.expect=notelf:126",
         modules=["boot/grub.cfg=notelf", "build/user/tests/hello=hello"], ktap=True,
         log_has=[r"^notelf: cannot run: not an ELF file$", r"^ok 2 hello$"]),

    # An unknown option is reported, and the kernel still boots.
    dict(name="bad-option", cmdline="ktest=none bogus_option=1", status=0,
         log_has=[r"unknown boot option 'bogus_option'"]),

    # A deliberate page fault in kernel mode must give a full report.
    # (Plain "crashtest" would match the echoed command line; we want the
    # backtrace to name the function that faulted.)
    dict(name="kernel-exception", cmdline="crashtest=pf", status=125,
         log_has=[r"#PF", r"CR2", r"RIP", r"Backtrace", r"crashtest_\w+\+0x",
                  r"stopping other CPUs"]),

    # A 32-bit-only CPU: the 32-bit entry must refuse to go on, and say why.
    dict(name="no-long-mode", cpu="qemu32", tcg_only=True, status="nonzero",
         poweroff_line=False, timeout=60,
         log_has=[r"^Quiesce: boot error: CPU has no long mode$"]),
]
