/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ftrace_caller with DYNAMIC_FTRACE_WITH_REGS, as in Linux 6.1's
 * arch/arm64/kernel/entry-ftrace.S.
 *
 * Every function is compiled with -fpatchable-function-entry=2: two NOPs
 * at its entry.  ftrace patches a traced function's NOPs into
 *
 *	mov	x9, x30
 *	bl	ftrace_caller
 *
 * so ftrace_caller runs with x9 = the traced function's return address
 * (its caller's lr) and x30 = the traced function + 8.  It saves a
 * struct pt_regs, makes one frame record for the callsite (lr = x9) and
 * one for the traced function (lr = func + 8), calls the tracers, and
 * returns to the pc in pt_regs (func + 8, or wherever a tracer set it).
 * A stack trace from inside a tracer therefore shows `func+0x8`.
 *
 * Copyright (C) 2013 Linaro Limited
 */

#define __ASSEMBLY__
#include <asm/ptrace.h>

	.text

	.globl	ftrace_caller
	.type	ftrace_caller, %function
ftrace_caller:
	/* Make room for pt_regs, plus a callee frame */
	sub	sp, sp, #(PT_REGS_SIZE + 16)

	/* Save function arguments (and x9 for simplicity) */
	stp	x0, x1, [sp, #S_X0]
	stp	x2, x3, [sp, #S_X0 + 16]
	stp	x4, x5, [sp, #S_X0 + 32]
	stp	x6, x7, [sp, #S_X0 + 48]
	stp	x8, x9, [sp, #S_X0 + 64]
	str	x29, [sp, #S_FP]

	/* Save the callsite's SP and LR */
	add	x10, sp, #(PT_REGS_SIZE + 16)
	stp	x9, x10, [sp, #S_LR]

	/* Save the PC after the ftrace callsite */
	str	x30, [sp, #S_PC]

	/* Create a frame record for the callsite above pt_regs */
	stp	x29, x9, [sp, #PT_REGS_SIZE]
	add	x29, sp, #PT_REGS_SIZE

	/* Create our frame record within pt_regs. */
	stp	x29, x30, [sp, #S_STACKFRAME]
	add	x29, sp, #S_STACKFRAME

	sub	x0, x30, #4			/* ip (callsite's BL insn) */
	mov	x1, x9				/* parent_ip (callsite's LR) */
	adrp	x2, function_trace_op
	ldr	x2, [x2, :lo12:function_trace_op]	/* op */
	mov	x3, sp				/* regs */

	.globl	ftrace_call
ftrace_call:
	bl	arch_ftrace_ops_list_func

	/* Restore function arguments */
	ldp	x0, x1, [sp, #S_X0]
	ldp	x2, x3, [sp, #S_X0 + 16]
	ldp	x4, x5, [sp, #S_X0 + 32]
	ldp	x6, x7, [sp, #S_X0 + 48]
	ldr	x8, [sp, #S_X0 + 64]

	/* Restore the callsite's FP, LR, PC */
	ldr	x29, [sp, #S_FP]
	ldr	x30, [sp, #S_LR]
	ldr	x9, [sp, #S_PC]

	/* Restore the callsite's SP */
	add	sp, sp, #(PT_REGS_SIZE + 16)

	ret	x9
	.size	ftrace_caller, . - ftrace_caller

	.section .note.GNU-stack,"",%progbits
