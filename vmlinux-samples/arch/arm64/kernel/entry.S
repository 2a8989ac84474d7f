/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Low-level exception handling code of the sample kernel.
 *
 * Every task starts on its own stack at ret_from_fork (kernel threads) or
 * el0t_64_sync ("user" tasks making a system call), with x29 and x30
 * cleared so that the chain of frame records ends in the entry code, as it
 * does in the kernel.
 */

#define __ASSEMBLY__
#include <asm/ptrace.h>

	.text

/*
 * __start_task(stack_top, entry, fn, arg): switch to a new task's stack
 * and jump to its entry code with every register cleared except
 * x19 = fn (or syscall number) and x20 = arg (copy_thread()).
 */
	.globl	__start_task
	.type	__start_task, %function
__start_task:
	mov	sp, x0
	mov	x19, x2
	mov	x20, x3
	mov	x0, xzr
	mov	x2, xzr
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	mov	x7, xzr
	mov	x8, xzr
	mov	x9, xzr
	mov	x10, xzr
	mov	x11, xzr
	mov	x12, xzr
	mov	x13, xzr
	mov	x14, xzr
	mov	x15, xzr
	mov	x16, xzr
	mov	x17, xzr
	mov	x18, xzr
	mov	x21, xzr
	mov	x22, xzr
	mov	x23, xzr
	mov	x24, xzr
	mov	x25, xzr
	mov	x26, xzr
	mov	x27, xzr
	mov	x28, xzr
	mov	x29, xzr
	mov	x30, xzr
	br	x1				/* leaving no trace of it */
	.size	__start_task, . - __start_task

/*
 * A new kernel thread starts here: x19 = fn, x20 = arg (copy_thread()).
 */
	.globl	ret_from_fork
	.type	ret_from_fork, %function
ret_from_fork:
	bl	schedule_tail			/* x0: 'prev' task parameter */
	mov	x0, x20
	blr	x19				/* kernel thread */
	bl	do_exit
	brk	#0x3e8
	.size	ret_from_fork, . - ret_from_fork

/*
 * A "user" task enters the kernel here for a system call: x19 = syscall
 * number, x20 = first argument.  Builds a struct pt_regs like the
 * kernel's kernel_entry 0, as "svc #0" with x8 = number would leave it.
 */
	.globl	el0t_64_sync
	.type	el0t_64_sync, %function
el0t_64_sync:
	sub	sp, sp, #PT_REGS_SIZE
	mov	x8, x19				/* the syscall number */
	mov	x0, x20				/* its first argument */
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mov	x21, #0xe8f0			/* a user sp and pc, for the record */
	movk	x21, #0xd6a3, lsl #16
	movk	x21, #0xffff, lsl #32
	stp	x30, x21, [sp, #S_SP - 8]
	mov	x22, #0x1e2c
	movk	x22, #0xc5d2, lsl #16
	movk	x22, #0xaaaa, lsl #32
	stp	x22, xzr, [sp, #S_PC]		/* pc, pstate (EL0t) */
	stp	x0, x8, [sp, #S_ORIG_X0]
	mov	x29, xzr

	mov	x0, sp				/* pt_regs */
	bl	el0t_64_sync_handler

	ldr	x0, [sp, #S_X0]			/* the return value: exit code */
	bl	do_exit
	brk	#0x3e8
	.size	el0t_64_sync, . - el0t_64_sync

/* Signal return trampoline (SA_RESTORER) for the brk trap handler. */
	.globl	__restore_rt
	.type	__restore_rt, %function
__restore_rt:
	mov	x8, #139			/* __NR_rt_sigreturn */
	svc	#0
	brk	#0x3e8
	.size	__restore_rt, . - __restore_rt

	.section .note.GNU-stack,"",%progbits
