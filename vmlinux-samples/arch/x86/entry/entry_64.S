/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry code of the sample kernel.
 *
 * startup_64 is the ELF entry point.  Every other task starts on its own
 * stack at ret_from_fork (kernel threads) or entry_SYSCALL_64 ("user" tasks
 * making a system call), with %rbp cleared so that the frame-pointer chain
 * ends in the entry code, as it does in the kernel.
 */

	.text

/* Host process entry: argc at (%rsp), argv after it. */
	.globl	startup_64
	.type	startup_64, @function
startup_64:
	xorl	%ebp, %ebp
	movq	(%rsp), %rdi			/* argc */
	leaq	8(%rsp), %rsi			/* argv */
	andq	$-16, %rsp
	call	start_kernel
	ud2
	.size	startup_64, . - startup_64

/*
 * __start_task(stack_top, entry, fn, arg): switch to a new task's stack and
 * jump to its entry code with every register cleared except
 * %rbx/%rax = fn (or syscall number) and %r12/%rdi = arg.
 */
	.globl	__start_task
	.type	__start_task, @function
__start_task:
	movq	%rdi, %rsp
	movq	%rdx, %rbx
	movq	%rdx, %rax
	movq	%rcx, %r12
	movq	%rcx, %rdi
	xorl	%ebp, %ebp
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	pushq	%rsi				/* "return" to the entry code ... */
	xorl	%esi, %esi
	ret					/* ... leaving no trace of it */
	.size	__start_task, . - __start_task

/*
 * A new kernel thread starts here: %rbx = fn, %r12 = arg (copy_thread()).
 */
	.globl	ret_from_fork
	.type	ret_from_fork, @function
ret_from_fork:
	movq	%rax, %rdi
	call	schedule_tail			/* rdi: 'prev' task parameter */
	movq	%r12, %rdi
	call	*%rbx				/* kernel thread */
	movq	%rax, %rdi
	call	do_exit
	ud2
	.size	ret_from_fork, . - ret_from_fork

/*
 * A "user" task enters the kernel here for a system call:
 * %rax = syscall number, %rdi, %rsi, %rdx = arguments.
 * Builds a struct pt_regs like the kernel's PUSH_AND_CLEAR_REGS.
 */
	.globl	entry_SYSCALL_64
	.type	entry_SYSCALL_64, @function
entry_SYSCALL_64:
	/* On hardware: swapgs, switch to the task stack, then push the iret frame. */
	movq	%rsp, %r11
	nop
	nop
	nop

	.globl	entry_SYSCALL_64_after_hwframe
entry_SYSCALL_64_after_hwframe:
	pushq	$0x2b				/* pt_regs->ss */
	pushq	%r11				/* pt_regs->sp */
	pushq	$0x246				/* pt_regs->flags */
	pushq	$0x33				/* pt_regs->cs */
	movabsq	$0x7f3a5c2d1e2f, %rcx		/* a user pc, for the record */
	pushq	%rcx				/* pt_regs->ip */
	pushq	%rax				/* pt_regs->orig_ax */
	pushq	%rdi				/* pt_regs->di */
	pushq	%rsi				/* pt_regs->si */
	pushq	%rdx				/* pt_regs->dx */
	pushq	$0				/* pt_regs->cx */
	pushq	$-38				/* pt_regs->ax = -ENOSYS */
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	xorl	%ebp, %ebp

	movq	%rsp, %rdi			/* pt_regs */
	movslq	%eax, %rsi			/* syscall number */
	call	do_syscall_64

	movq	80(%rsp), %rdi			/* pt_regs->ax: exit code */
	call	do_exit
	ud2
	.size	entry_SYSCALL_64, . - entry_SYSCALL_64

/* Signal return trampoline (SA_RESTORER) for the ud2 trap handler. */
	.globl	__restore_rt
	.type	__restore_rt, @function
__restore_rt:
	movl	$15, %eax			/* __NR_rt_sigreturn */
	syscall
	ud2
	.size	__restore_rt, . - __restore_rt
	.section .note.GNU-stack,"",@progbits
