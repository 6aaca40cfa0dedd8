/* SPDX-License-Identifier: MIT */
/*
 * The Xen PV entry of the same ELF: 64-bit, paged by Xen's domain builder,
 * %rsi = start_info.  The hypercall page, the ELF notes Xen's loader needs,
 * and the page-fault entry (Xen's PV frame: rcx, r11, error, rip, cs,
 * rflags, rsp, ss) that feeds the probes and returns with HYPERVISOR_iret.
 */
#define KBASE 0xffffffff80000000

	.text
	.global xen_entry
xen_entry:
	leaq kernel_stack_top(%rip), %rsp
	movq %rsi, %rdi
	call kmain_xen
1:	jmp 1b

	.align 4096
	.global hypercall_page
hypercall_page:
	.skip 4096

	.global xen_pf_entry, xen_other_entry
xen_pf_entry:
	cmpb $0, probe_armed(%rip)
	je xen_fatal_entry
	movq 16(%rsp), %rax
	movq %rax, probe_error(%rip)
	leaq probe_resume(%rip), %rax
	movq %rax, 24(%rsp)             /* rip */
	movq probe_rsp(%rip), %rax
	movq %rax, 48(%rsp)             /* rsp */
	popq %rcx                       /* the interrupted rcx and r11 ... */
	popq %r11
	addq $8, %rsp                   /* ... without the error code */
	pushq $0                        /* iret flags; the hypercall stub pushes */
	jmp hypercall_page + 23 * 32    /* rcx, r11, rax itself: HYPERVISOR_iret */
xen_fatal_entry:
	movq 16(%rsp), %rdi             /* error */
	movq 24(%rsp), %rsi             /* rip */
	andq $-16, %rsp
	call xen_fatal
xen_other_entry:
	movq $0xff, %rdi
	movq 16(%rsp), %rsi
	andq $-16, %rsp
	call xen_fatal

/* ELF notes for Xen's PV loader (owner "Xen"). */
.macro note_head type, size
	.section .note.xen, "a"
	.align 4
	.long 4, \size, \type
	.asciz "Xen"
	.align 4
.endm
.macro xen_note_quad type, value
	note_head \type, 8
	.quad \value
.endm
	note_head 6, 8                  /* GUEST_OS */
	.ascii "ptboot\0\0"
	note_head 5, 8                  /* XEN_VERSION */
	.ascii "xen-3.0\0"
	note_head 8, 8                  /* LOADER */
	.ascii "generic\0"
	xen_note_quad 3, KBASE          /* VIRT_BASE */
	xen_note_quad 4, 0              /* PADDR_OFFSET */
	xen_note_quad 1, xen_entry      /* ENTRY */
	xen_note_quad 2, hypercall_page /* HYPERCALL_PAGE */

	.section .note.GNU-stack, "", @progbits
