/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_FTRACE_H
#define _LINUX_FTRACE_H

#include <linux/types.h>

struct ftrace_ops;
struct ftrace_regs;	/* a struct pt_regs, as with DYNAMIC_FTRACE_WITH_REGS */

typedef void (*ftrace_func_t)(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs);

/* A tracer: @func is called at the entry of the function at @ip. */
struct ftrace_ops {
	ftrace_func_t		func;
	struct ftrace_ops	*next;
	unsigned long		ip;	/* the one address filtered on */
};

int ftrace_set_filter_ip(struct ftrace_ops *ops, unsigned long ip);
int register_ftrace_function(struct ftrace_ops *ops);

/* Architecture: patch the callsite @ip (function + 4) to call ftrace_caller. */
int ftrace_make_call(unsigned long ip);

#endif /* _LINUX_FTRACE_H */
