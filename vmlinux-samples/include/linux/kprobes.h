/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _LINUX_KPROBES_H
#define _LINUX_KPROBES_H

#include <linux/types.h>
#include <asm/ptrace.h>

struct kprobe;

typedef int (*kprobe_pre_handler_t)(struct kprobe *, struct pt_regs *);

/* A kprobe on a function's ftrace callsite (CONFIG_KPROBES_ON_FTRACE). */
struct kprobe {
	const char		*symbol_name;
	unsigned long		addr;
	/* Returns nonzero when it changed regs->pc. */
	kprobe_pre_handler_t	pre_handler;
};

int register_kprobe(struct kprobe *p);

#endif /* _LINUX_KPROBES_H */
