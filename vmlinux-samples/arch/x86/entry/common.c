// SPDX-License-Identifier: GPL-2.0-only
/*
 * common.c - C code for kernel entry and exit
 * Copyright (c) 2015 Andrew Lutomirski
 */
#include <linux/kernel.h>
#include <asm/ptrace.h>

#define __NR_finit_module	313

long __x64_sys_finit_module(const struct pt_regs *regs);

static long __x64_sys_ni_syscall(const struct pt_regs *regs)
{
	return -38;	/* -ENOSYS */
}

static noinline long x64_sys_call(const struct pt_regs *regs, unsigned int nr)
{
	switch (nr) {
	case __NR_finit_module:
		return __x64_sys_finit_module(regs);
	default:
		return __x64_sys_ni_syscall(regs);
	}
}

void do_syscall_64(struct pt_regs *regs, int nr)
{
	if (likely((unsigned int)nr < 512))
		regs->ax = x64_sys_call(regs, nr);
	barrier();
}
