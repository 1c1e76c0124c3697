/*
 * sigreturn.S - the way back from a signal handler.
 *
 * On x86-64 the kernel does not supply a trampoline: every sigaction
 * names one (SA_RESTORER), and the kernel makes it the handler's return
 * address. It must not touch the stack: rsp then points just past the
 * frame the kernel built, which rt_sigreturn reads back.
 */
#define SYS_rt_sigreturn 15

	.text
	.globl signal_restorer
	.type signal_restorer, @function
signal_restorer:
	mov	$SYS_rt_sigreturn, %eax
	syscall
	hlt				/* never reached: rt_sigreturn does not return here */
	.size signal_restorer, .-signal_restorer
	.section .note.GNU-stack,"",@progbits
