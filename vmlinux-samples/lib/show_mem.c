// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic show_mem() implementation
 *
 * Copyright (C) 2008 Johannes Weiner <hannes@saeurebad.de>
 */
#include <linux/kernel.h>
#include <linux/gfp.h>

void __show_mem(unsigned int filter, unsigned int order)
{
	printk("Mem-Info:\n");
	show_free_areas(filter, order);
	printk("0 pages reserved\n");
}
