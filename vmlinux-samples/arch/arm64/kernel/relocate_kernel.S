/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Code symbols without a function type, as the kernel's SYM_CODE_START
 * makes them (relocate_kernel.S): GNU as then describes the unit with no
 * subprogram at all, a root DIE without children. Nothing calls this
 * code; it is linked last so that no other address moves.
 */

	.text

	.globl	arm64_relocate_new_kernel
arm64_relocate_new_kernel:
	mov	x0, xzr
	ret

	.globl	arm64_relocate_done
arm64_relocate_done:
	add	x0, x0, #8
	ret

	.section .note.GNU-stack,"",%progbits
