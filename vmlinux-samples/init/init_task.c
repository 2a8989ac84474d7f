// SPDX-License-Identifier: GPL-2.0
/*
 * The first task's structure, as in the kernel's init/init_task.c: data
 * only, no code. Its compilation unit therefore declares no address range
 * (no DW_AT_low_pc, no DW_AT_ranges), the case addr2line resolves by
 * reading the unit's line program.
 */
#include <linux/sched.h>

struct task_struct init_task = {
	.pid	= 0,
	.comm	= "swapper/0",
};
