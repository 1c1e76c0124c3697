"""The boots that `make test` (tools/test-suite) runs, as plain data.

Each suite is one boot of the kernel under QEMU, written as a dict.

How to boot it (any of these may be left out; defaults in DEFAULTS):
    name      unique name; the full log goes to build/logs/<name>.log
    smp       number of CPUs
    uefi      True: boot through OVMF instead of the BIOS
    cmdline   kernel command line (e.g. "ktest" runs the in-kernel tests)
    modules   list of "PATH" or "PATH=NAME" handed to the kernel by GRUB, or
              "bundled": every program the ISO carries, with their
              init.expect, so that cmdline applies to the whole user suite
    cpu       QEMU CPU model, e.g. "qemu32"
    mem       guest RAM, e.g. "512M"
    timeout   seconds before a boot counts as hung and QEMU is killed
    tcg_only  True: skip under KVM (the check needs QEMU's own CPU models)
    host      instead of a boot: a command (argv, run from the repository)
              on this Linux host, whose output is the log and whose exit
              status stands for the poweroff status; `timeout` applies

What to expect from it; every item below is one ok/FAIL line:
    ktap      True: each KTAP test the kernel reports is one result, and
              the kernel must power off with status 1 if one failed, else 0
    status    otherwise: the poweroff status expected, or "nonzero"
    poweroff_line  False: the kernel may die before it can print
              `quiesce: poweroff status=N`; the value written to
              isa-debug-exit is used instead
    log_has   regexes that must each match some line of the serial log
    log_lacks regexes that must match no line
    programs  True: every program the ISO carries (build/user/programs.txt)
              must have a KTAP line, and every KTAP line must be one of
              them; one FAIL line names each program that is missing (it
              never ran, or init never got it), else one ok line
A regex is matched (re.search) against each line with the kernel's
"[cN  secs] " prefix removed, so "^smp:" works.

To add a test: copy a suite, give it a new name, change what differs.
"""

DEFAULTS = dict(smp=4, uefi=False, cmdline=None, modules=[], cpu=None,
                mem="512M", timeout=120, tcg_only=False, ktap=False,
                status=0, poweroff_line=True, log_has=[], log_lacks=[],
                host=None, programs=False)

# Under software emulation (no KVM) OVMF alone takes about 5 seconds.
UEFI_TIMEOUT = 180

# The benchmarks' smoke run: every program of user/bench, tiny sizes.
BENCH_SMOKE = [("page_fault1", "threads=1,2 procs=2 mib=1 ms=50"),
               ("tlb_flush2", "threads=1,2 kib=64 ms=50"),
               ("unmap_latency", "threads=2 iters=3"),
               ("reclaim", "mib=8"),
               ("rcu_gp", "iters=2")]
BENCH_SMOKE_FIGURES = [r"page_fault1\.t2", r"page_fault1\.p2", r"tlb_flush2\.t2", r"unmap_latency\.munmap512",
                       r"reclaim\.vmpte_peak", r"rcu_gp\.membarrier"]

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

# What user/sh/jobs.sh prints, line for line, under busybox sh on Quiesce
# (busybox-script) and on this host (host-busybox-script).
JOBS_SH_LINES = [r"^arith 42 24$", r"^pipe 19$", r"^pipeline 1$", r"^false 1$",
                 r"^subshell 3$", r"^child 42$", r"^killed 137$", r"^wait b 5$",
                 r"^wait a 0$", r"^loop 10$", r"^heredoc through cat$",
                 r"^proc status readable$", r"^proc self is the shell$",
                 r"^a child's parent is the shell$", r"^exe 1$", r"^done$"]

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
    dict(name="user-bios-smp4", smp=4, ktap=True, programs=True,
         log_lacks=[r"KERNEL EXCEPTION", r"PANIC"],
         log_has=USER_FAULT_LINES + [
             r"^Out of memory: Killed process \d+ \(oom\) total-vm:\d+kB, "
             r"anon-rss:\d+kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:\d+kB "
             r"oom_score_adj:0$"]),
    dict(name="user-uefi-smp4", smp=4, ktap=True, programs=True, uefi=True,
         timeout=UEFI_TIMEOUT, log_has=USER_FAULT_LINES),
    dict(name="user-bios-smp1", smp=1, ktap=True, programs=True, log_has=USER_FAULT_LINES),
    dict(name="user-bios-smp2", smp=2, ktap=True, programs=True, log_has=USER_FAULT_LINES),
    # The same programs with the page-table lifetime checker on: not one
    # violation (R1-R6) in the whole user suite.
    dict(name="user-ptcheck", smp=4, ktap=True, programs=True, modules="bundled",
         cmdline="ptcheck", log_has=USER_FAULT_LINES + [
             r"^ptcheck: checking page-table lifetime rules"],
         log_lacks=[r"ptcheck: violation", r"KERNEL EXCEPTION", r"PANIC"]),

    # tools/run-elf's mode: init=exit powers off with the program's status.
    dict(name="run-elf-segfault", cmdline="init=exit",
         modules=["build/user/tests/segfault=segfault"], status=139,
         log_has=[r"^segfault: SIGSEGV at 0x8 ip 0x[0-9a-f]+$"]),
    dict(name="run-elf-args", cmdline="init=exit",
         modules=["build/user/tests/hello=hello one two"], status=0,
         log_has=[r"argc 3, argv\[0\] hello"]),
    # Arguments reach the program byte for byte (percent-encoded through
    # GRUB, decoded by init), and --add puts a host file in the guest's
    # tree; Debian's busybox (make deps) is the unmodified program.
    dict(name="run-elf-spaces",
         host=["tools/run-elf", "--smp", "2", "--add", "tools/suites.py=/etc/a b.txt",
               "/bin/busybox", "sh", "-c",
               'echo "[$1]" "[$2]" "[$3]"; read -r l < "/etc/a b.txt"; echo "$l"; echo /etc/*',
               "sh", "a  b", "it's \"quoted\" %41", ""],
         timeout=180,
         log_has=[r'^\[a  b\] \[it\'s "quoted" %41\] \[\]$', r'^"""The boots that',
                  r"^/etc/a b\.txt$"]),
    # Debian's busybox (an unmodified glibc static binary) as a user would
    # try it: every applet is one KTAP result, leak-checked by init; none
    # may meet an unimplemented system call.
    dict(name="busybox-tools", ktap=True, cmdline="",
         modules=["/bin/busybox=busybox ls -l /proc", "/bin/busybox=busybox ps",
                  "/bin/busybox=busybox id", "/bin/busybox=busybox date +%Y",
                  "/bin/busybox=busybox free", "/bin/busybox=busybox cat /proc/self/maps",
                  "/bin/busybox=busybox stat -c %F:%N /proc/self",
                  "/bin/busybox=busybox cat /proc/self/stat"],
         log_has=[r"^lrwxrwxrwx .* self -> \d+$", r"^-r--r--r-- .* meminfo$",
                  r"^dr-xr-xr-x .* \d+$", r"^\s*\d+\s+0\s+busybox ps$", r"^uid=0 gid=0",
                  r"^20[2-9]\d$", r"^Mem:\s+[1-9]\d+\s+", r"^Swap:\s+0\s+0\s+0$",
                  r"^7fffff7ff000-7ffffffff000 rw-p 00000000 00:00 0 +\[stack\]$",
                  r"^symbolic link:'/proc/self' -> '\d+'$", r"^\d+ \(busybox\) R \d+ "],
         log_lacks=[r"not implemented", r"KERNEL EXCEPTION", r"leaked"]),
    # A shell script of processes, pipes, jobs, statuses and /proc, run by
    # busybox sh: the same lines on Quiesce as on this host.
    dict(name="busybox-script", cmdline="init=exit",
         modules=["user/sh/jobs.sh=/jobs.sh", "/bin/busybox=busybox sh /jobs.sh"],
         log_has=JOBS_SH_LINES, log_lacks=[r"not implemented", r"KERNEL EXCEPTION"]),
    dict(name="host-busybox-script", host=["/bin/busybox", "sh", "user/sh/jobs.sh"],
         log_has=JOBS_SH_LINES),
    # ptcheck (mm/ptcheck.c) watches every page-table page die in order:
    # the whole in-kernel suite runs clean under it.
    dict(name="ptcheck-ktest", cmdline="ptcheck ktest", smp=4, ktap=True,
         log_has=[r"^ptcheck: checking page-table lifetime rules"],
         log_lacks=[r"ptcheck: violation", r"ptbug"]),
    # ptbug=NAME plants one of Linux's historic bugs; each suite runs a
    # workload that passes without it (ptcheck-ktest) and expects ptcheck's
    # report, or the failing test, with it.
    #  - ipi-free (R5): an IPI round trip replaces the RCU grace period. A
    #    walker inside rcu_read_lock() runs with interrupts on, answers the
    #    IPI mid-walk, and reads the freed (poisoned) table.
    dict(name="ptbug-ipi-free",
         cmdline="ptbug=ipi-free ptcheck ktest=pgtable_not_freed_under_rcu_reader",
         status=1,
         log_has=[r"THIS KERNEL IS BROKEN ON PURPOSE",
                  r"^ptcheck: violation R1: page-table page freed before a grace period",
                  r"expected !rr\.saw_dead",
                  r"^not ok 1 pgtable_not_freed_under_rcu_reader$"]),
    #  - no-r4: a PTE table installed where a reclaimed one's flush is owed;
    #    a huge PMD set where a reclaimed table's, or a zapped huge PMD's, is;
    #    every r4_* test fails.
    dict(name="ptbug-no-r4", cmdline="ptbug=no-r4 ptcheck ktest=r4_*", status=1,
         log_has=[r"^ptcheck: violation R4: PMD populated while its TLB flush is pending "
                  r"at 0x30000000000$",
                  r"^not ok \d r4_flush_before_reinstall_after_reclaim$",
                  r"^ptcheck: violation R4: PMD populated while its TLB flush is pending "
                  r"at 0x40000000000$",
                  r"^not ok \d r4_flush_before_huge_pmd$",
                  r"^not ok \d r4_flush_before_pmd_install$",
                  r"^not ok \d r4_flush_unlocked_then_rechecks$"]),
    #  - stale-scan (6.14-rc1): slow reclaim trusts the zap's "empty" after
    #    a fault refilled the table; Linux saw "Bad rss-counter state", here
    #    ptcheck reports R6 and the gather refuses the table (a panic).
    dict(name="ptbug-stale-scan",
         cmdline="ptbug=stale-scan ptcheck ktest=pt_reclaim_refilled_before_slow_path",
         status=125,
         log_has=[r"^ptcheck: violation R6: PTE table reclaimed with an entry in use "
                  r"at 0x30000005000$", r"leaves its mm with 1 entries in use"]),
    #  - ptlock-early (syzbot, Dec 2024): the split lock dies at the unhook,
    #    while an R3 walker may still take it.
    dict(name="ptbug-ptlock-early",
         cmdline="ptbug=ptlock-early ptcheck ktest=pt_reclaim_whole_table", status=0,
         log_has=[r"^ptcheck: violation R1: split PTE lock destroyed before its TLB flush"]),

    #  - collapse-free-now: MADV_COLLAPSE frees the PTE table it retracted
    #    at once instead of through pte_free_defer(); a walker that mapped
    #    the table under rcu_read_lock() before the retract finds it freed.
    dict(name="ptbug-collapse-free-now",
         cmdline="ptbug=collapse-free-now ptcheck ktest=collapse_table_not_freed_under_rcu_reader",
         status=1,
         log_has=[r"THIS KERNEL IS BROKEN ON PURPOSE",
                  r"^ptcheck: violation R1: page-table page freed before a grace period",
                  r"expected !cr\.saw_dead",
                  r"^not ok 1 collapse_table_not_freed_under_rcu_reader$"]),

    # R3: the fault-injection point pte_map_lock widens the window
    # between pte_offset_map_lock's pmd read and its PTE lock; a DONTNEED on
    # another CPU reclaims the table inside it, and the counter pte_map_retry
    # proves the locked recheck saw it and walked again.
    dict(name="r3-recheck", cmdline="fault_inject=pte_map_lock:2 ktest=r3_*", ktap=True,
         log_has=[r"r3_pte_map_lock_recheck: window 2 ms, .* pte_map_retry \+[1-9]",
                  r"^ok 1 r3_pte_map_lock_recheck$"]),

    # R2: with page_poison every word of a freed page holds the poison, so
    # a reader that could still reach a page freed before its flush would
    # read it wherever it looked; it must only ever see old data or zeroes.
    dict(name="r2-page-poison", cmdline="page_poison fault_inject=tlb_flush:2 ktest=r2_*",
         ktap=True,
         log_has=[r"r2_page_freed_after_flush: .* in [1-9]\d* rounds the reader read the zapped "
                  r"page through its stale TLB entry \(poison: every word\)",
                  r"^ok 1 r2_page_freed_after_flush$"]),

    # The same rule under load: pte_table_race's threads fault, write and
    # DONTNEED one PTE table on 4 CPUs while every gather's flush is
    # delayed; with page_poison any page freed before its flush shows.
    dict(name="race-r2-window", cmdline="init=exit page_poison fault_inject=tlb_flush:1",
         modules=["build/user/tests/pte_table_race=pte_table_race"], status=0,
         log_has=[r"^# fault_inject_tlb_flush_hits \+[1-9]\d*$", r"^# PASS: \d+ checks$"]),

    # tlb_single_page_flush_ceiling: above it a range flush reloads CR3
    # (the user suite sees "0 INVLPG, 4 full" at the default 33); raised to
    # 1000, the same 256-page DONTNEED is flushed page by page on each CPU.
    dict(name="tlb-ceiling", cmdline="init=exit tlb_single_page_flush_ceiling=1000",
         modules=["build/user/tests/tlb_batching=tlb_batching"], status=0,
         log_has=[r"DONTNEED of 256 pages with 3 other CPUs: 3 shootdown IPIs, "
                  r"local flushes: \d{4,} INVLPG, 0 full"]),
    # Issue 9, bug 1: a thread on its way out must not keep the mm loaded.
    # fault_inject=exit_delay holds each exiting thread after it left its
    # process until its CPU drops the mm, so the main thread's exit_group
    # always lands in that window (without the fix: __mmdrop panicked "still
    # loaded"). The last run reads the point's counters: three holds, each
    # ended by the mm being dropped.
    dict(name="exit-race", cmdline="fault_inject=exit_delay:30000",
         modules=["build/user/tests/exit_race=exit_race"] * 3
         + ["build/user/tests/exit_race=exit_race check 3"], ktap=True,
         log_lacks=[r"PANIC", r"KERNEL EXCEPTION", r"did not come"]),
    # Issue 14: the fuzzer (user/tests/fuzz.c) with two fixed seeds, four
    # threads each besides the faulting, zapping and mapping ones. A failure
    # prints the call and "replay: fuzz SEED COUNT".
    dict(name="fuzz", timeout=600,
         modules=["build/user/tests/fuzz=fuzz 1 800 4", "build/user/tests/fuzz=fuzz 2 800 4"],
         ktap=True, log_lacks=[r"PANIC", r"KERNEL EXCEPTION", r"leaked"]),
    # The whole user suite with allocation failures injected: every page
    # allocation of a user process fails with 1% probability, every 29th
    # page-table page cannot be had. Programs may rightly fail (ENOMEM,
    # EFAULT, exec failing); what must hold is that the kernel survives and
    # each program, killed or not, gives back every page (init.any_status).
    # A user fault whose page cannot be had is retried, as Linux's
    # pagefault_out_of_memory does: no program but the ones meant to may
    # die of SIGSEGV or SIGBUS.
    dict(name="user-failinject", modules="bundled", programs=True, timeout=900,
         cmdline="init.any_status fault_inject=page_alloc:percent=1:seed=1,"
                 "pgtable_alloc:every=29",
         ktap=True, log_lacks=[r"PANIC", r"KERNEL EXCEPTION", r"leaked",
                               r"^(?!segfault:|segv_kernel:|segv_readonly:|tlb_shootdown:)"
                               r"\S+: SIG(SEGV|BUS) at"],
         log_has=[r"^fault_inject: page_alloc: [1-9]\d* of \d+ calls failed$",
                  r"^fault_inject: pgtable_alloc: [1-9]\d* of \d+ calls failed$"]),
    # Issue 11: faults, MADV_COLLAPSE and MADV_DONTNEED of one range on
    # every CPU, under ptcheck. fault_inject=collapse_walker_hold holds each
    # PTE-table walker that maps a table while a collapse runs, inside
    # rcu_read_lock(), until its PMD changes or the collapse ends, so a
    # walker is inside the table the collapse retracts; collapse_free_delay
    # holds each retracted table before pte_free_defer(). The program runs
    # until the counters show it all happened ("race").
    dict(name="thp-stress",
         cmdline="ptcheck fault_inject=collapse_walker_hold:5000,collapse_free_delay:20",
         modules=["build/user/tests/thp_stress=thp_stress race"], ktap=True, timeout=240,
         log_lacks=[r"PANIC", r"KERNEL EXCEPTION", r"ptcheck: violation"]),

    # khugepaged (thp=always): blocks split back into small pages are
    # collapsed again behind the program's back, every byte kept. The scan
    # interval is cut from Linux's 10 s so that the program's wait is short.
    dict(name="khugepaged", cmdline="thp=always khugepaged.scan_sleep_ms=100 ptcheck",
         modules=["build/user/tests/thp_khugepaged=thp_khugepaged"], ktap=True,
         log_lacks=[r"PANIC", r"KERNEL EXCEPTION", r"ptcheck: violation"]),

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

    # On this Linux host, no QEMU: the runner's own unit tests, and every
    # bundled program run directly (it must pass on Linux before Quiesce is
    # asked to pass it). Both print KTAP, one result line per test.
    dict(name="host-selftest", host=["tools/test-suite", "--selftest"],
         ktap=True, timeout=120),
    dict(name="host-user", host=["make", "--no-print-directory", "user-host-test"],
         ktap=True, programs=True, timeout=600),

    # Empty PTE tables reclaimed by MADV_DONTNEED (R6), user side. The
    # default user suites run pt_reclaim and pt_reclaim_race with reclaim
    # on; these boots change what they must see.
    # ptreclaim=off: one empty table per 2 MiB chunk stays behind.
    dict(name="pt-reclaim-off", cmdline="init=exit ptreclaim=off",
         modules=["build/user/tests/pt_reclaim=pt_reclaim --expect-off"], status=0,
         log_has=[r"^# .*expecting reclaim of none$",
                  r"^# aligned: expected 512 tables left",
                  r"^# PASS: \d+ checks$"]),
    # Every reclaim takes the slow path and is held 20 ms before it, no
    # lock held: faults refill tables and the other DONTNEED reclaims them
    # in that window. The program then builds each outcome on purpose
    # (busy, raced, R4 flush before installing a table); ptcheck watches.
    dict(name="pt-reclaim-race",
         cmdline="init=exit ptcheck ptreclaim.force_slow fault_inject=reclaim_slow:20",
         modules=["build/user/tests/pt_reclaim_race=pt_reclaim_race --injected"],
         status=0, timeout=300,
         log_has=[r"^ptcheck: checking page-table lifetime rules",
                  r"pt_reclaim_busy, attempt \d+$", r"pt_reclaim_raced, attempt \d+$",
                  r"tlb_flush_before_set_pmd, attempt \d+$", r"^# PASS: \d+ checks$"],
         log_lacks=[r"ptcheck: violation", r"PANIC"]),
    # The same workload with a historic bug planted must fail:
    #  - stale-scan: the slow path trusts the zap's "empty"; a writer's
    #    refill is reclaimed with the table (ptcheck R6, then the gather
    #    refuses the table: a panic).
    dict(name="ptbug-stale-scan-race",
         cmdline="init=exit ptbug=stale-scan ptcheck ptreclaim.force_slow "
                 "fault_inject=reclaim_slow:20",
         modules=["build/user/tests/pt_reclaim_race=pt_reclaim_race --injected"],
         status=125, timeout=300,
         log_has=[r"^ptcheck: violation R6: PTE table reclaimed with an entry in use",
                  r"leaves its mm with \d+ entries in use"]),
    #  - no-r4: a table installed while a held DONTNEED still owes its flush
    #    is not flushed first (ptcheck R4; the R4 counter never moves).
    dict(name="ptbug-no-r4-race",
         cmdline="init=exit ptbug=no-r4 ptcheck ptreclaim.force_slow "
                 "fault_inject=reclaim_slow:20",
         modules=["build/user/tests/pt_reclaim_race=pt_reclaim_race --injected"],
         status=1, timeout=300,
         log_has=[r"^ptcheck: violation R4: PMD populated while its TLB flush is pending",
                  r"tlb_flush_before_set_pmd did not move in \d+ attempts"]),
    # R4's flush is made with the PMD lock dropped: pairs of threads refill
    # and reclaim one PTE table each, so a clear of the same PMD often comes
    # during the partner's flush (fault_inject=r4_relock widens the window);
    # the populate must see it when it takes the lock again and flush again
    # (the retry counter moves), and ptcheck must see no table set while a
    # clear's flush is owed.
    dict(name="r4-recheck-race", cmdline="init=exit ptcheck fault_inject=r4_relock:1",
         modules=["build/user/tests/r4_recheck_race=r4_recheck_race --expect-retry"],
         status=0, timeout=300,
         log_has=[r"^ptcheck: checking page-table lifetime rules",
                  r"^# R4 flushes \d+, retries after a clear made meanwhile [1-9]\d*$",
                  r"^# PASS: \d+ checks$"],
         log_lacks=[r"ptcheck: violation", r"PANIC"]),
    # Per-VMA locks (mm/mmap_lock.h): faults run while mmap_lock is held for
    # writing on another VMA (the madvise's hold ends only by such faults),
    # and a fault racing an munmap or mprotect of its own VMA, held between
    # its lockless lookup and the VMA's lock, falls back (SIGSEGV, not a
    # page); an mprotect or munmap waits for a fault that holds the VMA's lock.
    dict(name="vma-lock-race", smp=4,
         cmdline="init=exit fault_inject=mmap_write_hold:20000,vma_lock_lookup:20000,"
                 "vma_lock_held:20000",
         modules=["build/user/tests/vma_lock_race=vma_lock_race"], status=0, timeout=300,
         log_has=[r"^# holds ended by per-VMA-lock faults 1, such faults [1-9]\d*$",
                  r"^# held 1, found the VMA detached [1-9]\d*$",
                  r"^# holds ended by a waiting writer 1$",
                  r"^# holds ended by a waiting munmap 1$", r"^# PASS: \d+ checks$"],
         log_lacks=[r"the awaited event did not come", r"PANIC"]),
    # The same with per_vma_lock=off: every fault takes mmap_lock, so the
    # madvise's hold can only time out, and the test must say so.
    dict(name="vma-lock-off", smp=4,
         cmdline="init=exit per_vma_lock=off fault_inject=mmap_write_hold:3000",
         modules=["build/user/tests/vma_lock_race=vma_lock_race"], status=1, timeout=300,
         log_has=[r"mmap_write_hold: held 3000 ms, the awaited event did not come",
                  r"vma_lock_race.c:\d+: point\(\"mmap_write_hold\", \"events\"\) - events0"]),
    # The benchmarks of user/bench (`make bench`, tools/bench), smoke-run
    # with tiny sizes so that they do not rot: each must exit 0 and print
    # its BENCH lines; no figure is judged. On Quiesce (with the in-kernel
    # RCU benchmark, kbench=rcu) and directly on this host.
    dict(name="bench-smoke", cmdline="init=ktap kbench=rcu", smp=4, ktap=True,
         modules=[f"build/user/bench/{n}={n} {args}" for n, args in BENCH_SMOKE],
         log_has=[rf"^BENCH {f} \d+ \S+$" for f in BENCH_SMOKE_FIGURES
                  + [r"rcu\.sync_gp", r"rcu\.call_rcu"]],
         log_lacks=[r"PANIC", r"KERNEL EXCEPTION"]),
    # The sampling profiler (kernel/profile.c, `profile`): its test needs the
    # option; and a profiled program ends with the report -- the top
    # functions, the lock statistics, the shootdown counters.
    dict(name="profile-ktest", cmdline="profile=1000 ktest=profile_*", smp=4, ktap=True),
    dict(name="profile-report", cmdline="init=exit profile=1000", smp=4,
         modules=["build/user/bench/page_fault1=page_fault1 threads=2 mib=1 ms=200"],
         log_has=[r"^profile: sampling every CPU at 1000 Hz",
                  r"^profile: \d+ samples on 4 CPUs at 1000 Hz",
                  r"^profile: +\d+ +\d+\.\d% \w+",
                  r"^lockstat: mmap_lock +[1-9]\d* ", r"^lockstat: zone\.lock +[1-9]\d* ",
                  r"^profile: TLB shootdowns: \d+ flushes sent \d+ IPIs"]),
    # spinlock=ticket|tas|auto (kernel/spinlock.c): the lock tests under
    # each kind, and auto's choice under QEMU (the CPUID hypervisor bit).
    dict(name="spinlock-ticket", cmdline="spinlock=ticket ktest=spinlock_*", smp=4,
         ktap=True, log_has=[r"^spinlock: ticket \(FIFO\)$"]),
    dict(name="spinlock-tas", cmdline="spinlock=tas ktest=spinlock_*", smp=4,
         ktap=True, log_has=[r"^spinlock: test-and-set$"]),
    dict(name="spinlock-auto", cmdline="ktest=none", smp=1,
         log_has=[r"^spinlock: test-and-set \(auto: the CPUID hypervisor bit says"]),
    dict(name="host-bench", timeout=120,
         host=["sh", "-ec", "; ".join(f"build/user/bench/{n} {args}" for n, args in BENCH_SMOKE)],
         log_has=[rf"^BENCH {f} \d+ \S+$" for f in BENCH_SMOKE_FIGURES]),

    # The page-table dump (/proc/self/pagetable, mm/ptdump.c) walks like any
    # lockless walker. ptdump_race dumps while a dropper's DONTNEEDs reclaim
    # its table; fault_inject=ptdump_walk holds the dump between its PMD read
    # and its PTE lock until that PMD changes, so the reclaim lands inside
    # the window: the dump must walk again (raced > 0), ptcheck sees no R3
    # violation, and every dump parses. The dropper also collapses a block
    # into a huge PMD and zaps it, round after round.
    dict(name="ptdump-race", cmdline="init=exit ptcheck fault_inject=ptdump_walk:200",
         modules=["build/user/tests/ptdump_race=ptdump_race --injected"], status=0,
         timeout=300,
         log_has=[r"^ptcheck: checking page-table lifetime rules",
                  r"^# \d+ dumps while .*: [1-9]\d* walked again after a reclaim \(raced\)$",
                  r"^# fault injection: ptdump_walk ended [1-9]\d* holds on a PMD change$",
                  r"^# the dropper collapsed its block [1-9]\d* times",
                  r"^# PASS: \d+ checks$"],
         log_lacks=[r"ptcheck: violation", r"PANIC", r"KERNEL EXCEPTION"]),

    # Coursework (docs/labs): every lab's student tree (tools/lab prepare:
    # the marked regions of the kernel replaced by stubs) builds and fails
    # its grader, and this tree, the reference, passes it. Runs after the
    # build; each lab boots its grader twice (student, reference).
    dict(name="labs", host=["tools/lab", "check"], ktap=True, timeout=900),

    # docs/gdb.md's walk-through, run for real: gdb attached to a halted
    # QEMU (its own port), tools/gdb_pt.py's pt-walk at each step (a table
    # born in the fault handler, reclaimed, freed by an RCU callback).
    dict(name="gdb-walkthrough", host=["tools/gdb-walk-test"], ktap=True, timeout=300),

    # pcp_high=0 (mm/page_alloc.c): no per-CPU page lists, every page
    # through zone.lock -- the "before" of the lists stays a working kernel
    # (the pcp_* tests skip themselves).
    dict(name="pcp-off", cmdline="pcp_high=0 ktest", smp=4, ktap=True,
         log_has=[r"^page_alloc: per-CPU page lists off \(pcp_high=0\)$"]),
]
