// SPDX-License-Identifier: GPL-2.0-or-later
/*
 *  Kernel Probes (KProbes) on ftrace callsites: a kprobe at a function's
 *  entry is an ftrace tracer of that function.
 *
 * Copyright (C) IBM Corporation, 2002, 2004
 */
#include <linux/kernel.h>
#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>

#define AARCH64_INSN_SIZE_FTRACE	4

static struct kprobe *the_kprobe;

static struct kprobe *get_kprobe(unsigned long addr)
{
	return the_kprobe && the_kprobe->addr == addr ? the_kprobe : NULL;
}

/* Ftrace callback handler for kprobes (arch/x86/kernel/kprobes/ftrace.c). */
static void kprobe_ftrace_handler(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = (struct pt_regs *)fregs;
	struct kprobe *p = get_kprobe(ip);
	unsigned long orig_ip;

	if (!p)
		return;
	orig_ip = regs->pc;
	if (!p->pre_handler || !p->pre_handler(p, regs))
		regs->pc = orig_ip;
	/* Otherwise the handler changed the pc: leave it. */
}

static struct ftrace_ops kprobe_ftrace_ops = {
	.func = kprobe_ftrace_handler,
};

int register_kprobe(struct kprobe *p)
{
	unsigned long addr = kallsyms_lookup_name(p->symbol_name);

	if (!addr)
		return -2;	/* -ENOENT */
	/* ftrace_location(): the BL of the patched entry, function + 4. */
	p->addr = addr + AARCH64_INSN_SIZE_FTRACE;
	the_kprobe = p;
	ftrace_set_filter_ip(&kprobe_ftrace_ops, p->addr);
	return register_ftrace_function(&kprobe_ftrace_ops);
}
