// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: should_fail() decides, and says so with a stack dump.
 */
#include <linux/kernel.h>
#include <linux/fault-inject.h>

void dump_stack(void);

static void fail_dump(struct fault_attr *attr)
{
	if (attr->verbose > 0) {
		printk(KERN_INFO "FAULT_INJECTION: forcing a failure.\n"
		       "name %s, interval %lu, probability %lu, space %d, times %d\n",
		       attr->dname, attr->interval, attr->probability,
		       attr->space, attr->times);
		if (attr->verbose > 1)
			dump_stack();
	}
}

/*
 * This code is stolen from failmalloc-1.0
 * http://www.nongnu.org/failmalloc/
 */
noinline bool should_fail(struct fault_attr *attr, ssize_t size)
{
	if (attr->times == 0)
		return false;

	if (attr->space > size) {
		attr->space -= size;
		return false;
	}

	if (attr->interval > 1) {
		attr->count++;
		if (attr->count % attr->interval)
			return false;
	}

	if (attr->probability < 100)
		return false;

	fail_dump(attr);

	if (attr->times != -1)
		attr->times--;

	return true;
}
