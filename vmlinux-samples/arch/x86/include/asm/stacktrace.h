/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_STACKTRACE_H
#define _ASM_X86_STACKTRACE_H

#include <linux/sched.h>
#include <asm/ptrace.h>

/* How show_trace_log_lvl() prints frames. */
enum stack_trace_style {
	STACK_STYLE_MODERN,	/* " func+0x1f/0x30" inside <TASK> ... </TASK> */
	STACK_STYLE_ADDR,	/* old kernels: " [<ffffffff81234567>] func+0x1f/0x30" */
};

extern enum stack_trace_style stack_trace_style;
/* STACK_STYLE_ADDR: added to every printed vmlinux text address (fake KASLR). */
extern unsigned long stack_trace_kaslr_offset;
/* STACK_STYLE_ADDR: the reliable frame (0 = first) printed as a bare "[<addr>]", or -1. */
extern int stack_trace_bare_frame;

void show_stack(struct task_struct *task, unsigned long *sp, const char *loglvl);
void show_trace_log_lvl(struct task_struct *task, struct pt_regs *regs,
			unsigned long *stack, const char *log_lvl);

/* Scenarios of init/main.c only this architecture has: none. */
#define ARCH_SCENARIOS

/* The machine dump_stack_print_info() names (dump_stack_set_arch_desc()). */
#define DUMP_STACK_ARCH_DESC \
	"QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014"

#endif /* _ASM_X86_STACKTRACE_H */
