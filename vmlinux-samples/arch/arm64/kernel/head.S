/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry point of the sample kernel: primary_entry is the ELF entry.
 */

	.text

/* Host process entry: argc at [sp], argv after it. */
	.globl	primary_entry
	.type	primary_entry, %function
primary_entry:
	mov	x29, xzr
	mov	x30, xzr
	ldr	x0, [sp]			/* argc */
	add	x1, sp, #8			/* argv */
	bl	start_kernel
	brk	#0x3e8
	.size	primary_entry, . - primary_entry

	.section .note.GNU-stack,"",%progbits
