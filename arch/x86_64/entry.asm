; Interrupt and exception entry: 256 stubs, all funnelled into trap_dispatch().
;
; Each stub makes the stack look the same whatever the vector: the CPU pushed
; ss, rsp, rflags, cs, rip and, for some exceptions, an error code; the stub
; pushes a 0 where the CPU pushed none, then the vector number. The common
; code pushes the general registers, giving a struct trap_frame (idt.h).
;
; GS: in the kernel GS base points at this CPU's struct cpu. Coming from user
; mode (issue 4) it holds the user's value, so entries from ring 3 execute
; swapgs on the way in and out. NMI, #DF and #MC can arrive at any instruction,
; even between a swapgs and the iretq, so their "paranoid" path asks the MSR
; which GS is live instead of trusting CS.

extern trap_dispatch
global isr_stub_table

MSR_GS_BASE equ 0xc0000101
FRAME_CS    equ 24            ; offset of CS from rsp after vector+error push

%macro SAVE_REGS 0
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
%endmacro

%macro RESTORE_REGS 0
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
%endmacro

; Vectors whose exceptions push an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)
%define PARANOID(v) ((v) == 2 || (v) == 8 || (v) == 18)

section .text
align 16
%assign v 0
%rep 256
isr_stub_ %+ v:
%if !HAS_ERROR(v)
	push 0
%endif
	push v
%if PARANOID(v)
	jmp paranoid_entry
%else
	jmp common_entry
%endif
align 16
%assign v v + 1
%endrep

common_entry:
	test byte [rsp + FRAME_CS], 3
	jz .kernel
	swapgs
.kernel:
	SAVE_REGS
	mov rdi, rsp
	cld
	call trap_dispatch
	RESTORE_REGS
	test byte [rsp + FRAME_CS], 3
	jz .kernel_out
	swapgs
.kernel_out:
	add rsp, 16                ; vector and error code
	iretq

paranoid_entry:
	SAVE_REGS
	mov ecx, MSR_GS_BASE
	rdmsr
	xor ebx, ebx               ; ebx = 1 if we swapped (callee-saved: survives C)
	test edx, edx
	js .gs_ok                  ; negative: a kernel address, kernel GS is live
	swapgs
	mov ebx, 1
.gs_ok:
	mov rdi, rsp
	cld
	call trap_dispatch
	test ebx, ebx
	jz .no_swap
	swapgs
.no_swap:
	RESTORE_REGS
	add rsp, 16
	iretq

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 256
	dq isr_stub_ %+ v
%assign v v + 1
%endrep
