/* Per-thread FPU/SSE/AVX state: set-up, save and restore (see fpu.h). */
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/slab.h"

#define CR0_MP (1ul << 1)          /* WAIT/FWAIT honour TS */
#define CR0_EM (1ul << 2)          /* no FPU: every x87 instruction traps */
#define CR0_TS (1ul << 3)          /* lazy switching trap (#NM); we never use it */
#define CR0_NE (1ul << 5)          /* x87 errors as #MF, not the legacy IRQ 13 */

#define FXSAVE_SIZE   512
#define FXSAVE_FCW    0            /* offsets in the legacy (FXSAVE) region */
#define FXSAVE_MXCSR  24
#define FCW_DEFAULT   0x037f       /* all x87 exceptions masked, 64-bit precision */
#define MXCSR_DEFAULT 0x1f80       /* all SSE exceptions masked, round to nearest */

static bool use_xsave;
static u64 xfeatures;              /* what XCR0 enables, when use_xsave */
static size_t state_size = FXSAVE_SIZE;
/*
 * The clean image every new thread starts from. With XSAVE its header
 * (XSTATE_BV, at byte 512) is 0: XRSTOR then puts every component in its
 * architectural init state; only MXCSR is still read from the image.
 */
static u8 init_image[4096] __aligned(64);

static void xsetbv(u32 reg, u64 v)
{
	__asm__ volatile("xsetbv" : : "c"(reg), "a"((u32)v), "d"((u32)(v >> 32)));
}

void fpu_init_cpu(void)
{
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	u64 cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (use_xsave)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	if (use_xsave)
		xsetbv(0, xfeatures);
	__asm__ volatile("fninit");
}

/* The components to enable: x87 and SSE always, AVX if the CPU and XSAVE have it. */
static u64 choose_xfeatures(void)
{
	u64 supported = cpuid(0xd, 0).eax | ((u64)cpuid(0xd, 0).edx << 32);
	u64 want = XFEATURE_X87 | XFEATURE_SSE;

	if (cpu_has.avx && (supported & XFEATURE_AVX))
		want |= XFEATURE_AVX;
	return want;
}

void fpu_init(void)
{
	use_xsave = cpu_has.xsave;
	if (use_xsave)
		xfeatures = choose_xfeatures();
	fpu_init_cpu();
	if (use_xsave)
		state_size = cpuid(0xd, 0).ebx;   /* for the components XCR0 now enables */
	if (state_size > sizeof(init_image))
		panic("XSAVE image of %zu bytes is larger than %zu", state_size, sizeof(init_image));
	*(u16 *)(init_image + FXSAVE_FCW) = FCW_DEFAULT;
	*(u32 *)(init_image + FXSAVE_MXCSR) = MXCSR_DEFAULT;
	printk("fpu: %s, %zu-byte state per thread%s\n", use_xsave ? "XSAVE" : "FXSAVE",
	       state_size, xfeatures & XFEATURE_AVX ? ", x87+SSE+AVX" : "");
}

size_t fpu_state_size(void)
{
	return state_size;
}

u64 fpu_xfeatures(void)
{
	return use_xsave ? xfeatures : 0;
}

void fpu_init_state(void *image)
{
	memcpy(image, init_image, state_size);
}

/* kmalloc aligns an object to the power of two >= its size: 512 and up is plenty. */
void *fpu_alloc(void)
{
	void *image = kmalloc(state_size);

	if (image) {
		if (!IS_ALIGNED((u64)image, 64))
			panic("kmalloc gave an FPU image at %p, not 64-byte aligned", image);
		fpu_init_state(image);
	}
	return image;
}

void fpu_free(void *image)
{
	kfree(image);
}

/* edx:eax = ~0: save/restore every component XCR0 enables. */
void fpu_save(void *image)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(image), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(image) : "memory");
}

void fpu_restore(const void *image)
{
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(image), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(image) : "memory");
}
