/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ARM64_STACKTRACE_H
#define _ASM_ARM64_STACKTRACE_H

#include <linux/sched.h>
#include <asm/ptrace.h>

/* How dump_backtrace() prints frames. */
enum stack_trace_style {
	STACK_STYLE_MODERN,	/* " func+0x1f/0x30" (Linux 4.19 and later) */
	STACK_STYLE_ADDR,	/* older kernels: "[<ffff000008085e44>] func+0x1f/0x30" */
};

extern enum stack_trace_style stack_trace_style;
/* STACK_STYLE_ADDR: added to every printed vmlinux text address (fake KASLR). */
extern unsigned long stack_trace_kaslr_offset;
/* STACK_STYLE_ADDR: the frame (0 = first) printed as a bare "[<addr>]", or -1. */
extern int stack_trace_bare_frame;

void show_stack(struct task_struct *task, unsigned long *sp, const char *loglvl);
void dump_backtrace(struct pt_regs *regs, struct task_struct *tsk,
		    const char *loglvl);

/*
 * Scenarios of init/main.c only this architecture has: a stack dump from
 * an ftrace callback (kernel/fail_function.c), whose frames pass through
 * ftrace_caller and show the traced function at +0x8.
 */
void __attribute__((__noreturn__)) run_fail_function(void);
#define ARCH_SCENARIOS	{ "fail-function", run_fail_function },

/* The machine dump_stack_print_info() names (from the device tree). */
#define DUMP_STACK_ARCH_DESC	"linux,dummy-virt (DT)"

#endif /* _ASM_ARM64_STACKTRACE_H */
