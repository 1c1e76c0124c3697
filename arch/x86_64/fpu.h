/*
 * FPU, SSE and AVX register state, one image per thread.
 *
 * The kernel is built -mgeneral-regs-only: kernel C code never touches the
 * x87/SSE/AVX registers, so they always hold the state of the thread that
 * runs (or last ran) in user mode, and the only place that must save and
 * restore them is the context switch. We do it eagerly at every switch
 * (no lazy #NM trick): simple, and correct with threads that migrate.
 *
 * The image is what XSAVE writes when the CPU has it (components x87, SSE
 * and, if present, AVX, enabled in XCR0), else the 512-byte FXSAVE image.
 * Either needs 64-byte alignment (FXSAVE 16); the size comes from CPUID
 * leaf 0xD for the components enabled.
 */
#pragma once
#include "kernel/types.h"

/* XCR0 / XSAVE component bits. */
#define XFEATURE_X87 (1ull << 0)
#define XFEATURE_SSE (1ull << 1)
#define XFEATURE_AVX (1ull << 2)

/*
 * Boot CPU, once, before any thread exists: choose XSAVE or FXSAVE, size
 * the image, build the clean initial image; then fpu_init_cpu().
 */
void fpu_init(void);
/* Every CPU: enable the FPU/SSE (and XSAVE, XCR0) in CR0/CR4, fninit. */
void fpu_init_cpu(void);

/* Bytes of one image, and the XSAVE components it holds (0: FXSAVE). */
size_t fpu_state_size(void);
u64 fpu_xfeatures(void);

/* A new image in the clean initial state (kmalloc, 64-byte aligned), or NULL. */
void *fpu_alloc(void);
void fpu_free(void *image);
/* Put image in the clean initial state: x87 FCW 0x37f, MXCSR 0x1f80, all else 0. */
void fpu_init_state(void *image);

/* Save this CPU's registers into image / load them from it. Interrupts off or
 * otherwise sure no switch happens in between. */
void fpu_save(void *image);
void fpu_restore(const void *image);
