; Interrupt and exception entry: 256 stubs, all funnelled into trap_dispatch().
;
; Each stub makes the stack look the same whatever the vector: the CPU pushed
; ss, rsp, rflags, cs, rip and, for some exceptions, an error code; the stub
; pushes a 0 where the CPU pushed none, then the vector number. The common
; code pushes the general registers, giving a struct trap_frame (idt.h).
;
; GS: in the kernel GS base points at this CPU's struct cpu. Coming from user
; mode it holds the user's value, so entries from ring 3 execute swapgs on
; the way in and out. NMI, #DF and #MC can arrive at any instruction, even
; between a swapgs and the iretq, so their "paranoid" path asks the MSR
; which GS is live instead of trusting CS.
;
; The way back to ring 3 is shared with the SYSCALL entry (syscall_entry.asm):
; ret_to_user runs the exit work (exit_to_user_mode), then IRET.

extern trap_dispatch
extern exit_to_user_mode
global isr_stub_table
global ret_to_user
global iret_to_user
global return_to_user

MSR_GS_BASE equ 0xc0000101
FRAME_RIP   equ 16            ; offsets from rsp after the vector+error push
FRAME_CS    equ 24
VEC_GP      equ 13

%include "arch/x86_64/trap_frame.inc"

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
	jnz .from_user
	; In ring 0 GS is the kernel's -- except at one instruction: the iretq
	; that returns to user mode runs after its swapgs, and if it faults (a
	; bad frame: non-canonical rip, bad selector) the exception arrives in
	; ring 0 with the user's GS. That one case must swap too.
	cmp qword [rsp + FRAME_RIP], iret_to_user_insn
	jne .kernel
.from_user:
	swapgs
.kernel:
	; Start from clean flags: no AC above all (user code may set it, and
	; with AC set SMAP does not protect the kernel), no DF. IF is already
	; off (interrupt gates); the frame keeps the interrupted flags.
	push qword 2
	popfq
	SAVE_REGS
	mov rdi, rsp
	call trap_dispatch
	test byte [rsp + TF_CS], 3
	jnz ret_to_user
	RESTORE_REGS
	add rsp, 16                ; vector and error code
	iretq

; Return to user mode from the trap frame at rsp (the top of the thread's
; kernel stack): first the exit work in C -- reschedule if asked, leave if
; killed, note an RCU quiescent state -- then restore and IRET.
ret_to_user:
	mov rdi, rsp
	call exit_to_user_mode     ; returns with interrupts off, to stay so
iret_to_user:                  ; the frame is final: the SYSCALL exit jumps here
	RESTORE_REGS
	add rsp, 16
	swapgs
iret_to_user_insn:
	iretq

; __noreturn void return_to_user(struct trap_frame *regs): regs is the
; running thread's task_pt_regs, at the top of its stack; whatever the
; kernel was doing below it is abandoned.
return_to_user:
	mov rsp, rdi
	jmp ret_to_user

; Continued from the iretq above when it faulted (listed in __ex_table): rsp
; points at the frame it could not use, the user's registers are back in
; place, GS is the kernel's (common_entry swapped it). It is the user
; program's fault -- a rip or selector its frame should not have -- so make
; it one: rebuild the trap frame as though the #GP came from user mode and
; dispatch it (user-mode exceptions end the thread), then leave again.
bad_iret:
	push 0
	push VEC_GP
	SAVE_REGS
	mov rdi, rsp
	cld
	call trap_dispatch
	jmp ret_to_user

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

section __ex_table progbits alloc noexec nowrite align=8
	dq iret_to_user_insn, bad_iret

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 256
	dq isr_stub_ %+ v
%assign v v + 1
%endrep
