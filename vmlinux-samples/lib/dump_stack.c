// SPDX-License-Identifier: GPL-2.0
/*
 * Provide a default dump_stack() function for architectures
 * which don't implement their own.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <asm/stacktrace.h>

static const char dump_stack_arch_desc_str[] =
	DUMP_STACK_ARCH_DESC;

/**
 * dump_stack_print_info - print generic debug info for dump_stack()
 * @log_lvl: log level
 */
void dump_stack_print_info(const char *log_lvl)
{
	printk("%sCPU: %d PID: %d Comm: %.20s %s %s %s\n",
	       log_lvl, 0, current->pid, current->comm,
	       print_tainted(), UTS_RELEASE, UTS_VERSION);

	printk("%sHardware name: %s\n", log_lvl, dump_stack_arch_desc_str);
}

static void __dump_stack(const char *log_lvl)
{
	dump_stack_print_info(log_lvl);
	show_stack(NULL, NULL, log_lvl);
}

/**
 * dump_stack_lvl - dump the current task information and its stack trace
 * @log_lvl: log level
 */
noinline void dump_stack_lvl(const char *log_lvl)
{
	__dump_stack(log_lvl);
}

void dump_stack(void)
{
	dump_stack_lvl(KERN_DEFAULT);
}
