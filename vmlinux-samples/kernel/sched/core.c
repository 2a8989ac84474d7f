// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one piece of the scheduler the samples need: might_sleep() checks.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/preempt.h>

int __preempt_count;
bool __irqs_disabled;

static noinline void __might_resched(const char *file, int line, unsigned int offsets)
{
	static bool reported;	/* the kernel ratelimits to one report per second */

	if (reported)
		return;
	reported = true;

	pr_err("BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	pr_err("in_atomic(): %d, irqs_disabled(): %d, non_block: %d, pid: %d, name: %s\n",
	       __preempt_count != 0, __irqs_disabled, 0, current->pid, current->comm);
	pr_err("preempt_count: %x, expected: %x\n", __preempt_count, offsets);
	pr_err("RCU nest depth: %d, expected: %d\n", 0, 0);

	dump_stack();
}

void __might_sleep(const char *file, int line)
{
	if (unlikely(__preempt_count || __irqs_disabled))
		__might_resched(file, line, 0);
}
