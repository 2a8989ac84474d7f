// SPDX-License-Identifier: GPL-2.0
/*
 * Infrastructure for profiling code inserted by 'gcc -pg' (here
 * -fpatchable-function-entry): the list of tracers ftrace_caller calls.
 *
 * Copyright (C) 2007-2008 Steven Rostedt <srostedt@redhat.com>
 */
#include <linux/kernel.h>
#include <linux/ftrace.h>

static struct ftrace_ops *ftrace_ops_list;

/* What ftrace_caller passes as @op (the list function ignores it). */
struct ftrace_ops *function_trace_op;

int ftrace_set_filter_ip(struct ftrace_ops *ops, unsigned long ip)
{
	ops->ip = ip;
	return 0;
}

int register_ftrace_function(struct ftrace_ops *ops)
{
	ops->next = ftrace_ops_list;
	ftrace_ops_list = ops;
	return ftrace_make_call(ops->ip);
}

static inline void __ftrace_ops_list_func(unsigned long ip, unsigned long parent_ip,
					  struct ftrace_ops *ignored,
					  struct ftrace_regs *fregs)
{
	struct ftrace_ops *op;

	for (op = ftrace_ops_list; op; op = op->next)
		if (op->ip == ip)
			op->func(ip, parent_ip, op, fregs);
}

/* Called by ftrace_caller, at its ftrace_call label. */
void arch_ftrace_ops_list_func(unsigned long ip, unsigned long parent_ip,
			       struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	__ftrace_ops_list_func(ip, parent_ip, NULL, fregs);
}
