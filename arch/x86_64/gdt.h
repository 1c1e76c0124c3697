/* Per-CPU GDT and TSS. */
#pragma once
#include "kernel/types.h"

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS   0x1b   /* 0x18 | RPL 3; SYSRET wants user SS at STAR+8 ... */
#define USER_CS   0x23   /* ... and user CS at STAR+16 (0x20 | RPL 3) */
#define TSS_SEL   0x28

struct tss {
	u32 reserved0;
	u64 rsp[3];            /* rsp[0]: stack for entering ring 0 from ring 3 */
	u64 reserved1;
	u64 ist[7];            /* ist[n-1] is IST slot n */
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

/* Build and load this CPU's GDT and TSS (with its IST stacks), reload segments. */
void gdt_init_cpu(void);
