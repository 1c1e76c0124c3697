# Quiesce — build, run and test.
#
#   make          build build/quiesce.elf and build/quiesce.iso
#   make run      boot with -smp 4, run the bundled programs, then a shell on this terminal
#   make test     every test suite (in-kernel KTAP under BIOS/UEFI, -smp 1/2/4/8,
#                 the user programs, the runner's own tests, user-host-test)
#   make bench    Quiesce against Linux in the same QEMU machine (tools/bench)
#   make gdb      QEMU halted with a gdb stub, gdb attached with symbols
#   make deps     install the Debian packages the build and tests need
#   make lab LAB=walk     coursework: prepare build/labs/walk/ (docs/labs/)
#   make grade LAB=walk   in a lab's tree: build and grade it
#
# The kernel is built with the host compiler used as a freestanding one.
# Override with CC=clang, or CROSS_COMPILE=x86_64-elf- where such a tool exists.

CROSS_COMPILE ?=
CC      := $(if $(filter default,$(origin CC)),$(CROSS_COMPILE)gcc,$(CC))
LD      := $(if $(filter default,$(origin LD)),$(CROSS_COMPILE)ld,$(LD))
NM      := $(CROSS_COMPILE)nm
OBJCOPY := $(CROSS_COMPILE)objcopy
NASM    ?= nasm
PYTHON  ?= python3

B := build
Q := $(if $(V),,@)

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -nostdlib -fno-builtin -fno-pie -fno-pic -fno-stack-protector \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer \
	-fno-strict-aliasing -fno-common -fno-asynchronous-unwind-tables \
	-I. -MMD -MP
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)),clang)
CFLAGS += -target x86_64-unknown-none-elf -Wno-gnu-variable-sized-type-not-at-end
else
# gcc would turn our own memset/memmove loops into calls to themselves
CFLAGS += -fno-tree-loop-distribute-patterns
# emit tests (and everything else) in source order: ktest runs them that way
CFLAGS += -fno-toplevel-reorder
endif
NASMFLAGS := -f elf64 -g -F dwarf
LDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker.ld

# Every .c / .asm under these directories is part of the kernel: adding a file
# needs no Makefile change.
KDIRS := boot arch/x86_64 kernel mm
CSRCS := $(sort $(foreach d,$(KDIRS),$(wildcard $(d)/*.c)))
ASRCS := $(sort $(foreach d,$(KDIRS),$(wildcard $(d)/*.asm)))
OBJS  := $(CSRCS:%.c=$(B)/%.o) $(ASRCS:%.asm=$(B)/%.o)

.PHONY: all deps run test soak gdb clean iso bench bench-progs lab grade
all: $(B)/quiesce.iso bench-progs

# The user programs (user/user.mk): before the ISO rule, which lists them.
include user/user.mk

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $<')
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/%.o: %.asm
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  NASM    $<')
	$(Q)$(NASM) $(NASMFLAGS) -MD $(B)/$*.d -MP $< -o $@

# Two-pass link for a symbolized backtrace: link once without symbols, turn
# `nm` of that image into a sorted table, link again with the table. The table
# lives in its own section placed last (linker.ld), so adding it moves no code.
$(B)/ksyms0.o: tools/gen-ksyms
	@mkdir -p $(B)
	$(PYTHON) tools/gen-ksyms /dev/null > $(B)/ksyms0.S
	$(CC) -c $(B)/ksyms0.S -o $@

$(B)/quiesce0.elf: $(OBJS) $(B)/ksyms0.o linker.ld
	$(LD) $(LDFLAGS) -o $@ $(OBJS) $(B)/ksyms0.o

$(B)/ksyms.o: $(B)/quiesce0.elf tools/gen-ksyms
	$(NM) -n $< | $(PYTHON) tools/gen-ksyms - > $(B)/ksyms.S
	$(CC) -c $(B)/ksyms.S -o $@

$(B)/quiesce.elf: $(OBJS) $(B)/ksyms.o linker.ld
	$(LD) $(LDFLAGS) -o $@ $(OBJS) $(B)/ksyms.o
	@$(NM) -n $@ | $(PYTHON) tools/gen-ksyms --check $(B)/quiesce0.elf

# The ISO carries the kernel and every bundled user program as a GRUB module
# (its name is the program's argv[0]); boot/grub.cfg's @MODULES@ and
# @CMDLINE@ lines are filled in here. build/user/programs.txt lists each
# program with the exit status that means "pass", for tools/test-suite.
comma := ,
USER_EXPECT = $(subst $(eval) ,$(comma),$(strip $(foreach p,$(USER_PROGS),\
	$(if $(USER_STATUS_$(notdir $(p))),$(notdir $(p)):$(USER_STATUS_$(notdir $(p)))))))

#
# The kernel keeps at most MAX_MODULES modules (kernel/bootinfo.h) and can
# only printk about the rest at boot, where nobody may read it: so more
# programs than that is an error here, before an ISO is made.
MAX_MODULES := $(shell sed -n 's/^\#define MAX_MODULES[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' kernel/bootinfo.h)

#
# After the programs, `make run` leaves a person in a shell: Debian's
# busybox (busybox-static, `make deps`) rides along as /bin/busybox with
# /bin/sh linked to it (a module string starting with '/' is a file for the
# tree, kernel/init.c), and init.shell=/bin/sh runs it last. Without it the
# ISO is made all the same, with no shell.
BUSYBOX ?= $(wildcard /bin/busybox)
ISO_MODULES := $(words $(USER_PROGS) $(BUSYBOX))
ISO_CMDLINE := $(strip $(if $(USER_EXPECT),init.expect=$(USER_EXPECT)) \
	$(if $(BUSYBOX),init.shell=/bin/sh))

$(B)/quiesce.iso: $(B)/quiesce.elf boot/grub.cfg $(USER_PROGS) $(BUSYBOX) kernel/bootinfo.h
	@if [ -z "$(MAX_MODULES)" ]; then \
		echo "error: no '#define MAX_MODULES N' in kernel/bootinfo.h" >&2; exit 1; fi
	@if [ $(ISO_MODULES) -gt $(MAX_MODULES) ]; then \
		echo "error: $(ISO_MODULES) modules (user programs and busybox), but the kernel takes" \
			"at most $(MAX_MODULES) GRUB modules (MAX_MODULES in kernel/bootinfo.h)" >&2; \
		rm -f $@; exit 1; fi
	@rm -rf $(B)/iso && mkdir -p $(B)/iso/boot/grub $(B)/iso/boot/user
	cp $(B)/quiesce.elf $(B)/iso/boot/quiesce.elf
	cp $(USER_PROGS) $(B)/iso/boot/user/
	@for p in $(notdir $(USER_PROGS)); do \
		printf '\tmodule2 /boot/user/%s %s\n' $$p $$p; done > $(B)/modules.cfg
	$(if $(BUSYBOX),cp $(BUSYBOX) $(B)/iso/boot/user/busybox)
	$(if $(BUSYBOX),@printf '\tmodule2 /boot/user/busybox /bin/busybox /bin/sh\n' >> $(B)/modules.cfg)
	sed -e '/@MODULES@/{r $(B)/modules.cfg' -e 'd}' \
		-e 's|@CMDLINE@|$(ISO_CMDLINE)|' \
		boot/grub.cfg > $(B)/iso/boot/grub/grub.cfg
	@printf '%s %s\n' $(foreach p,$(USER_PROGS),$(p) $(or $(USER_STATUS_$(notdir $(p))),0)) \
		> $(B)/user/programs.txt
	grub-mkrescue -o $@ $(B)/iso 2>$(B)/grub-mkrescue.log || { cat $(B)/grub-mkrescue.log; exit 1; }

# QEMU's accelerator: auto (KVM only after a probe boot proved it works),
# kvm or tcg; tools/qemu_run.py reads it from the environment.
ifdef ACCEL
export QUIESCE_ACCEL := $(ACCEL)
endif

deps:
	@tools/install-deps

# deps first, then the build: under `make -j` the two must not overlap
# (the build needs what deps installs).
# The console is this terminal (Ctrl-] quits QEMU); the shell at the end
# exits at the end of input, so `make run < /dev/null` ends by itself.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	tools/qemu-run --smp 4 --interactive --timeout 900 $(if $(CMDLINE),--cmdline "$(CMDLINE)")

test: deps
	$(Q)$(MAKE) --no-print-directory all
	tools/test-suite

# Not part of `make test`: fuzzer, race tests and benchmarks in a loop in one
# boot for SOAK_MINUTES (default 30), a progress line each minute (tools/soak).
SOAK_MINUTES ?= 30
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	tools/soak $(SOAK_MINUTES)

# The benchmarks of user/bench, built with `all` (the test suites smoke-run them).
bench-progs: $(BENCH_PROGS)

# Quiesce against Linux on the same emulated machine (tools/bench; not part
# of `make test`): the table goes to build/bench.md. BENCH='--runs 1' etc.
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	tools/bench $(BENCH)

# PROG=name boots that one user program (init=exit unless CMDLINE says otherwise).
gdb: deps
	$(Q)$(MAKE) --no-print-directory all
	tools/qemu-run --smp 4 --gdb $(if $(or $(CMDLINE),$(PROG)),--cmdline "$(or $(CMDLINE),init=exit)") \
		$(if $(PROG),--module "$(B)/user/tests/$(PROG)=$(PROG)") & \
	gdb -q -x tools/gdbinit $(B)/quiesce.elf; kill %1 2>/dev/null; wait

# Coursework (docs/labs/README.md): a student's tree for one lab, and its grader.
lab:
	@test -n "$(LAB)" || { echo "usage: make lab LAB=name (tools/lab list)" >&2; exit 2; }
	$(PYTHON) tools/lab prepare $(LAB)

grade: deps
	@test -n "$(LAB)" || { echo "usage: make grade LAB=name (tools/lab list)" >&2; exit 2; }
	$(Q)$(MAKE) --no-print-directory all
	$(PYTHON) tools/lab grade $(LAB)

clean:
	rm -rf $(B)

# A changed Makefile (flags) rebuilds everything.
$(OBJS): Makefile

-include $(OBJS:.o=.d)
