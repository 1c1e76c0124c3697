/*
 * Tests of user mode: enter_user(), the SYSCALL entry and its two ways
 * out (SYSRET, IRET), and what exit_to_user_mode() does on the way back
 * to ring 3 -- preempt a user thread, end a killed one.
 *
 * Each test builds a tiny address space by hand: an mm from mm_create()
 * with a PUD, PMD and PTE table of the test's own, mapping a code page
 * (user, read-only, executable) at USER_CODE and a data page (user,
 * writable, NX) at USER_DATA, whose top is the stack. There are no VMAs,
 * so nothing may fault. The programs are in syscall_test_user.asm; their
 * system calls go to test_syscalls() through syscall_test_hook.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/syscall.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/wait.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

#define USER_CODE 0x400000ul
#define USER_DATA 0x401000ul
#define USER_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)

#define SYS_TEST_RECORD  0x5eed01      /* as in syscall_test_user.asm */
#define SYS_TEST_EXIT    0x5eed02
#define SYS_TEST_SET_RCX 0x5eed03

extern const char user_prog_smoke[], user_prog_smoke_end[];
extern const char user_prog_iret[], user_prog_iret_end[];
extern const char user_prog_spin[], user_prog_spin_end[];

struct user_space {
	struct mm_struct *mm;
	struct page *pud, *pmd, *pte, *code, *data;
};

static struct page *zeroed_page(void)
{
	struct page *p = alloc_page();

	if (p)
		memset(page_address(p), 0, PAGE_SIZE);
	return p;
}

/* Build the address space around the program [start, end). False if out of memory. */
static bool user_space_build(struct user_space *us, const char *start, const char *end)
{
	*us = (struct user_space){ mm_create(), zeroed_page(), zeroed_page(), zeroed_page(),
				   zeroed_page(), zeroed_page() };
	if (!us->mm || !us->pud || !us->pmd || !us->pte || !us->code || !us->data)
		return false;
	set_pgd(us->mm->pgd + pgd_index(USER_CODE), __pgd(page_to_phys(us->pud) | USER_TABLE));
	set_pud((pud_t *)page_address(us->pud) + pud_index(USER_CODE),
		__pud(page_to_phys(us->pmd) | USER_TABLE));
	set_pmd((pmd_t *)page_address(us->pmd) + pmd_index(USER_CODE),
		__pmd(page_to_phys(us->pte) | USER_TABLE));
	pte_t *pte = page_address(us->pte);
	memcpy(page_address(us->code), start, end - start);
	set_pte(pte + pte_index(USER_CODE),
		pfn_pte(page_to_pfn(us->code), _PAGE_PRESENT | _PAGE_USER));
	set_pte(pte + pte_index(USER_DATA),
		pfn_pte(page_to_pfn(us->data), _PAGE_PRESENT | _PAGE_USER | _PAGE_RW | _PAGE_NX));
	return true;
}

/*
 * The threads that ran in the mm are gone, but the CPUs they ran on keep
 * it in CR3 lazily. Returns how many did, before shoot_lazy_tlbs() made
 * them let go; then unhooks and frees the test's pages and drops the mm.
 */
static int user_space_free(struct user_space *us, int *still_loaded)
{
	int lazy = cpumask_weight(mm_cpumask(us->mm));

	shoot_lazy_tlbs(us->mm);
	*still_loaded = cpumask_weight(mm_cpumask(us->mm));
	set_pgd(us->mm->pgd + pgd_index(USER_CODE), __pgd(0));
	struct page *pages[] = { us->pud, us->pmd, us->pte, us->code, us->data };
	for (unsigned i = 0; i < ARRAY_SIZE(pages); i++)
		if (pages[i])
			__free_page(pages[i]);
	if (us->mm)
		mmput(us->mm);
	return lazy;
}

/* What test_syscalls() saw of the last SYS_TEST_RECORD. */
static struct {
	int records;
	u64 args[6], rip, cs, vector;
} seen;

static bool test_syscalls(struct trap_frame *regs)
{
	switch (regs->error) {               /* the number as it came in */
	case SYS_TEST_RECORD:
		seen.records++;
		seen.args[0] = regs->rdi, seen.args[1] = regs->rsi, seen.args[2] = regs->rdx;
		seen.args[3] = regs->r10, seen.args[4] = regs->r8, seen.args[5] = regs->r9;
		seen.rip = regs->rip, seen.cs = regs->cs, seen.vector = regs->vector;
		regs->rax = regs->rdi * 3;
		return true;
	case SYS_TEST_EXIT:
		thread_exit((int)regs->rdi);
	case SYS_TEST_SET_RCX:
		regs->rcx = 0x1111;
		regs->r11 = 0x2222;
		regs->rax = 0;
		return true;
	}
	return false;
}

struct user_run {
	struct mm_struct *mm;
	u64 rsp;
};

static int run_in_user(void *arg)
{
	struct user_run *r = arg;

	use_mm(r->mm);
	enter_user(USER_CODE, r->rsp);
}

static struct syscall_stats all_syscall_stats(void)
{
	struct syscall_stats sum = { 0 };

	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct syscall_stats s = syscall_stats(cpu);
		sum.syscalls += s.syscalls, sum.sysret += s.sysret, sum.iret += s.iret;
	}
	return sum;
}

/*
 * On every CPU in turn (each has its own MSRs and TSS): a kernel thread
 * enters ring 3, makes a system call with six arguments, checks that rsp
 * and the preserved registers survived, and exits with the reply. It
 * returned through SYSRET; the CPU kept the mm lazily afterwards; no page
 * is left behind.
 */
KTEST(user_syscall_roundtrip_every_cpu)
{
	unsigned long before = nr_free_pages_settled();
	struct syscall_stats s0 = all_syscall_stats();
	struct user_space us;
	int lazy, loaded;

	KT_ASSERT(user_space_build(&us, user_prog_smoke, user_prog_smoke_end));
	bool leave = idle_leave_mm_enabled;
	WRITE_ONCE(idle_leave_mm_enabled, false);   /* CPUs that halt stay lazy: we count them */
	WRITE_ONCE(syscall_test_hook, test_syscalls);
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct user_run r = { us.mm, USER_DATA + PAGE_SIZE };
		seen.records = 0;
		KT_EXPECT_EQ(kthread_join(kthread_run("user_smoke", run_in_user, &r, cpu)), 33);
		KT_EXPECT_EQ(seen.records, 1);
		for (int i = 0; i < 6; i++)
			KT_EXPECT_EQ(seen.args[i], 11 * (i + 1));
		KT_EXPECT_EQ(seen.cs, USER_CS);
		KT_EXPECT_EQ(seen.vector, TRAP_SYSCALL);
		KT_EXPECT(seen.rip > USER_CODE && seen.rip < USER_CODE + PAGE_SIZE);
	}
	WRITE_ONCE(syscall_test_hook, NULL);
	struct syscall_stats s1 = all_syscall_stats();
	lazy = user_space_free(&us, &loaded);
	WRITE_ONCE(idle_leave_mm_enabled, leave);
	KT_EXPECT_EQ(s1.syscalls - s0.syscalls, 2 * nr_cpus);
	KT_EXPECT_EQ(s1.sysret - s0.sysret, nr_cpus);    /* the exits never return */
	KT_EXPECT(lazy >= 1);
	KT_EXPECT_EQ(loaded, 0);
	KT_EXPECT_EQ(nr_free_pages_settled(), before);
}

/* A frame whose rcx and r11 the kernel changed goes back through IRET, which restores them. */
KTEST(user_syscall_iret_when_frame_changed)
{
	struct syscall_stats s0 = all_syscall_stats();
	struct user_space us;
	int loaded;

	KT_ASSERT(user_space_build(&us, user_prog_iret, user_prog_iret_end));
	WRITE_ONCE(syscall_test_hook, test_syscalls);
	struct user_run r = { us.mm, USER_DATA + PAGE_SIZE };
	KT_EXPECT_EQ(kthread_join(kthread_run("user_iret", run_in_user, &r, -1)), 0x3333);
	WRITE_ONCE(syscall_test_hook, NULL);
	struct syscall_stats s1 = all_syscall_stats();
	user_space_free(&us, &loaded);
	KT_EXPECT_EQ(s1.iret - s0.iret, 1);
	KT_EXPECT_EQ(s1.sysret - s0.sysret, 0);
}

/* Both spinning threads have counted past first[] (or at least once, if first is 0). */
static bool both_counted_past(volatile u64 *count, const u64 first[2])
{
	return count[255] > first[0] && count[511] > first[1];
}

/*
 * Two user threads that never make a system call share one CPU: only
 * preemption on the way back from the timer interrupt lets both count
 * (and lets this thread run on a single CPU). The test waits until both
 * have counted, then until both have counted again -- the CPU went back
 * and forth between them -- and never for a fixed time: a stalled CPU
 * just makes it wait longer. Then both are killed: kill_pending ends each
 * at its next return to user mode.
 */
KTEST(user_threads_preempted_and_killed)
{
	struct user_space us;
	struct thread *th[2];
	int cpu = nr_cpus - 1, loaded;
	u64 none[2] = { 0, 0 }, first[2];

	KT_ASSERT(user_space_build(&us, user_prog_spin, user_prog_spin_end));
	volatile u64 *count = page_address(us.data);
	struct user_run r[2] = { { us.mm, USER_DATA + PAGE_SIZE / 2 }, { us.mm, USER_DATA + PAGE_SIZE } };
	for (int i = 0; i < 2; i++)
		th[i] = kthread_run("user_spin", run_in_user, &r[i], cpu);
	bool ran = KT_WAIT_FOR(both_counted_past(count, none));
	first[0] = count[255], first[1] = count[511];
	if (!ran)
		printk("# user_threads_preempted_and_killed: counts %lu %lu, cpu %d runs %u threads\n",
		       first[0], first[1], cpu, sched_nr_running(cpu));
	KT_WAIT_FOR(both_counted_past(count, first));      /* the assertion: both ran again */
	for (int i = 0; i < 2; i++) {
		th[i]->exit_code = 40 + i;
		WRITE_ONCE(th[i]->kill_pending, true);
	}
	for (int i = 0; i < 2; i++)
		KT_EXPECT_EQ(kthread_join(th[i]), 40 + i);
	user_space_free(&us, &loaded);
	KT_EXPECT_EQ(loaded, 0);
}
