/* SPDX-License-Identifier: MIT */
/*
 * The PVH entry (QEMU -kernel): 32-bit protected mode, paging off, %ebx =
 * the hvm_start_info.  Builds nothing at run time: the boot page table below
 * (identity and KBASE aliases of the first 1 GiB, 2M pages) is "the table
 * someone else built" that the bootstrap adopts, replaces and gives back.
 */
#define KBASE 0xffffffff80000000

	.section .boot.text, "ax"
	.code32
	.global pvh_entry
pvh_entry:
	cli
	movl %ebx, boot_start_info
	movl $boot_pml4, %esi
	movl $7, %eax                   /* LA57 if the CPU has it: CPUID.7.0:ECX[16] */
	xorl %ecx, %ecx
	cpuid
	movl %cr4, %eax
	orl $0x20, %eax                 /* PAE */
	testl $(1 << 16), %ecx
	jz 1f
	orl $(1 << 12), %eax            /* LA57: a 5-level boot table */
	movl $boot_pml5, %esi
1:	movl %eax, %cr4
	movl %esi, %cr3
	movl $0xc0000080, %ecx          /* EFER: LME, NXE */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
	movl %eax, %cr0
	lgdt boot_gdtr
	ljmp $0x08, $boot64

	.code64
boot64:
	movabsq $kernel_entry64, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.align 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 64-bit code */
	.quad 0x00cf92000000ffff        /* data */
boot_gdtr:
	.word 23
	.long boot_gdt
	.global boot_start_info
boot_start_info:
	.quad 0

	.align 4096
	.global boot_pml5
boot_pml5:                              /* LA57: the same tree one level up */
	.quad boot_pml4_lo + 3
	.fill 510, 8, 0
	.quad boot_pml4_hi + 3
boot_pml4_lo:
	.quad boot_pdpt_lo + 3
	.fill 511, 8, 0
boot_pml4_hi:
	.fill 511, 8, 0
	.quad boot_pdpt_hi + 3
	.global boot_pml4
boot_pml4:
	.quad boot_pdpt_lo + 3
	.fill 510, 8, 0
	.quad boot_pdpt_hi + 3
boot_pdpt_lo:
	.quad boot_pd + 3
	.fill 511, 8, 0
boot_pdpt_hi:
	.fill 510, 8, 0
	.quad boot_pd_hi + 3
	.quad 0
boot_pd:                                /* two copies: the tree is a tree */
	.set i, 0
	.rept 512
	.quad (i << 21) | 0x83
	.set i, i + 1
	.endr
boot_pd_hi:
	.set i, 0
	.rept 512
	.quad (i << 21) | 0x83
	.set i, i + 1
	.endr

/* The 64-bit kernel proper, in the upper half. */
	.text
	.global kernel_entry64
kernel_entry64:
	lgdt kernel_gdtr(%rip)
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	leaq kernel_stack_top(%rip), %rsp
	pushq $0x08
	leaq 1f(%rip), %rax
	pushq %rax
	lretq                            /* CS from the upper-half GDT */
1:	movl boot_start_info, %edi
	call kmain_native
2:	cli
	hlt
	jmp 2b

	.section .rodata
	.align 8
kernel_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.global kernel_gdtr
kernel_gdtr:
	.word 23
	.quad kernel_gdt

	.bss
	.align 16
	.global kernel_stack_top
	.skip 131072
kernel_stack_top:

/* Xen's PVH note: the physical 32-bit entry (an 8-byte value for QEMU 7.2). */
	.section .note.xen, "a"
	.align 4
	.long 4, 8, 18
	.asciz "Xen"
	.align 4
	.quad pvh_entry
	.align 4

	.section .note.GNU-stack, "", @progbits
