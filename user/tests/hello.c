/*
 * hello - the start of a program: what the kernel's ELF loader must hand
 * over. Built twice from this one file: `hello` (ET_EXEC, linked at a fixed
 * address) and `hello_pie` (static-PIE, ET_DYN, loaded wherever the kernel
 * chooses and relocating itself).
 *
 * Checks the Linux initial stack (argc, argv, envp, auxv), that every auxv
 * entry the loader must provide describes this very image, that the FS base
 * set by crt0 works, and, for the PIE, that pointers stored in data were
 * relocated to the load address.
 */
#include "check.h"

/* The fields of the ELF header we look at (elf.h, Elf64_Ehdr). */
struct elf_header {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum;
};
#define ET_EXEC 2
#define ET_DYN  3

#ifdef __PIE__
#define BUILT_AS ET_DYN
#else
#define BUILT_AS ET_EXEC
#endif

/* Placed by the linker at the start of the image: our own ELF header. */
extern const struct elf_header __ehdr_start __attribute__((visibility("hidden")));
void _start(void);
int main(int argc, char **argv, char **envp);

/* Pointers stored in data: in a static-PIE each needs a relocation. */
static const char *greeting = "hello from a static x86-64 ELF";
static int (*const main_ptr)(int, char **, char **) = main;

static void check_stack(int argc, char **argv, char **envp)
{
	check_section("initial stack: argc %d, argv[0] %s", argc, argv[0]);
	CHECK(argc >= 1);
	CHECK(argv[0] != 0);
	CHECK(argv[argc] == 0);
	CHECK(envp == argv + argc + 1);
	CHECK(envp == environ);
}

static void check_auxv(const struct elf_header *eh, unsigned long base)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);

	check_section("auxv describes this image, ELF header at %p", (void *)eh);
	CHECK(memcmp(eh->ident, "\177ELF", 4) == 0);
	CHECK_EQ(eh->type, BUILT_AS);
	CHECK_EQ(getauxval(AT_PAGESZ), 4096);
	CHECK_EQ(getauxval(AT_PHDR), (unsigned long)eh + eh->phoff);
	CHECK_EQ(getauxval(AT_PHENT), eh->phentsize);
	CHECK_EQ(getauxval(AT_PHNUM), eh->phnum);
	CHECK_EQ(getauxval(AT_ENTRY), base + eh->entry);
	CHECK_EQ(getauxval(AT_ENTRY), (unsigned long)_start);
	CHECK(getauxval(AT_RANDOM) != 0);
	CHECK(getauxval(AT_HWCAP) != 0);
	CHECK(execfn != 0);
	check_section("AT_EXECFN %s", execfn);
}

int main(int argc, char **argv, char **envp)
{
	const struct elf_header *eh = &__ehdr_start;
	/* A PIE is linked at 0: where its header sits is its load base. */
	unsigned long base = BUILT_AS == ET_DYN ? (unsigned long)eh : 0;

	puts(greeting);
	check_stack(argc, argv, envp);
	check_auxv(eh, base);

	check_section("pointers in data point into the loaded image");
	CHECK(main_ptr == main);
	CHECK(strcmp(greeting, "hello from a static x86-64 ELF") == 0);
	CHECK_EQ(base % PAGE_SIZE, 0);

	check_section("FS base from arch_prctl: %%fs:0 is our thread block");
	CHECK(thread_self() != 0);
	CHECK(thread_self()->self == thread_self());
	CHECK_EQ(thread_self()->tid, sys_gettid());
	CHECK_EQ(sys_gettid(), sys_getpid());
	return check_pass();
}
