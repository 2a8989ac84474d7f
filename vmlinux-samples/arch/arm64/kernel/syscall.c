// SPDX-License-Identifier: GPL-2.0
/*
 * invoke_syscall() and do_el0_svc(), as in arch/arm64/kernel/syscall.c.
 */
#include <linux/kernel.h>
#include <asm/ptrace.h>
#include <asm/unistd.h>

typedef long (*syscall_fn_t)(const struct pt_regs *regs);

long __arm64_sys_finit_module(const struct pt_regs *regs);

static long __arm64_sys_ni_syscall(const struct pt_regs *regs)
{
	return -38;	/* -ENOSYS */
}

static const syscall_fn_t sys_call_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = __arm64_sys_ni_syscall,
	[__NR_finit_module] = __arm64_sys_finit_module,
};

static long __invoke_syscall(struct pt_regs *regs, syscall_fn_t syscall_fn)
{
	return syscall_fn(regs);
}

static noinline void invoke_syscall(struct pt_regs *regs, unsigned int scno,
				    unsigned int sc_nr, const syscall_fn_t syscall_table[])
{
	long ret;

	if (scno < sc_nr)
		ret = __invoke_syscall(regs, syscall_table[scno]);
	else
		ret = -38;
	regs->regs[0] = ret;
}

static noinline void el0_svc_common(struct pt_regs *regs, int scno, int sc_nr,
				    const syscall_fn_t syscall_table[])
{
	regs->orig_x0 = regs->regs[0];
	regs->syscallno = scno;
	invoke_syscall(regs, scno, sc_nr, syscall_table);
	barrier();
}

noinline void do_el0_svc(struct pt_regs *regs)
{
	el0_svc_common(regs, regs->regs[8], __NR_syscalls, sys_call_table);
}
