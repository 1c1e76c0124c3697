; AP trampoline: where an application processor starts after INIT-SIPI-SIPI.
;
; A started AP is in 16-bit real mode at CS:IP = (page << 8):0, i.e. at the
; start of the 4 KiB page below 1 MiB that the SIPI named. arch/x86_64/smp.c
; copies the code from trampoline_start to trampoline_end into that page and
; fills in the parameter block at its end. The code does not know where it
; was copied to: it computes its base as CS << 4 and reaches everything,
; itself included, as base + (label - trampoline_start).
;
; The AP goes (1) real mode -> 32-bit protected mode (flat segments from the
; small GDT below), (2) turns on PAE, loads CR3 with the kernel's PGD (which
; must lie below 4 GiB: CR3 is written from 32-bit code here) and writes EFER
; (LME, NXE) and CR0 (PG, WP) as the boot CPU has them, (3) jumps to 64-bit
; code and (4) on to the C entry in the higher half on its own stack, with
; its CPU id as the argument. Steps (2)-(4) run on the identity map of low
; memory (PGD entry 0), which must stay until every AP is up.
;
; This code is only ever copied, never run where it is linked.

SEL_CODE32 equ 0x08
SEL_DATA   equ 0x10
SEL_CODE64 equ 0x18
MSR_EFER   equ 0xc0000080
CR0_PE     equ 1 << 0
CR4_PAE    equ 1 << 5

%define OFF(label) ((label) - trampoline_start)

global trampoline_start
global trampoline_end
global trampoline_params

section .rodata
align 16
bits 16
trampoline_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	mov ss, ax
	mov sp, 0x1000                 ; a small stack at the top of this page
	mov byte [OFF(tp_started)], 1  ; tell the boot CPU the SIPI arrived
	movzx ebx, ax
	shl ebx, 4                     ; ebx = physical address of this page

	lea eax, [ebx + OFF(tr_gdt)]   ; the GDT's base is only known now
	mov [OFF(tr_gdtr) + 2], eax
	o32 lgdt [OFF(tr_gdtr)]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	; A far jump to base + OFF(pm32): push selector and offset, far return.
	push dword SEL_CODE32
	lea eax, [ebx + OFF(pm32)]
	push eax
	o32 retf

bits 32
pm32:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea esp, [ebx + 0x1000]

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, [ebx + OFF(tp_cr3)]
	mov cr3, eax
	mov ecx, MSR_EFER
	mov eax, [ebx + OFF(tp_efer)]
	mov edx, [ebx + OFF(tp_efer) + 4]
	wrmsr
	mov eax, [ebx + OFF(tp_cr0)]
	mov cr0, eax                   ; paging on: now in compatibility mode

	push dword SEL_CODE64
	lea eax, [ebx + OFF(lm64)]
	push eax
	retf

bits 64
lm64:
	mov eax, SEL_DATA
	mov ds, eax
	mov es, eax
	mov ss, eax
	mov ebx, ebx                   ; upper halves are undefined after the switch
	mov rsp, [rbx + OFF(tp_stack)]
	mov rax, [rbx + OFF(tp_entry)]
	mov edi, [rbx + OFF(tp_cpu)]
	xor ebp, ebp                   ; ends the backtrace frame chain
	push 0                         ; as if called: the ABI's stack alignment
	jmp rax

align 8
tr_gdt:
	dq 0
	dq 0x00cf9a000000ffff          ; 0x08: 32-bit code, base 0, 4 GiB
	dq 0x00cf92000000ffff          ; 0x10: data, base 0, 4 GiB
	dq 0x00af9a000000ffff          ; 0x18: 64-bit code
tr_gdt_end:
tr_gdtr:
	dw tr_gdt_end - tr_gdt - 1
	dd 0                           ; base: patched by the code above

; The parameter block, filled by arch/x86_64/smp.c (struct trampoline_params).
align 8
trampoline_params:
tp_cr3:     dq 0                   ; the kernel PGD, below 4 GiB
tp_efer:    dq 0                   ; EFER to load (LME, NXE, ...)
tp_cr0:     dq 0                   ; CR0 to load (PE, PG, WP, ...)
tp_stack:   dq 0                   ; top of the AP's stack (virtual)
tp_entry:   dq 0                   ; the 64-bit C function to call (virtual)
tp_cpu:     dd 0                   ; its argument: the AP's CPU id
tp_started: dd 0                   ; set to 1 by the AP on arrival
trampoline_end:
