; Programs that arch/x86_64/syscall_test.c runs in ring 3. Each is copied
; to a user page and runs there, so it uses no absolute address. The test
; system call numbers are handled by the test's syscall_test_hook.

SYS_TEST_RECORD  equ 0x5eed01   ; records its arguments, returns rdi * 3
SYS_TEST_EXIT    equ 0x5eed02   ; the thread exits with code rdi
SYS_TEST_SET_RCX equ 0x5eed03   ; changes the frame's rcx and r11 (IRET needed)

global user_prog_smoke, user_prog_smoke_end
global user_prog_iret, user_prog_iret_end
global user_prog_spin, user_prog_spin_end

section .rodata

; A system call and back: the reply arrives in rax, rsp and the registers
; the ABI preserves (all but rax, rcx, r11) come back unchanged. Exits with
; the reply, or 99 if something came back wrong.
user_prog_smoke:
	mov rbx, rsp
	mov r12, 0x123456789a
	mov r15, -2
	mov eax, SYS_TEST_RECORD
	mov edi, 11
	mov esi, 22
	mov edx, 33
	mov r10d, 44
	mov r8d, 55
	mov r9d, 66
	syscall
	cmp rbx, rsp
	jne .bad
	mov rcx, 0x123456789a
	cmp r12, rcx
	jne .bad
	cmp r15, -2
	jne .bad
	cmp rdi, 11
	jne .bad
	mov edi, eax
	mov eax, SYS_TEST_EXIT
	syscall
.bad:
	mov edi, 99
	mov eax, SYS_TEST_EXIT
	syscall
	ud2
user_prog_smoke_end:

; The hook sets rcx and r11 in the frame; only a return through IRET
; delivers them (SYSRET would load rip and rflags there). Exit with rcx + r11.
user_prog_iret:
	mov eax, SYS_TEST_SET_RCX
	syscall
	mov rdi, rcx
	add rdi, r11
	mov eax, SYS_TEST_EXIT
	syscall
	ud2
user_prog_iret_end:

; Count forever in the word below the stack pointer: only preemption lets
; anything else run on this CPU, and only a kill ends it.
user_prog_spin:
	inc qword [rsp - 8]
	jmp user_prog_spin
user_prog_spin_end:
