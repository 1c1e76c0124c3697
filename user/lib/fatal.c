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
 * - Quiesce delivers signals the same way (kernel/signal.c), and when the
 *   default action finally kills the process it also prints
 *   "NAME: SIGSEGV at ADDR ip IP". The tests fault at fixed addresses, and
 *   the runner checks those lines too (tools/suites.py, USER_FAULT_LINES).
 */
#include "check.h"

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
		.handler = (void *)on_fatal_signal,
		.flags = SA_SIGINFO | SA_RESETHAND | SA_RESTORER,
		.restorer = signal_restorer,
	};

	expected_sig = sig;
	expected_addr = addr;
	CHECK_EQ(sys_rt_sigaction(sig, &act, 0, sizeof(act.mask)), 0);
	printf("# expect signal %d at %p\n", sig, addr);
}
