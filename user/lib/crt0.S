/*
 * crt0.S - _start, where the kernel enters a program.
 *
 * The kernel jumps here with rsp pointing at the initial stack:
 *     argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
 * No C function may run first: a C prologue would push onto that stack
 * before we had taken its address. So we hand rsp to __libc_start() as its
 * argument, after aligning the stack to 16 bytes as the C ABI requires at
 * a call. rbp = 0 marks the outermost frame for debuggers and backtraces.
 */
	.text
	.globl _start
	.type _start, @function
_start:
	xor	%ebp, %ebp
	mov	%rsp, %rdi
	and	$-16, %rsp
	call	__libc_start
	ud2			/* __libc_start never returns */
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
