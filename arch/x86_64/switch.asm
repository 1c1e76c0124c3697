; The context switch proper: from one kernel stack to another.
;
; A thread that is not running is suspended inside __switch_to_asm, its
; callee-saved registers pushed on its own kernel stack and that stack's
; rsp in thread->rsp. Switching is therefore: push ours, save rsp, load the
; other's rsp, pop its registers, return -- into wherever it called
; __switch_to_asm from (schedule()), or, for a thread that never ran, into
; ret_from_kthread, whose frame thread creation built (arch/x86_64/context.c).
; The caller-saved registers need no saving: the C caller assumes them lost.
;
; rax returns `prev` to the thread that resumes, since its own local
; variables describe the switch it made long ago, not this one.

global __switch_to_asm
global ret_from_kthread
extern schedule_tail
extern thread_exit

THREAD_RSP equ 0                 ; offsetof(struct thread, rsp), checked in context.c

section .text

; struct thread *__switch_to_asm(struct thread *prev, struct thread *next)
; Interrupts off; the run-queue lock held (released by the next thread).
__switch_to_asm:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi + THREAD_RSP], rsp
	mov rsp, [rsi + THREAD_RSP]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	mov rax, rdi
	ret

; First code of every new thread: rbx = fn, r12 = arg (from its initial
; frame), rax = the thread switched away from. rsp is 16-byte aligned here.
ret_from_kthread:
	mov rdi, rax
	call schedule_tail           ; finish the switch, interrupts on
	mov rdi, r12
	call rbx                     ; fn(arg)
	mov edi, eax
	call thread_exit             ; with fn's return value; never returns
	ud2
