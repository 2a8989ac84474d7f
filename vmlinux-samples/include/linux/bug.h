/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

#include <asm/bug.h>
#include <asm/ptrace.h>

enum bug_trap_type {
	BUG_TRAP_TYPE_NONE = 0,
	BUG_TRAP_TYPE_WARN = 1,
	BUG_TRAP_TYPE_BUG = 2,
};

enum bug_trap_type report_bug(unsigned long bug_addr, struct pt_regs *regs);

void __warn(const char *file, int line, void *caller, struct pt_regs *regs);

#endif /* _LINUX_BUG_H */
