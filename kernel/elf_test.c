/* Tests of kernel/elf.c: a good image passes, each kind of damage is named. */
#include "kernel/elf.h"
#include "kernel/ktest.h"
#include "kernel/string.h"

/* A minimal static executable: header, one PT_LOAD covering the file. */
struct tiny_elf {
	struct elf64_ehdr eh;
	struct elf64_phdr ph[2];
	u8 code[16];
};

static void make_tiny(struct tiny_elf *f, u16 type)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->eh.e_ident, "\x7f" "ELF\x02\x01\x01", 7);
	f->eh.e_type = type;
	f->eh.e_machine = EM_X86_64;
	f->eh.e_version = 1;
	f->eh.e_phoff = offsetof(struct tiny_elf, ph);
	f->eh.e_phentsize = sizeof(struct elf64_phdr);
	f->eh.e_phnum = 1;
	f->eh.e_entry = 0x400000 + offsetof(struct tiny_elf, code);
	f->ph[0] = (struct elf64_phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = 0, .p_vaddr = 0x400000, .p_filesz = sizeof(*f),
		.p_memsz = sizeof(*f) + 8192, .p_align = 4096 };
}

static const char *check(struct tiny_elf *f, size_t size)
{
	struct elf_image img;
	const char *why = NULL;
	return elf_check(f, size, &img, &why) ? why : NULL;
}

KTEST(elf_accepts_static_exec)
{
	struct tiny_elf f;
	struct elf_image img;
	const char *why = NULL;

	make_tiny(&f, ET_EXEC);
	KT_ASSERT_EQ(elf_check(&f, sizeof(f), &img, &why), 0);
	KT_EXPECT_EQ(img.load_bias, 0);
	KT_EXPECT_EQ(img.lo, 0x400000);
	KT_EXPECT_EQ(img.hi, 0x400000 + 3 * 4096);     /* memsz rounds up to pages */
	KT_EXPECT_EQ(img.phdr_addr, 0x400000 + f.eh.e_phoff);
}

KTEST(elf_pie_gets_bias)
{
	struct tiny_elf f;
	struct elf_image img;
	const char *why = NULL;

	make_tiny(&f, ET_DYN);
	f.ph[0].p_vaddr = 0;
	f.eh.e_entry = offsetof(struct tiny_elf, code);
	KT_ASSERT_EQ(elf_check(&f, sizeof(f), &img, &why), 0);
	KT_EXPECT_EQ(img.load_bias, ELF_ET_DYN_BASE);
	KT_EXPECT_EQ(img.lo, ELF_ET_DYN_BASE);
}

KTEST(elf_rejects_damage)
{
	struct tiny_elf f;

	make_tiny(&f, ET_EXEC);
	KT_EXPECT(check(&f, 10) != NULL);                       /* truncated */
	make_tiny(&f, ET_EXEC);
	f.eh.e_ident[1] = 'X';
	KT_EXPECT(check(&f, sizeof(f)) && !strcmp(check(&f, sizeof(f)), "not an ELF file"));
	make_tiny(&f, ET_EXEC);
	f.eh.e_ident[4] = 1;                                     /* ELFCLASS32 */
	KT_EXPECT(check(&f, sizeof(f)) != NULL);
	make_tiny(&f, ET_EXEC);
	f.eh.e_machine = 3;                                      /* i386 */
	KT_EXPECT(check(&f, sizeof(f)) != NULL);
	make_tiny(&f, ET_EXEC);
	f.eh.e_phoff = ~0ul - 8;                                 /* offset overflows */
	KT_EXPECT(check(&f, sizeof(f)) != NULL);
	make_tiny(&f, ET_EXEC);
	f.ph[0].p_filesz = 1 << 20;                              /* beyond the file */
	KT_EXPECT(check(&f, sizeof(f)) != NULL);
	make_tiny(&f, ET_EXEC);
	f.ph[0].p_vaddr = 0xffffffff80000000ul;                  /* kernel space */
	f.eh.e_entry = f.ph[0].p_vaddr;
	KT_EXPECT(check(&f, sizeof(f)) != NULL);
	make_tiny(&f, ET_EXEC);
	f.eh.e_entry = 0x900000;                                 /* entry not loaded */
	KT_EXPECT(check(&f, sizeof(f)) != NULL);
	make_tiny(&f, ET_EXEC);
	f.eh.e_phnum = 2;
	f.ph[1] = (struct elf64_phdr){ .p_type = PT_INTERP };
	const char *why = check(&f, sizeof(f));
	KT_EXPECT(why && !strncmp(why, "dynamically linked", 18));
}
