# user/user.mk - the user side: a small libc and the bundled programs.
#
# Included by the top-level Makefile, whose $(CC), $(B) and $(Q) it uses.
#
#   make user             every program, to build/user/tests/NAME
#   make user-host-test   run each program directly on this Linux host
#
# The programs are static x86-64 Linux ELF files. They run unchanged on Linux
# and on Quiesce (docs/design.md, section 8); running them on the host first
# shows the tests themselves are right before Quiesce is asked to pass them.
#
# What is built, by naming convention, with no list to keep up to date:
#   user/tests/NAME.c       NAME: our libc, fixed address (ET_EXEC)
#   user/tests/musl_NAME.c  musl_NAME: musl's libc, `musl-gcc -static`
#   NAME in USER_PIE        NAME_pie as well: our libc, static-PIE (ET_DYN)
#   user/bench/NAME.c       bench/NAME: a benchmark (tools/bench), our libc;
#                           not on the ISO, passed to a boot as a module
#   user/linux-init/init.c  linux-init/init: /init of tools/bench's Linux guest
# A program passes when it exits 0, or with USER_STATUS_NAME if that is set
# (USER_HOST_STATUS_NAME, if set, on the host instead).
# USER_PROGS lists every program built, for the ISO to carry.

B ?= build
UB := $(B)/user
MUSL_CC ?= musl-gcc

# Including this file must not change the includer's default goal.
user_saved_goal := $(.DEFAULT_GOAL)

# The host compiler used as a freestanding one, as for the kernel, but for
# ordinary user code: no kernel code model, SSE and the red zone allowed.
UCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding \
	-fno-stack-protector -fno-strict-aliasing -Iuser/lib -MMD -MP
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)),clang)
UCFLAGS += -target x86_64-linux-gnu
else
# gcc would turn the loop in memset() into a call to memset()
UCFLAGS += -fno-tree-loop-distribute-patterns
endif
ULDFLAGS := -nostdlib -Wl,-z,noexecstack
MUSLFLAGS := -static -std=gnu11 -O2 -g -Wall -Wextra -Werror

ULIB_C := $(sort $(wildcard user/lib/*.c))
ULIB_S := $(sort $(wildcard user/lib/*.S))
ULIB_OBJS := $(filter-out crt0.o,\
	$(ULIB_C:user/lib/%.c=%.o) $(ULIB_S:user/lib/%.S=%.o))

USER_SRCS := $(sort $(wildcard user/tests/*.c))
USER_MUSL := $(filter musl_%,$(notdir $(basename $(USER_SRCS))))
USER_OWN := $(filter-out musl_%,$(notdir $(basename $(USER_SRCS))))
USER_PIE := hello
USER_PROGS := $(addprefix $(UB)/tests/,$(USER_OWN) $(USER_MUSL) \
	$(addsuffix _pie,$(USER_PIE)))
BENCH_NAMES := $(notdir $(basename $(sort $(wildcard user/bench/*.c))))
BENCH_PROGS := $(addprefix $(UB)/bench/,$(BENCH_NAMES)) $(UB)/linux-init/init

# An exit status other than 0 that means "pass": death by SIGSEGV, 128+11.
USER_STATUS_segfault := 139
USER_STATUS_segv_readonly := 139
USER_STATUS_segv_kernel := 139
USER_STATUS_sigill := 132
USER_STATUS_tlb_shootdown := 139
# Killed by the OOM killer: SIGKILL, 128+9. On a big host it skips the
# exhaustion (it would take the host down) and exits 0.
USER_STATUS_oom := 137
USER_HOST_STATUS_oom := 0

.PHONY: user user-host-test
user: $(USER_PROGS) $(BENCH_PROGS)

user-host-test: $(USER_PROGS)
	$(Q)sh user/host-test $(foreach p,$(USER_PROGS),\
		$(p):$(or $(USER_HOST_STATUS_$(notdir $(p))),$(USER_STATUS_$(notdir $(p))),0))

# Compiles $< to $@ with $(1) added: -fno-pie or -fPIE.
define user_cc
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  CC      $@')
	$(Q)$(CC) $(UCFLAGS) $(1) -c $< -o $@
endef

# The libc, twice: fixed-address code (lib/), and position-independent code
# for static-PIE programs (lib-pie/). These are static pattern rules, so the
# top-level kernel rule for $(B)/%.o is never picked for user objects.
$(ULIB_C:user/lib/%.c=$(UB)/lib/%.o): $(UB)/lib/%.o: user/lib/%.c
	$(call user_cc,-fno-pie)
$(ULIB_S:user/lib/%.S=$(UB)/lib/%.o): $(UB)/lib/%.o: user/lib/%.S
	$(call user_cc,-fno-pie)
$(ULIB_C:user/lib/%.c=$(UB)/lib-pie/%.o): $(UB)/lib-pie/%.o: user/lib/%.c
	$(call user_cc,-fPIE)
$(ULIB_S:user/lib/%.S=$(UB)/lib-pie/%.o): $(UB)/lib-pie/%.o: user/lib/%.S
	$(call user_cc,-fPIE)

# crt0 is linked explicitly and first, not pulled from the archive.
$(UB)/lib/libuser.a: $(addprefix $(UB)/lib/,$(ULIB_OBJS))
$(UB)/lib-pie/libuser.a: $(addprefix $(UB)/lib-pie/,$(ULIB_OBJS))
$(UB)/lib/libuser.a $(UB)/lib-pie/libuser.a:
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(USER_OWN:%=$(UB)/tests/%.o): $(UB)/tests/%.o: user/tests/%.c
	$(call user_cc,-fno-pie)
$(USER_PIE:%=$(UB)/tests/%_pie.o): $(UB)/tests/%_pie.o: user/tests/%.c
	$(call user_cc,-fPIE)

$(BENCH_NAMES:%=$(UB)/bench/%.o): $(UB)/bench/%.o: user/bench/%.c
	$(call user_cc,-fno-pie)
$(UB)/linux-init/init.o: user/linux-init/init.c
	$(call user_cc,-fno-pie)

# -static links a fixed-address executable (ET_EXEC), -static-pie one that
# is loaded anywhere and relocates itself (ET_DYN, user/lib/reloc.c).
$(USER_OWN:%=$(UB)/tests/%) $(BENCH_PROGS): %: %.o $(UB)/lib/crt0.o $(UB)/lib/libuser.a
	@$(if $(Q),echo '  LD      $@')
	$(Q)$(CC) $(ULDFLAGS) -static -o $@ $(UB)/lib/crt0.o $< \
		$(UB)/lib/libuser.a

$(USER_PIE:%=$(UB)/tests/%_pie): %: %.o $(UB)/lib-pie/crt0.o \
		$(UB)/lib-pie/libuser.a
	@$(if $(Q),echo '  LD PIE  $@')
	$(Q)$(CC) $(ULDFLAGS) -static-pie -o $@ $(UB)/lib-pie/crt0.o $< \
		$(UB)/lib-pie/libuser.a

$(USER_MUSL:%=$(UB)/tests/%): $(UB)/tests/%: user/tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo '  MUSL    $<')
	$(Q)$(MUSL_CC) $(MUSLFLAGS) -MMD -MP -MF $@.d -o $@ $<

-include $(wildcard $(UB)/*/*.d)

.DEFAULT_GOAL := $(user_saved_goal)
