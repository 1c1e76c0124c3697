/*
 * signals - delivery to handlers, as on Linux: the rt_sigframe a handler
 * gets (siginfo, ucontext, registers and FPU state given back by
 * rt_sigreturn), masks while a handler runs, SA_RESETHAND, SA_NODEFER,
 * pending signals that merge or are discarded, SIGSEGV caught and
 * resumed, the alternate stack, signals to one thread (tgkill) or to the
 * process (kill), and a sleep cut short (EINTR). Passes on Linux too.
 */
#include "check.h"

static volatile int hits, last_sig, last_code, last_pid, last_tid;
static volatile unsigned long mask_inside, local_addr;
static volatile void *fault_addr;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int local;
	hits++;
	last_sig = sig;
	last_code = si->si_code;
	last_pid = si->kill.pid;
	last_tid = (int)sys_gettid();
	mask_inside = blocked_mask();
	local_addr = (unsigned long)&local;
}

static void check_handler_and_masks(void)
{
	unsigned long before = blocked_mask(), set;
	struct kernel_sigaction old;

	check_section("a handler runs with siginfo; the mask during and after it");
	CHECK_EQ(set_handler(SIGUSR1, on_signal, 0, SIGMASK(SIGUSR2)), 0);
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGUSR1), 0);       /* delivered on the way back */
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGUSR1);
	CHECK_EQ(last_code, SI_USER);
	CHECK_EQ(last_pid, sys_getpid());
	CHECK(mask_inside & SIGMASK(SIGUSR1));                   /* itself, and sa_mask */
	CHECK(mask_inside & SIGMASK(SIGUSR2));
	CHECK_EQ(blocked_mask(), before);                        /* rt_sigreturn put it back */

	check_section("blocked: pending, merged, delivered when unblocked");
	set = SIGMASK(SIGUSR1);
	CHECK_EQ(sys_rt_sigprocmask(SIG_BLOCK, &set, 0, 8), 0);
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGUSR1), 0);
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGUSR1), 0);
	CHECK_EQ(hits, 1);
	CHECK_EQ(sys_rt_sigpending(&set), 0);
	CHECK_EQ(set, SIGMASK(SIGUSR1));
	set = SIGMASK(SIGUSR1);
	CHECK_EQ(sys_rt_sigprocmask(SIG_UNBLOCK, &set, 0, 8), 0);
	CHECK_EQ(hits, 2);                                       /* two sends, one delivery */

	check_section("SA_NODEFER, SA_RESETHAND; ignoring discards what is pending");
	CHECK_EQ(set_handler(SIGUSR2, on_signal, SA_NODEFER | SA_RESETHAND, 0), 0);
	CHECK_EQ(sys_tgkill((int)sys_getpid(), (int)sys_gettid(), SIGUSR2), 0);
	CHECK_EQ(hits, 3);
	CHECK_EQ(last_code, SI_TKILL);
	CHECK(!(mask_inside & SIGMASK(SIGUSR2)));
	CHECK_EQ(sys_rt_sigaction(SIGUSR2, 0, &old, 8), 0);
	CHECK(old.handler == SIG_DFL);
	set = SIGMASK(SIGUSR2);
	CHECK_EQ(sys_rt_sigprocmask(SIG_BLOCK, &set, 0, 8), 0);
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGUSR2), 0);
	struct kernel_sigaction ign = { .handler = SIG_IGN, .flags = SA_RESTORER,
					.restorer = signal_restorer };
	CHECK_EQ(sys_rt_sigaction(SIGUSR2, &ign, 0, 8), 0);
	CHECK_EQ(sys_rt_sigpending(&set), 0);
	CHECK_EQ(set, 0);
	set = SIGMASK(SIGUSR2);
	CHECK_EQ(sys_rt_sigprocmask(SIG_UNBLOCK, &set, 0, 8), 0);
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGUSR2), 0);       /* ignored: nothing happens */
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGCHLD), 0);       /* default action: ignore */
	CHECK_EQ(hits, 3);
	CHECK_ERRNO(sys_rt_sigaction(SIGKILL, &ign, 0, 8), EINVAL);
	CHECK_ERRNO(sys_kill((int)sys_getpid(), 65), EINVAL);
}

/* ---- SIGSEGV caught: the handler moves rip past the faulting store ---- */

extern char segv_resume[];

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	last_sig = sig;
	last_code = si->si_code;
	fault_addr = si->addr;
	uc->uc_mcontext.rip = (unsigned long)segv_resume;
}

static void check_segv_handler(void)
{
	long r12_after;

	check_section("SIGSEGV to a handler, which resumes after the store");
	CHECK_EQ(set_handler(SIGSEGV, on_segv, 0, 0), 0);
	/* r12 carries a value across the fault: rt_sigreturn must give it back. */
	__asm__ volatile("mov $0x1234567, %%r12\n\t"
			 "movl $1, (%1)\n\t"
			 ".globl segv_resume\nsegv_resume:\n\t"
			 "mov %%r12, %0"
			 : "=r"(r12_after) : "r"(8L) : "r12", "memory");
	CHECK_EQ(last_sig, SIGSEGV);
	CHECK_EQ(last_code, SEGV_MAPERR);
	CHECK(fault_addr == (void *)8);
	CHECK_EQ(r12_after, 0x1234567);
}

/* ---- FPU state: the handler clobbers xmm5, the interrupted code keeps it ---- */

static void on_usr2_fpu(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	hits++;
	__asm__ volatile("pcmpeqd %%xmm5, %%xmm5" ::: "xmm5");     /* all ones */
}

static void check_fpu_kept(void)
{
	unsigned long pattern = 0x0123456789abcdefUL, out;
	long ret;

	check_section("FPU/SSE registers survive a handler that changes them");
	CHECK_EQ(set_handler(SIGUSR2, on_usr2_fpu, 0, 0), 0);
	int before = hits;
	__asm__ volatile("movq %2, %%xmm5\n\t"
			 "syscall\n\t"
			 "movq %%xmm5, %1"
			 : "=a"(ret), "=r"(out)
			 : "r"(pattern), "a"(SYS_kill), "D"(sys_getpid()), "S"(SIGUSR2)
			 : "rcx", "r11", "xmm5", "memory");
	CHECK_EQ(ret, 0);
	CHECK_EQ(hits, before + 1);
	CHECK_EQ(out, pattern);
}

/* ---- the alternate stack ---- */

static volatile int altstack_flags;

static void on_alt(int sig, siginfo_t *si, void *uc)
{
	stack_t now;

	on_signal(sig, si, uc);
	sys_sigaltstack(0, &now);
	altstack_flags = now.ss_flags;
}

static void check_altstack(void)
{
	size_t size = 65536;
	char *mem = (char *)CHECK_OK(map_anon(size, PROT_READ | PROT_WRITE));
	stack_t ss = { mem, 0, size }, old;

	check_section("sigaltstack and SA_ONSTACK");
	CHECK_EQ(sys_sigaltstack(&ss, &old), 0);
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	CHECK_EQ(set_handler(SIGUSR1, on_alt, SA_ONSTACK, 0), 0);
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGUSR1), 0);
	CHECK(local_addr >= (unsigned long)mem && local_addr < (unsigned long)mem + size);
	CHECK_EQ(altstack_flags, 1);                              /* SS_ONSTACK */
	ss.ss_flags = SS_DISABLE;
	CHECK_EQ(sys_sigaltstack(&ss, 0), 0);
	CHECK_EQ(sys_munmap(mem, size), 0);
}

/* ---- other threads: tgkill to one, kill to the one that does not block ---- */

static int stop_word;
static volatile int thread_ready;

static int waiter(void *arg)
{
	unsigned long set = SIGMASK(SIGUSR1);

	(void)arg;
	sys_rt_sigprocmask(SIG_UNBLOCK, &set, 0, 8);
	thread_ready = (int)sys_gettid();
	while (!__atomic_load_n(&stop_word, __ATOMIC_ACQUIRE))
		futex_wait(&stop_word, 0, 0);                     /* EINTR on each signal: again */
	return 0;
}

static int pester(void *arg)
{
	int main_tid = *(int *)arg;

	while (!__atomic_load_n(&stop_word, __ATOMIC_ACQUIRE)) {
		sys_tgkill((int)sys_getpid(), main_tid, SIGUSR1);
		sleep_ms(10);
	}
	return 0;
}

static void check_threads(void)
{
	unsigned long set = SIGMASK(SIGUSR1);
	struct thread *t;

	check_section("tgkill reaches its thread; kill reaches the thread that does not block");
	CHECK_EQ(set_handler(SIGUSR1, on_signal, 0, 0), 0);
	CHECK_EQ(sys_rt_sigprocmask(SIG_BLOCK, &set, 0, 8), 0);
	CHECK_OK(thread_create(&t, waiter, 0));
	while (!thread_ready)
		sys_sched_yield();
	last_tid = 0;
	CHECK_EQ(sys_tgkill((int)sys_getpid(), thread_ready, SIGUSR1), 0);
	while (!last_tid)
		sys_sched_yield();
	CHECK_EQ(last_tid, thread_ready);
	last_tid = 0;
	CHECK_EQ(sys_kill((int)sys_getpid(), SIGUSR1), 0);       /* main blocks it: the waiter */
	while (!last_tid)
		sys_sched_yield();
	CHECK_EQ(last_tid, thread_ready);
	__atomic_store_n(&stop_word, 1, __ATOMIC_RELEASE);
	futex_wake(&stop_word, 1);
	CHECK_EQ(thread_join(t), 0);
	/*
	 * The join returns when the kernel clears the thread's tid, as the
	 * thread lets go of its mm; Linux takes it out of the thread group a
	 * little later, and until then tgkill still finds it (seen on the
	 * host: 0 once in many runs). Gone, it must be ESRCH.
	 */
	long gone;
	for (int i = 0; (gone = sys_tgkill((int)sys_getpid(), thread_ready, SIGUSR1)) == 0 &&
			i < 1000000; i++)
		sys_sched_yield();
	CHECK_ERRNO(gone, ESRCH);
	CHECK_EQ(sys_rt_sigprocmask(SIG_UNBLOCK, &set, 0, 8), 0);

	check_section("a signal cuts nanosleep short: EINTR and the time left");
	struct timespec req = { 5, 0 }, rem = { 0, 0 };
	int me = (int)sys_gettid();
	stop_word = 0;
	CHECK_OK(thread_create(&t, pester, &me));
	CHECK_ERRNO(sys_nanosleep(&req, &rem), EINTR);
	/* Left: more than nothing, about what was asked at most (Linux reports up
	 * to its 50 us timer slack more when the signal comes at once). */
	CHECK(rem.tv_sec < 5 || (rem.tv_sec == 5 && rem.tv_nsec < 1000000));
	CHECK(rem.tv_sec > 0 || rem.tv_nsec > 0);
	__atomic_store_n(&stop_word, 1, __ATOMIC_RELEASE);
	CHECK_EQ(thread_join(t), 0);
}

int main(void)
{
	check_handler_and_masks();
	check_segv_handler();
	check_fpu_kept();
	check_altstack();
	check_threads();
	return check_pass();
}
