// SPDX-License-Identifier: GPL-2.0
/*
 * Generic support for BUG() and WARN(): find the __bug_table entry of a
 * trapping ud2 and report it.
 */
#include <linux/kernel.h>
#include <linux/bug.h>

/* Provided by the linker for the orphan section __bug_table. */
extern struct bug_entry __start___bug_table[], __stop___bug_table[];

static struct bug_entry *find_bug(unsigned long bugaddr)
{
	struct bug_entry *bug;

	for (bug = __start___bug_table; bug < __stop___bug_table; ++bug)
		if (bugaddr == bug->bug_addr)
			return bug;
	return NULL;
}

enum bug_trap_type report_bug(unsigned long bugaddr, struct pt_regs *regs)
{
	struct bug_entry *bug = find_bug(bugaddr);

	if (!bug)
		return BUG_TRAP_TYPE_NONE;

	if (bug->flags & BUGFLAG_WARNING) {
		if (bug->flags & BUGFLAG_DONE)
			return BUG_TRAP_TYPE_WARN;
		if (bug->flags & BUGFLAG_ONCE)
			bug->flags |= BUGFLAG_DONE;
		printk(KERN_DEFAULT "------------[ cut here ]------------\n");
		__warn(bug->file, bug->line, (void *)bugaddr, regs);
		return BUG_TRAP_TYPE_WARN;
	}

	printk(KERN_DEFAULT "------------[ cut here ]------------\n");
	printk(KERN_DEFAULT "kernel BUG at %s:%u!\n", bug->file, bug->line);
	return BUG_TRAP_TYPE_BUG;
}
