/*
 * exec: put a static ELF program into an empty address space.
 *
 * The segments are mapped as anonymous memory, filled by copying from the
 * image with copy_to_user (so the pages come in through the ordinary fault
 * path), then given their final protection. The stack is an 8 MiB VMA under
 * STACK_TOP whose top page receives what a Linux program expects at its
 * entry point:
 *
 *   sp ->  argc
 *          argv[0] ... argv[argc-1]  NULL
 *          envp[0] ... NULL
 *          auxv: (type, value) pairs ... AT_NULL
 *          (padding)  random bytes  strings ("x86_64", envp, argv, execfn)
 *                                                          <- STACK_TOP
 */
#include "kernel/exec.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/uaccess.h"
#include "arch/x86_64/context.h"
#include "kernel/process.h"
#include "kernel/random.h"
#include "kernel/string.h"
#include "mm/mm.h"
#include "mm/mmap_lock.h"
#include "mm/slab.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31

#define ARG_MAX_BYTES  (8 * PAGE_SIZE)   /* argv + envp strings (Linux allows far more) */

static unsigned long elf_prot(u32 flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Protection of the page at addr: every segment touching it may need it. */
static unsigned long page_prot(const struct elf_image *img, u64 addr)
{
	unsigned long prot = 0;

	for (int i = 0; i < img->ehdr->e_phnum; i++) {
		const struct elf64_phdr *ph = &img->phdr[i];
		u64 start = ALIGN_DOWN(ph->p_vaddr + img->load_bias, PAGE_SIZE);
		u64 end = ALIGN_UP(ph->p_vaddr + img->load_bias + ph->p_memsz, PAGE_SIZE);
		if (ph->p_type == PT_LOAD && ph->p_memsz && addr >= start && addr < end)
			prot |= elf_prot(ph->p_flags);
	}
	return prot;
}

/*
 * Map [lo, hi) writable, copy each segment's file bytes (the rest stays
 * zero: .bss), then set each page's final protection and unmap the gaps
 * no segment covers.
 */
static int map_segments(struct mm_struct *mm, const struct elf_image *img)
{
	long r = do_mmap(mm, img->lo, img->hi - img->lo, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (r < 0)
		return r;
	for (int i = 0; i < img->ehdr->e_phnum; i++) {
		const struct elf64_phdr *ph = &img->phdr[i];
		if (ph->p_type == PT_LOAD && ph->p_filesz &&
		    copy_to_user((void *)(ph->p_vaddr + img->load_bias),
				 img->data + ph->p_offset, ph->p_filesz))
			return -EFAULT;
	}
	/* One page at a time keeps the rule simple; mprotect merges the VMAs back. */
	for (u64 addr = img->lo; addr < img->hi; addr += PAGE_SIZE) {
		unsigned long prot = page_prot(img, addr);
		r = prot ? do_mprotect(mm, addr, PAGE_SIZE, prot) : do_munmap(mm, addr, PAGE_SIZE);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The initial stack, built in a kernel buffer that mirrors its top pages. */
struct stack_builder {
	u8 buf[ARG_MAX_BYTES + PAGE_SIZE];
	u64 top;          /* user address of the end of buf */
	size_t used;      /* bytes used from the end of buf downwards */
	bool overflow;
	u64 vec[2 + 2 * MAX_ARGS + 64], argp[MAX_ARGS], envpp[MAX_ARGS];
};

/* Reserve n bytes below what is used; returns their user address. */
static u64 push_bytes(struct stack_builder *b, const void *data, size_t n)
{
	if (b->used + n > sizeof(b->buf)) {
		b->overflow = true;
		return 0;
	}
	b->used += n;
	memcpy(b->buf + sizeof(b->buf) - b->used, data, n);
	return b->top - b->used;
}

static u64 push_string(struct stack_builder *b, const char *s)
{
	return push_bytes(b, s, strlen(s) + 1);
}

static int count(const char *const v[])
{
	int n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* The auxiliary vector (Linux's subset that static programs read). */
static size_t fill_auxv(u64 *aux, const struct elf_image *img, u64 random, u64 platform,
			u64 execfn)
{
	u64 pairs[][2] = {
		{ AT_PHDR, img->phdr_addr }, { AT_PHENT, sizeof(struct elf64_phdr) },
		{ AT_PHNUM, img->ehdr->e_phnum }, { AT_PAGESZ, PAGE_SIZE },
		{ AT_BASE, 0 }, { AT_FLAGS, 0 },
		{ AT_ENTRY, img->ehdr->e_entry + img->load_bias },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
		{ AT_PLATFORM, platform }, { AT_HWCAP, cpuid(1, 0).edx },
		{ AT_CLKTCK, 100 }, { AT_SECURE, 0 }, { AT_RANDOM, random },
		{ AT_HWCAP2, 0 }, { AT_EXECFN, execfn }, { AT_NULL, 0 },
	};
	memcpy(aux, pairs, sizeof(pairs));
	return sizeof(pairs) / sizeof(u64);
}

static int build_stack(struct stack_builder *b, const struct elf_image *img,
		       const char *const argv[], const char *const envp[], u64 *sp)
{
	int argc = count(argv), envc = count(envp);
	u64 *vec = b->vec, *argp = b->argp, *envpp = b->envpp, rnd[2];

	if (argc > MAX_ARGS || envc > MAX_ARGS)
		return -E2BIG;
	u64 execfn = push_string(b, argc ? argv[0] : "");
	for (int i = argc - 1; i >= 0; i--)
		argp[i] = push_string(b, argv[i]);
	for (int i = envc - 1; i >= 0; i--)
		envpp[i] = push_string(b, envp[i]);
	u64 platform = push_string(b, "x86_64");
	get_random_bytes(rnd, sizeof(rnd));
	b->used = ALIGN_UP(b->used, 16);
	u64 random = push_bytes(b, rnd, sizeof(rnd));

	size_t n = 0;                   /* the vector, from argc upwards */
	vec[n++] = argc;
	for (int i = 0; i < argc; i++)
		vec[n++] = argp[i];
	vec[n++] = 0;
	for (int i = 0; i < envc; i++)
		vec[n++] = envpp[i];
	vec[n++] = 0;
	n += fill_auxv(vec + n, img, random, platform, execfn);
	/* argc must land on a 16-byte boundary (the x86-64 ABI at process entry). */
	b->used = ALIGN_UP(b->used + n * 8, 16) - n * 8;
	*sp = push_bytes(b, vec, n * 8);
	return b->overflow ? -E2BIG : 0;
}

int exec_load(struct mm_struct *mm, const struct elf_image *img,
	      const char *const argv[], const char *const envp[], u64 *entry, u64 *sp)
{
	int err = map_segments(mm, img);
	if (err)
		return err;
	down_write(&mm->mmap_lock);
	mm->start_brk = mm->brk = img->hi;
	mmap_write_unlock(mm);

	long r = do_mmap(mm, STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (r < 0)
		return r;
	struct stack_builder *b = kzalloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->top = STACK_TOP;
	err = build_stack(b, img, argv, envp, sp);
	if (!err && copy_to_user((void *)(STACK_TOP - b->used),
				 b->buf + sizeof(b->buf) - b->used, b->used))
		err = -EFAULT;
	kfree(b);
	down_write(&mm->mmap_lock);
	mm->start_stack = *sp;
	mmap_write_unlock(mm);
	*entry = img->ehdr->e_entry + img->load_bias;
	return err;
}

int exec_into_new_mm(struct process *p, const struct elf_image *img,
		     const char *const argv[], const char *const envp[], u64 *entry, u64 *sp)
{
	struct mm_struct *old = current->mm, *mm = mm_create();

	if (!mm)
		return -ENOMEM;
	use_mm(mm);                      /* mm_create's reference becomes this thread's own */
	int err = exec_load(mm, img, argv, envp, entry, sp);
	if (err && old) {
		use_mm(old);                 /* back to the program that called execve */
		mmput(mm);
		return err;
	}
	process_set_mm(p, mm);           /* a failed first exec leaves its mm to exit_mm */
	/*
	 * ->mm already points to the new mm (use_mm) when the old one loses
	 * this thread's reference: the order exit_mm keeps too (issue 9, bug 1).
	 */
	if (old)
		mmput(old);
	return err;
}
