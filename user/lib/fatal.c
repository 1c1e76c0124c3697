/*
 * fatal.c - a program that must die by a signal checks how it dies.
 *
 * Dying "by some signal" proves little: a bug elsewhere can kill a program
 * too. So before its deliberate fault a program says which signal and
 * which address it expects, and the check is made where the fault is seen:
 *
 * - On Linux, expect_fatal_signal() installs a one-shot handler (SA_SIGINFO
 *   | SA_RESETHAND). The fault runs it: it compares the signal and the
 *   address in the siginfo with the expected ones. If they differ it prints
 *   what it saw and exits with status 1 (a failure). If they match it
 *   returns; the faulting instruction runs again and, the handler being
 *   reset, the signal's default action kills the process for real, with
 *   the exit status 128 + signal that the runner expects.
 * - Quiesce does not deliver signals yet (handlers are accepted and never
 *   run): the first fault kills the process and the kernel prints
 *   "NAME: SIGSEGV at ADDR ip IP". The tests fault at fixed addresses, and
 *   the runner checks those lines (tools/suites.py, USER_FAULT_LINES).
 */
#include "check.h"

#define SA_SIGINFO   0x00000004UL
#define SA_RESTORER  0x04000000UL
#define SA_RESETHAND 0x80000000UL

/* struct sigaction as the x86-64 kernel reads it. */
struct kernel_sigaction {
	void (*handler)(int sig, struct fault_siginfo *si, void *ucontext);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

/* Where a handler returns to: the rt_sigreturn system call (15). */
void fatal_restore_rt(void);
__asm__(".text\n"
	".type fatal_restore_rt, @function\n"
	"fatal_restore_rt:\n"
	"	mov $15, %eax\n"
	"	syscall\n");

static int expected_sig;
static const void *expected_addr;

static void on_fatal_signal(int sig, struct fault_siginfo *si, void *ucontext)
{
	(void)ucontext;
	if (sig != expected_sig || si->si_signo != sig || si->si_addr != expected_addr) {
		printf("# FAIL: signal %d (code %d) at %p, expected signal %d at %p\n",
		       si->si_signo, si->si_code, si->si_addr, expected_sig, expected_addr);
		sys_exit_group(1);
	}
	printf("# signal %d at %p as expected; its default action ends us now\n",
	       sig, si->si_addr);
}

void expect_fatal_signal(int sig, const void *addr)
{
	struct kernel_sigaction act = {
		.handler = on_fatal_signal,
		.flags = SA_SIGINFO | SA_RESETHAND | SA_RESTORER,
		.restorer = fatal_restore_rt,
	};

	expected_sig = sig;
	expected_addr = addr;
	CHECK_EQ(sys_rt_sigaction(sig, &act, 0, sizeof(act.mask)), 0);
	printf("# expect signal %d at %p\n", sig, addr);
}
