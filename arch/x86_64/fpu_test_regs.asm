; Helpers for arch/x86_64/fpu_test.c: the kernel is built
; -mgeneral-regs-only, so C cannot touch the SSE/AVX registers itself.
; Each moves all sixteen registers between them and a buffer of 32 u64s
; (register i is u64s 2i and 2i+1).

global xmm_load_all, xmm_store_all, ymm_load_high, ymm_store_high
global mxcsr_read, mxcsr_write

section .text

; void xmm_load_all(const u64 in[32])
xmm_load_all:
%assign i 0
%rep 16
	movdqu xmm %+ i, [rdi + 16 * i]
%assign i i + 1
%endrep
	ret

; void xmm_store_all(u64 out[32])
xmm_store_all:
%assign i 0
%rep 16
	movdqu [rdi + 16 * i], xmm %+ i
%assign i i + 1
%endrep
	ret

; void ymm_load_high(const u64 in[32]): the upper 128 bits of ymm0..15 (AVX)
ymm_load_high:
%assign i 0
%rep 16
	vinsertf128 ymm %+ i, ymm %+ i, [rdi + 16 * i], 1
%assign i i + 1
%endrep
	ret

; void ymm_store_high(u64 out[32])
ymm_store_high:
%assign i 0
%rep 16
	vextractf128 [rdi + 16 * i], ymm %+ i, 1
%assign i i + 1
%endrep
	ret

; u32 mxcsr_read(void)
mxcsr_read:
	sub rsp, 8
	stmxcsr [rsp]
	mov eax, [rsp]
	add rsp, 8
	ret

; void mxcsr_write(u32 v)
mxcsr_write:
	sub rsp, 8
	mov [rsp], edi
	ldmxcsr [rsp]
	add rsp, 8
	ret
