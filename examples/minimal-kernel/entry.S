/* SPDX-License-Identifier: MIT */
/* PVH entry (QEMU -kernel): 32-bit protected mode, paging off, %ebx = the
 * hvm_start_info.  The boot table maps the first 1 GiB at 0 and at KBASE
 * with 2M pages: enough to reach kmain, which replaces it with ptboot's. */
	.section .boot, "awx"
	.code32
	.global pvh_entry
pvh_entry:
	movl %ebx, %edi
	movl %cr4, %eax
	orl $0x20, %eax                 /* PAE */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER: LME, NXE (ptboot maps data NX) */
	rdmsr
	orl $0x900, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax           /* PG, WP, PE */
	movl %eax, %cr0
	lgdt gdtr
	ljmp $8, $long_mode
	.code64
long_mode:
	movabsq $stack_top, %rsp
	movl %edi, %edi                 /* upper halves are undefined after the switch */
	movabsq $kmain, %rax
	call *%rax
1:	hlt
	jmp 1b

	.align 8
gdt:	.quad 0, 0x00af9a000000ffff     /* a 64-bit code segment (data segments are ignored) */
gdtr:	.word 15
	.long gdt
	.align 4096
boot_pml4:
	.quad boot_pdpt_lo + 3
	.fill 510, 8, 0
	.quad boot_pdpt_hi + 3
boot_pdpt_lo:
	.quad boot_pd + 3
	.fill 511, 8, 0
boot_pdpt_hi:                           /* KBASE is slot 510 */
	.fill 510, 8, 0
	.quad boot_pd + 3, 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) | 0x83
	.set i, i + 1
	.endr

	.bss
	.align 16
	.skip 65536                     /* ptb_boot_run needs about 10 KiB (docs/porting.md) */
stack_top:

	.section .note.xen, "a"         /* the PVH entry point, for QEMU */
	.align 4
	.long 4, 8, 18
	.asciz "Xen"
	.align 4
	.quad pvh_entry
	.section .note.GNU-stack, "", @progbits
