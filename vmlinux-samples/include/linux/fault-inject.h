/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_FAULT_INJECT_H
#define _LINUX_FAULT_INJECT_H

#include <linux/types.h>

struct fault_attr {
	unsigned long	probability;
	unsigned long	interval;
	int		times;
	int		space;
	unsigned long	verbose;
	unsigned long	count;
	const char	*dname;
};

#define FAULT_ATTR_INITIALIZER {		\
	.interval = 1,				\
	.times = 1,				\
	.verbose = 2,				\
}

bool should_fail(struct fault_attr *attr, ssize_t size);

#endif /* _LINUX_FAULT_INJECT_H */
