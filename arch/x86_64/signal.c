/*
 * The x86-64 signal frame: what a handler runs on, and rt_sigreturn.
 *
 * To run a handler the kernel makes the user stack look as though the
 * interrupted code had called it (Linux's layout, so glibc, musl and
 * debuggers find what they expect):
 *
 *       interrupted rsp
 *       128-byte red zone (the ABI lets leaf code use it below rsp)
 *       FPU/SSE/AVX state (XSAVE or FXSAVE image, 64-byte aligned)
 *       struct rt_sigframe:  siginfo, ucontext (registers, mask, stack), and
 *   rsp -> pretcode: the "return address", sa_restorer, which calls rt_sigreturn
 *
 * rip = handler, rdi = sig, rsi = &siginfo, rdx = &ucontext. rsp + 8 is
 * 16-byte aligned, as at the entry of any function. When the handler
 * returns into sa_restorer, rt_sigreturn finds the frame at rsp - 8 and
 * puts every register, the mask and the FPU state back -- checking what it
 * takes from user memory, since the handler may have changed it.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "mm/slab.h"

struct sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2;
	u64 fpstate;                     /* user address of the FPU image, or 0 */
	u64 reserved1[8];
};

struct user_stack {                      /* stack_t */
	u64 ss_sp;
	s32 ss_flags;
	u64 ss_size;
};

struct ucontext {
	u64 uc_flags;
	u64 uc_link;
	struct user_stack uc_stack;
	struct sigcontext uc_mcontext;
	u64 uc_sigmask;
};

struct siginfo {                         /* 128 bytes; the fields Quiesce fills */
	s32 si_signo, si_errno, si_code, __pad;
	union {
		struct { s32 pid; u32 uid; s32 status; } kill;   /* kill, SIGCHLD */
		u64 addr;                                     /* faults */
		u8 __size[112];
	};
};

struct rt_sigframe {
	u64 pretcode;
	struct ucontext uc;
	struct siginfo info;
};

_Static_assert(sizeof(struct sigcontext) == 256, "struct sigcontext is 256 bytes");
_Static_assert(sizeof(struct siginfo) == 128, "siginfo_t is 128 bytes");
_Static_assert(offsetof(struct rt_sigframe, uc.uc_mcontext) == 48, "Linux's frame layout");

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define RED_ZONE 128
/* rflags bits user code may set through sigreturn (Linux's FIX_EFLAGS). */
#define USER_RFLAGS (0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x800 | RFLAGS_TF | RFLAGS_DF | \
		     RFLAGS_RF | RFLAGS_AC)

static bool on_altstack(const struct thread_signals *s, u64 sp)
{
	return s->altstack_size && sp > s->altstack_sp && sp <= s->altstack_sp + s->altstack_size;
}

static void fill_sigcontext(struct sigcontext *sc, const struct trap_frame *r, u64 fpstate)
{
	*sc = (struct sigcontext){
		.r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12,
		.r13 = r->r13, .r14 = r->r14, .r15 = r->r15, .rdi = r->rdi, .rsi = r->rsi,
		.rbp = r->rbp, .rbx = r->rbx, .rdx = r->rdx, .rax = r->rax, .rcx = r->rcx,
		.rsp = r->rsp, .rip = r->rip, .eflags = r->rflags, .cs = r->cs, .ss = r->ss,
		.err = r->vector < 32 ? r->error : 0, .trapno = r->vector < 32 ? r->vector : 0,
		.cr2 = r->vector == VEC_PF ? read_cr2() : 0, .fpstate = fpstate,
	};
}

static void fill_siginfo(struct siginfo *si, const struct ksiginfo *k)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = k->signo;
	si->si_code = k->code;
	if (k->code > 0 && k->signo != SIGCHLD) {
		si->addr = k->addr;
	} else {
		si->kill.pid = k->pid;
		si->kill.uid = k->uid;
		si->kill.status = k->status;
	}
}

/* Copy this thread's FPU registers (live on this CPU) to the user address. */
static int save_fpu_to_user(u64 uaddr)
{
	unsigned long flags = irq_save();        /* no switch while the image is made */
	fpu_save(current->fpu);
	irq_restore(flags);
	return copy_to_user((void *)uaddr, current->fpu, fpu_state_size());
}

int setup_rt_frame(int sig, const struct k_sigaction *ka, const struct ksiginfo *info,
		   u64 blocked, struct trap_frame *regs)
{
	struct thread_signals *s = &current->signals;
	u64 sp = regs->rsp - RED_ZONE;

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;                  /* x86-64 has no default trampoline: no way back */
	if ((ka->flags & SA_ONSTACK) && s->altstack_size && !on_altstack(s, regs->rsp))
		sp = s->altstack_sp + s->altstack_size;
	u64 fpstate = ALIGN_DOWN(sp - fpu_state_size(), 64);
	u64 frame_addr = ALIGN_DOWN(fpstate - sizeof(struct rt_sigframe), 16) - 8;

	struct rt_sigframe *f = kzalloc(sizeof(*f));
	if (!f)
		return -EFAULT;
	f->pretcode = ka->restorer;
	f->uc.uc_stack = (struct user_stack){
		s->altstack_sp, !s->altstack_size ? SS_DISABLE :
				 on_altstack(s, regs->rsp) ? SS_ONSTACK : 0, s->altstack_size };
	fill_sigcontext(&f->uc.uc_mcontext, regs, fpstate);
	f->uc.uc_sigmask = blocked;
	fill_siginfo(&f->info, info);
	int err = save_fpu_to_user(fpstate) ||
		  copy_to_user((void *)frame_addr, f, sizeof(*f));
	kfree(f);
	if (err)
		return -EFAULT;

	regs->rip = ka->handler;
	regs->rsp = frame_addr;
	regs->rdi = sig;
	regs->rsi = frame_addr + offsetof(struct rt_sigframe, info);
	regs->rdx = frame_addr + offsetof(struct rt_sigframe, uc);
	regs->rax = 0;
	regs->rflags &= ~(RFLAGS_TF | RFLAGS_DF | RFLAGS_RF);
	regs->cs = USER_CS;
	regs->ss = USER_DS;
	/* The handler starts with the clean FPU state, as on Linux. */
	unsigned long flags = irq_save();
	fpu_init_state(current->fpu);
	fpu_restore(current->fpu);
	irq_restore(flags);
	return 0;
}

/*
 * Load an FPU image from user memory, made safe first: an image whose
 * reserved bits are set would make XRSTOR/FXRSTOR fault in the kernel.
 * MXCSR keeps only its defined bits; the XSAVE header keeps only the
 * components this kernel enabled, in the standard (uncompacted) format.
 */
static int restore_fpu_from_user(u64 uaddr)
{
	size_t size = fpu_state_size();
	u8 *img = kmalloc(size);

	if (!img)
		return -ENOMEM;
	if (copy_from_user(img, (const void *)uaddr, size)) {
		kfree(img);
		return -EFAULT;
	}
	*(u32 *)(img + 24) &= 0xffbf;            /* MXCSR: reserved and DAZ bits cleared */
	if (fpu_xfeatures()) {
		u64 *hdr = (u64 *)(img + 512);     /* xstate_bv, xcomp_bv, reserved */
		hdr[0] &= fpu_xfeatures();
		memset(hdr + 1, 0, 56);
	}
	unsigned long flags = irq_save();
	memcpy(current->fpu, img, size);
	fpu_restore(current->fpu);
	irq_restore(flags);
	kfree(img);
	return 0;
}

static void restore_sigcontext(struct trap_frame *r, const struct sigcontext *sc)
{
	r->r8 = sc->r8, r->r9 = sc->r9, r->r10 = sc->r10, r->r11 = sc->r11;
	r->r12 = sc->r12, r->r13 = sc->r13, r->r14 = sc->r14, r->r15 = sc->r15;
	r->rdi = sc->rdi, r->rsi = sc->rsi, r->rbp = sc->rbp, r->rbx = sc->rbx;
	r->rdx = sc->rdx, r->rax = sc->rax, r->rcx = sc->rcx, r->rsp = sc->rsp;
	r->rip = sc->rip;                        /* any value: a bad one faults in user mode */
	r->rflags = (r->rflags & ~USER_RFLAGS) | (sc->eflags & USER_RFLAGS);
	r->cs = USER_CS;                         /* never a selector the user chose */
	r->ss = USER_DS;
	r->vector = 0;                           /* not a syscall any more: no restart */
}

/* rt_sigreturn(): the frame is at rsp - 8 (the handler's ret popped pretcode). */
SYSCALL_DEFINE(rt_sigreturn)
{
	struct trap_frame *regs = task_pt_regs(current);
	struct process *p = current->process;
	struct ucontext uc;
	u64 frame = regs->rsp - 8;

	if (copy_from_user(&uc, (const void *)(frame + offsetof(struct rt_sigframe, uc)),
			   sizeof(uc))) {
		force_sig_fault(SIGSEGV, SI_KERNEL, 0);
		return regs->rax;
	}
	spin_lock(&p->lock);
	current->signals.blocked = uc.uc_sigmask & ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
	recalc_sigpending(current);
	spin_unlock(&p->lock);
	restore_sigcontext(regs, &uc.uc_mcontext);
	if (uc.uc_mcontext.fpstate && restore_fpu_from_user(uc.uc_mcontext.fpstate))
		force_sig_fault(SIGSEGV, SI_KERNEL, 0);
	return regs->rax;                        /* the dispatcher stores it back in rax */
}

/* sigaltstack(new, old) */
SYSCALL_DEFINE(sigaltstack)
{
	struct thread_signals *s = &current->signals;
	struct trap_frame *regs = task_pt_regs(current);
	struct user_stack ss, old = {
		s->altstack_sp, !s->altstack_size ? SS_DISABLE :
				 on_altstack(s, regs->rsp) ? SS_ONSTACK : 0, s->altstack_size };

	if (a0) {
		if (copy_from_user(&ss, (const void *)a0, sizeof(ss)))
			return -EFAULT;
		if (on_altstack(s, regs->rsp))
			return -EPERM;               /* not while running on it */
		if (ss.ss_flags & ~SS_DISABLE)
			return -EINVAL;
		if (!(ss.ss_flags & SS_DISABLE) && ss.ss_size < 2048)
			return -ENOMEM;              /* below MINSIGSTKSZ */
		s->altstack_sp = ss.ss_flags & SS_DISABLE ? 0 : ss.ss_sp;
		s->altstack_size = ss.ss_flags & SS_DISABLE ? 0 : ss.ss_size;
	}
	return a1 && copy_to_user((void *)a1, &old, sizeof(old)) ? -EFAULT : 0;
}
