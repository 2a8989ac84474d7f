/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Code symbols without a function type, as the kernel's SYM_CODE_START
 * makes them (relocate_kernel_64.S, entry_64_compat.S): GNU as then
 * describes the unit with no subprogram at all, a root DIE without
 * children. Nothing calls this code; it is linked last so that no other
 * address moves.
 */

	.text

	.globl	relocate_kernel
relocate_kernel:
	pushq	%rbp
	movq	%rsp, %rbp
	xorl	%eax, %eax
	popq	%rbp
	ret

	.globl	virtual_mapped
virtual_mapped:
	movq	%rdi, %rax
	addq	$8, %rax
	ret

	.section .note.GNU-stack,"",@progbits
