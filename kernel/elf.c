/*
 * Checking an ELF64 executable before loading it (kernel/exec.c maps it).
 *
 * Everything in the file is untrusted: each offset and size is checked
 * against the file before it is used, and every sum is checked for
 * overflow, so a malformed program is refused with a reason instead of
 * making the kernel read out of bounds.
 */
#include "kernel/elf.h"
#include "arch/x86_64/pgtable.h"
#include "kernel/string.h"

static bool range_ok(u64 off, u64 len, u64 size)
{
	return off <= size && len <= size - off;
}

static const char *check_header(const struct elf64_ehdr *eh, size_t size)
{
	static const u8 magic[4] = { 0x7f, 'E', 'L', 'F' };

	if (size < sizeof(*eh) || memcmp(eh->e_ident, magic, 4))
		return "not an ELF file";
	if (eh->e_ident[4] != 2 || eh->e_ident[5] != 1)
		return "not a 64-bit little-endian ELF file";
	if (eh->e_machine != EM_X86_64)
		return "not an x86-64 program";
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return "not an executable (ET_EXEC or ET_DYN)";
	if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > 64)
		return "bad program header table size";
	if (!range_ok(eh->e_phoff, (u64)eh->e_phnum * sizeof(struct elf64_phdr), size) ||
	    eh->e_phoff % 8)
		return "program header table outside the file";
	return NULL;
}

/* One PT_LOAD: inside the file, inside user space, sizes consistent. */
static const char *check_load(const struct elf64_phdr *ph, size_t size, u64 bias)
{
	if (ph->p_filesz > ph->p_memsz)
		return "segment with file size above memory size";
	if (!range_ok(ph->p_offset, ph->p_filesz, size))
		return "segment outside the file";
	if ((ph->p_vaddr - ph->p_offset) % PAGE_SIZE)
		return "segment address and file offset not congruent mod page size";
	u64 start = ph->p_vaddr + bias;
	if (start < bias || start + ph->p_memsz < start || start < 0x10000 ||
	    start + ph->p_memsz > USER_TOP)
		return "segment outside user space";
	return NULL;
}

/* Walk the program headers: span of the segments, PT_INTERP, AT_PHDR. */
static const char *scan_segments(struct elf_image *img)
{
	const struct elf64_ehdr *eh = img->ehdr;
	bool any = false;

	img->lo = ~0ul;
	img->hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const struct elf64_phdr *ph = &img->phdr[i];
		if (ph->p_type == PT_INTERP)
			return "dynamically linked (has PT_INTERP); build it with -static";
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		const char *why = check_load(ph, img->size, img->load_bias);
		if (why)
			return why;
		u64 start = ph->p_vaddr + img->load_bias;
		img->lo = MIN(img->lo, ALIGN_DOWN(start, PAGE_SIZE));
		img->hi = MAX(img->hi, ALIGN_UP(start + ph->p_memsz, PAGE_SIZE));
		/* The headers are visible to the program if a segment maps them. */
		if (eh->e_phoff >= ph->p_offset && eh->e_phoff < ph->p_offset + ph->p_filesz)
			img->phdr_addr = start + (eh->e_phoff - ph->p_offset);
		any = true;
	}
	if (!any)
		return "no loadable segment";
	if (eh->e_entry + img->load_bias < img->lo || eh->e_entry + img->load_bias >= img->hi)
		return "entry point outside the loaded segments";
	return NULL;
}

int elf_check(const void *data, size_t size, struct elf_image *img, const char **why)
{
	*img = (struct elf_image){ .data = data, .size = size, .ehdr = data };
	*why = check_header(img->ehdr, size);
	if (*why)
		return -ENOEXEC;
	img->phdr = (const void *)(img->data + img->ehdr->e_phoff);
	img->load_bias = img->ehdr->e_type == ET_DYN ? ELF_ET_DYN_BASE : 0;
	*why = scan_segments(img);
	return *why ? -ENOEXEC : 0;
}
