// SPDX-License-Identifier: GPL-2.0-only
/*
 * panic(), __warn() and the taint flags.
 */
#include <linux/kernel.h>
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <asm/host.h>
#include <asm/ptrace.h>

#define TAINT_FLAGS_COUNT	18
#define TAINT_WARN		9
#define TAINT_OOT_MODULE	12

static unsigned long tainted_mask;

void add_taint_module(void)
{
	tainted_mask |= 1UL << TAINT_OOT_MODULE;
}

/* "Not tainted", or "Tainted: " and one column per taint flag. */
const char *print_tainted(void)
{
	static const char c_true[TAINT_FLAGS_COUNT + 1] = "PFSRMBUDAWCIOELKXT";
	static char buf[TAINT_FLAGS_COUNT + sizeof("Tainted: ")];
	char *s;
	int i;

	if (!tainted_mask)
		return "Not tainted";

	s = buf + snprintf(buf, sizeof(buf), "Tainted: ");
	for (i = 0; i < TAINT_FLAGS_COUNT; i++)
		*s++ = (tainted_mask & (1UL << i)) ? c_true[i] : (i ? ' ' : 'G');
	*s = '\0';
	return buf;
}

void panic(const char *fmt, ...)
{
	static char buf[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", buf);
	host_exit(2);
}

void __warn(const char *file, int line, void *caller, struct pt_regs *regs)
{
	if (file)
		pr_warn("WARNING: CPU: %d PID: %d at %s:%d %pS\n",
			0, current->pid, file, line, caller);
	else
		pr_warn("WARNING: CPU: %d PID: %d at %pS\n", 0, current->pid, caller);

	print_modules();

	if (regs)
		show_regs(regs);
	else
		dump_stack();

	pr_warn("---[ end trace %016lx ]---\n", 0UL);

	tainted_mask |= 1UL << TAINT_WARN;
}
