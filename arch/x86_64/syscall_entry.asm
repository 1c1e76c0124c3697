; The SYSCALL entry: from a user program's `syscall` instruction to
; do_syscall_64() and back.
;
; SYSCALL does little: rcx = the user rip to return to, r11 = the user
; rflags, rflags masked with MSR_SFMASK (interrupts off, among others),
; CS/SS from MSR_STAR, and a jump to MSR_LSTAR -- here. It does not switch
; stacks: rsp is still the user's, which the kernel must not trust. So we
; swapgs to reach this CPU's struct cpu, park the user rsp there, load the
; top of the running thread's kernel stack (cpu->kernel_rsp, kept equal to
; TSS.rsp0 by the context switch), and push a struct trap_frame exactly
; like the one an interrupt from user mode leaves: the same C code and the
; same exit path (entry.asm, ret_to_user) serve both.
;
; Interrupts stay off until the frame is built (SFMASK cleared IF), so no
; interrupt can find us on the user stack with the kernel GS. An NMI or
; #MC may; they use their own IST stacks and find GS with rdmsr.

%include "arch/x86_64/trap_frame.inc"

extern do_syscall_64
extern iret_to_user
global entry_SYSCALL_64

CPU_KERNEL_RSP equ 24          ; offsetof(struct cpu, kernel_rsp), checked in syscall.c
CPU_USER_RSP   equ 32
USER_CS        equ 0x23
USER_DS        equ 0x1b
TRAP_SYSCALL   equ 0x100       ; tf->vector of a syscall frame: not an IDT vector

section .text
entry_SYSCALL_64:
	swapgs
	mov [gs:CPU_USER_RSP], rsp
	mov rsp, [gs:CPU_KERNEL_RSP]
	push USER_DS                  ; ss
	push qword [gs:CPU_USER_RSP]  ; rsp
	push r11                      ; rflags
	push USER_CS                  ; cs
	push rcx                      ; rip
	push rax                      ; tf->error: the syscall number, kept (Linux's orig_ax)
	push TRAP_SYSCALL             ; tf->vector
	SAVE_REGS
	mov rdi, rsp
	cld
	call do_syscall_64            ; returns with interrupts off; al = 1: SYSRET may be used
	test al, al
	jz iret_to_user
	; SYSRET: rip from rcx, rflags from r11; do_syscall_64 checked that the
	; frame's rcx and r11 are those, so restoring the registers sets them.
	RESTORE_REGS
	mov rsp, [rsp + TF_RSP - TF_VECTOR]   ; the user stack; from here on no kernel stack
	swapgs
	o64 sysret
