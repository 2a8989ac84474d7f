// SPDX-License-Identifier: GPL-2.0-only
/*
 * show_regs() as arch/arm64/kernel/process.c prints it: the pstate bits,
 * pc and lr by symbol, sp, x29 down to x0 three to a line, then the call
 * trace from the trapped registers.
 *
 * Copyright (C) 2012 ARM Ltd.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <asm/ptrace.h>
#include <asm/stacktrace.h>

void dump_stack_print_info(const char *log_lvl);

static const char *const btypes[] = { "--", "-c", "j-", "jc" };

static void print_pstate(struct pt_regs *regs)
{
	unsigned long pstate = regs->pstate;

	printk("pstate: %08lx (%c%c%c%c %c%c%c%c %cPAN %cUAO %cTCO %cDIT %cSSBS BTYPE=%s)\n",
	       pstate,
	       pstate & (1UL << 31) ? 'N' : 'n',
	       pstate & (1UL << 30) ? 'Z' : 'z',
	       pstate & (1UL << 29) ? 'C' : 'c',
	       pstate & (1UL << 28) ? 'V' : 'v',
	       pstate & (1UL << 9) ? 'D' : 'd',
	       pstate & (1UL << 8) ? 'A' : 'a',
	       pstate & (1UL << 7) ? 'I' : 'i',
	       pstate & (1UL << 6) ? 'F' : 'f',
	       pstate & (1UL << 22) ? '+' : '-',
	       pstate & (1UL << 23) ? '+' : '-',
	       pstate & (1UL << 25) ? '+' : '-',
	       pstate & (1UL << 24) ? '+' : '-',
	       pstate & (1UL << 12) ? '+' : '-',
	       btypes[(pstate >> 10) & 3]);
}

static void __show_regs(struct pt_regs *regs)
{
	char line[3 * 24 + 1];
	int i, len;

	dump_stack_print_info(KERN_DEFAULT);
	print_pstate(regs);

	printk("pc : %pS\n", (void *)regs->pc);
	printk("lr : %pS\n", (void *)regs->regs[30]);
	printk("sp : %016lx\n", regs->sp);

	for (i = 29; i >= 0; ) {
		len = 0;
		do {
			len += snprintf(line + len, sizeof(line) - len, "%sx%-2d: %016lx",
					len ? " " : "", i, regs->regs[i]);
		} while (i-- % 3);
		printk("%s\n", line);
	}
}

void show_regs(struct pt_regs *regs)
{
	__show_regs(regs);
	dump_backtrace(regs, NULL, KERN_DEFAULT);
}
