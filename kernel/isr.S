/* SPDX-License-Identifier: MIT */
/* Exception stubs and the fault probe. */
	.text
.macro stub vec, has_err
	.global isr_\vec
isr_\vec:
	.if !\has_err
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm

	stub 0,0; stub 1,0; stub 2,0; stub 3,0; stub 4,0; stub 5,0; stub 6,0; stub 7,0
	stub 8,1; stub 9,0; stub 10,1; stub 11,1; stub 12,1; stub 13,1; stub 14,1; stub 15,0
	stub 16,0; stub 17,1; stub 18,0; stub 19,0; stub 20,0; stub 21,1; stub 22,0; stub 23,0
	stub 24,0; stub 25,0; stub 26,0; stub 27,0; stub 28,0; stub 29,1; stub 30,1; stub 31,0

isr_common:
	pushq %rax; pushq %rbx; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi; pushq %rbp
	pushq %r8; pushq %r9; pushq %r10; pushq %r11; pushq %r12; pushq %r13; pushq %r14; pushq %r15
	movq %rsp, %rdi
	cld
	call trap_handler
	popq %r15; popq %r14; popq %r13; popq %r12; popq %r11; popq %r10; popq %r9; popq %r8
	popq %rbp; popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rbx; popq %rax
	addq $16, %rsp
	iretq

	.section .rodata
	.global isr_table
isr_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\v
	.endr

/*
 * int probe_access(void *addr, int kind): 0 read, 1 write (the value read is
 * written back), 2 call.  Returns 0 if it completed, 1 if it faulted (the
 * trap handler resumes at probe_resume with the stack as it was at entry).
 */
	.text
	.global probe_access, probe_resume
probe_access:
	movq %rsp, probe_rsp(%rip)
	movb $1, probe_armed(%rip)
	cmpl $1, %esi
	je 1f
	cmpl $2, %esi
	je 2f
	movq (%rdi), %rax
	jmp 3f
1:	movq (%rdi), %rax
	movq %rax, (%rdi)
	jmp 3f
2:	call *%rdi
3:	movb $0, probe_armed(%rip)
	xorl %eax, %eax
	ret
probe_resume:
	movb $0, probe_armed(%rip)
	movl $1, %eax
	ret

	.section .note.GNU-stack, "", @progbits
