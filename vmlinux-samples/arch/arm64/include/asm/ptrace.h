/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ARM64_PTRACE_H
#define _ASM_ARM64_PTRACE_H

/* Offsets for the entry code (arch/arm64/kernel/entry.S). */
#define S_X0		0
#define S_SP		248
#define S_PC		256
#define S_PSTATE	264
#define S_ORIG_X0	272
#define S_SYSCALLNO	280
#define S_STACKFRAME	288
#define PT_REGS_SIZE	304
#define S_FP		(29 * 8)
#define S_LR		(30 * 8)

#define PSR_MODE_EL1h	0x00000005
#define PSR_MODE_MASK	0x0000000f

#ifndef __ASSEMBLY__

/* The kernel's struct pt_regs, up to the fields the sample uses. */
struct pt_regs {
	unsigned long regs[31];
	unsigned long sp;
	unsigned long pc;
	unsigned long pstate;
	unsigned long orig_x0;
	unsigned long syscallno;
	unsigned long stackframe[2];	/* a frame record, for ftrace_caller */
};

void show_regs(struct pt_regs *regs);

#endif /* !__ASSEMBLY__ */

#endif /* _ASM_ARM64_PTRACE_H */
