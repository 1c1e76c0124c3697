/*
 * clone.S - start a thread: the one step C cannot express.
 *
 * long clone_thread(unsigned long flags, void *sp, int *ptid, int *ctid,
 *                   void *tls);
 *
 * After clone() two threads return from the same syscall instruction: the
 * parent on its own stack with the child's tid in rax, the child with rax 0
 * on the new stack `sp`. The child must not return into C code, whose
 * frame lives on the parent's stack; instead it takes the two words the
 * caller left at sp[0] and sp[1], calls fn(arg), and ends itself with
 * exit(), which ends this thread only.
 *
 * C argument registers are rdi, rsi, rdx, rcx, r8; clone's fourth argument
 * goes in r10 instead, because SYSCALL overwrites rcx. Linux's x86-64 order
 * is clone(flags, newsp, parent_tid, child_tid, tls).
 */
#define SYS_clone 56
#define SYS_exit  60

	.text
	.globl clone_thread
	.type clone_thread, @function
clone_thread:
	mov	%rcx, %r10
	mov	$SYS_clone, %eax
	syscall
	test	%rax, %rax
	jnz	1f			/* parent, or clone failed: -errno */

	xor	%ebp, %ebp		/* child: the outermost frame */
	pop	%rax			/* fn */
	pop	%rdi			/* arg; rsp is 16-byte aligned again */
	call	*%rax
	mov	%eax, %edi
	mov	$SYS_exit, %eax
	syscall
	ud2
1:
	ret
	.size clone_thread, . - clone_thread

	.section .note.GNU-stack, "", @progbits
