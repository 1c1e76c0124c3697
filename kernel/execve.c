/*
 * execve: replace the calling process's program with one from the file
 * tree (kernel/exec.c loads it).
 *
 * Everything execve needs from the old program -- the path, argv and
 * envp -- is copied into the kernel first, since the old address space is
 * gone by the time the new stack is built. The other threads are ended
 * (de_thread) before the address space is replaced; after that the call
 * cannot fail back into the old program. Then what Linux resets is reset:
 * descriptors marked close-on-exec close, caught signals go back to their
 * default action (ignored ones stay ignored, the mask stays), the TLS
 * pointer and the FPU state start clean, and a vfork parent is released.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/uaccess.h"
#include "kernel/exec.h"
#include "kernel/file.h"
#include "kernel/process.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"
#include "kernel/wait.h"
#include "mm/slab.h"

#define EXEC_STRINGS (32 * 1024)         /* argv + envp bytes (Linux: 1/4 of the stack limit) */

/* The kernel's copy of execve's arguments. */
struct exec_args {
	char path[PATH_MAX];
	const char *argv[MAX_ARGS + 1], *envp[MAX_ARGS + 1];
	char strings[EXEC_STRINGS];
	size_t used;
};

/* Copy a NULL-ended user array of strings into a->strings; vec gets pointers to them. */
static int copy_strings(struct exec_args *a, u64 uvec, const char **vec)
{
	int n = 0;

	for (; uvec; n++) {
		u64 ustr;
		if (get_user(ustr, (u64 *)(uvec + n * 8)))
			return -EFAULT;
		if (!ustr)
			break;
		if (n == MAX_ARGS)
			return -E2BIG;
		long len = strncpy_from_user(a->strings + a->used, (const char *)ustr,
					     sizeof(a->strings) - a->used);
		if (len < 0)
			return len;
		if (a->used + len >= sizeof(a->strings))
			return -E2BIG;
		vec[n] = a->strings + a->used;
		a->used += len + 1;
	}
	vec[n] = NULL;
	return 0;
}

/*
 * End every other thread of the process and wait until they are gone
 * (Linux's de_thread). -EINTR if the process is being killed anyway.
 */
static int de_thread(struct process *p)
{
	spin_lock(&p->lock);
	if (p->group_exit) {
		spin_unlock(&p->lock);
		return -EINTR;
	}
	zap_other_threads(p);
	spin_unlock(&p->lock);
	wait_event(p->exit_wait, READ_ONCE(p->nr_threads) == 1);   /* each exit wakes us */
	return 0;
}

/* The file to run: a regular file with an x bit, its bytes in memory. */
static int open_program(const char *path, struct file **out)
{
	struct process *p = current_process();
	struct file *f;

	spin_lock(&p->lock);
	struct fs_node cwd = p->cwd;
	spin_unlock(&p->lock);
	int err = file_open(&cwd, path, O_RDONLY, &f);
	if (err)
		return err;
	if (!S_ISREG(f->node.mode) || !(f->node.mode & 0111) || !f->data) {
		fput(f);
		return -EACCES;
	}
	*out = f;
	return 0;
}

/* What a new program finds: clean registers at its entry point, clean FPU and TLS. */
static void start_thread(struct trap_frame *regs, u64 entry, u64 sp)
{
	memset(regs, 0, sizeof(*regs));
	regs->rip = entry;
	regs->rsp = sp;
	regs->cs = USER_CS;
	regs->ss = USER_DS;
	regs->rflags = RFLAGS_IF | RFLAGS_FIXED;
	arch_set_fs_base(0);
	unsigned long flags = irq_save();
	fpu_init_state(current->fpu);
	fpu_restore(current->fpu);
	irq_restore(flags);
}

/* Past the point of no return: the new program's identity and resets. */
static void exec_commit(struct process *p, struct file *f, const struct exec_args *a)
{
	files_close_on_exec(p->files);
	signals_exec(p);
	current->signals.altstack_sp = current->signals.altstack_size = 0;
	current->clear_child_tid = NULL;
	f->node.ops->path(&f->node, p->exe, sizeof(p->exe));    /* where it really is */
	const char *base = a->path;
	for (const char *s = a->path; *s; s++)
		if (*s == '/')
			base = s + 1;
	spin_lock(&p->lock);
	strlcpy(p->name, base, sizeof(p->name));
	spin_unlock(&p->lock);
	strlcpy(current->name, base, sizeof(current->name));
	process_set_cmdline(p, a->argv);
	vfork_release(p);
}

static long do_execve(u64 upath, u64 uargv, u64 uenvp)
{
	struct process *p = current_process();
	struct exec_args *a = kzalloc(sizeof(*a));
	struct elf_image img;
	struct file *f = NULL;
	const char *why;
	u64 entry, sp;
	long err = -ENOMEM;

	if (!a)
		return err;
	err = strncpy_from_user(a->path, (const char *)upath, sizeof(a->path));
	if (err >= 0)
		err = err == sizeof(a->path) ? -ENAMETOOLONG : 0;
	if (!err)
		err = copy_strings(a, uargv, a->argv);
	if (!err)
		err = copy_strings(a, uenvp, a->envp);
	if (!err)
		err = open_program(a->path, &f);
	if (!err)
		err = elf_check(f->data, f->size, &img, &why);   /* -ENOEXEC: a shell runs it itself */
	if (!err)
		err = de_thread(p);
	if (!err)
		err = exec_into_new_mm(p, &img, a->argv, a->envp, &entry, &sp);
	if (!err) {
		exec_commit(p, f, a);
		start_thread(task_pt_regs(current), entry, sp);
	}
	if (f)
		fput(f);
	kfree(a);
	return err;
}

SYSCALL_DEFINE(execve)
{
	return do_execve(a0, a1, a2);
}
