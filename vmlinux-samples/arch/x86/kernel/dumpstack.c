// SPDX-License-Identifier: GPL-2.0
/*
 * Stack traces, the way arch/x86/kernel/dumpstack.c prints them with the
 * frame-pointer unwinder (CONFIG_UNWINDER_FRAME_POINTER).
 *
 * Every word of the task stack from the first frame up is scanned; a word
 * that is a kernel or module text address is printed.  It is "reliable"
 * when it is the return address slot of the next frame on the %rbp chain,
 * and printed with a "? " prefix otherwise (a stale or unrelated value).
 * The chain ends at the entry code, which starts every task with %rbp = 0.
 */
#include <linux/kernel.h>
#include <linux/kallsyms.h>
#include <linux/sched.h>
#include <asm/ptrace.h>
#include <asm/stacktrace.h>

enum stack_trace_style stack_trace_style = STACK_STYLE_MODERN;
unsigned long stack_trace_kaslr_offset;
int stack_trace_bare_frame = -1;

struct stack_frame {
	struct stack_frame	*next_frame;
	unsigned long		return_address;
};

static bool on_task_stack(struct task_struct *task, const void *addr, size_t len)
{
	return addr >= (void *)task->stack &&
	       (const char *)addr + len <= (const char *)task->stack_end;
}

static void printk_stack_address(unsigned long address, int reliable,
				 int frame_nr, const char *log_lvl)
{
	unsigned long printed;

	if (stack_trace_style == STACK_STYLE_MODERN) {
		printk("%s %s%pBb\n", log_lvl, reliable ? "" : "? ", (void *)address);
		return;
	}

	printed = address;
	if (is_kernel_text(address))
		printed += stack_trace_kaslr_offset;
	if (reliable && frame_nr == stack_trace_bare_frame)
		printk("%s [<%016lx>]\n", log_lvl, printed);
	else
		printk("%s [<%016lx>] %s%pB\n", log_lvl, printed,
		       reliable ? "" : "? ", (void *)address);
}

void show_trace_log_lvl(struct task_struct *task, struct pt_regs *regs,
			unsigned long *stack, const char *log_lvl)
{
	struct stack_frame *frame;
	bool modern = stack_trace_style == STACK_STYLE_MODERN;
	int frame_nr = 0;

	if (regs) {
		/* Start at the interrupted function's frame. */
		frame = (struct stack_frame *)regs->bp;
		stack = (unsigned long *)regs->sp;
	} else {
		/* Skip the frames below @stack (ours, and show_stack's callees). */
		frame = __builtin_frame_address(0);
		while (on_task_stack(task, frame, sizeof(*frame)) &&
		       &frame->return_address < stack)
			frame = frame->next_frame;
	}
	if (!on_task_stack(task, frame, sizeof(*frame)))
		frame = NULL;

	printk("%sCall Trace:\n", log_lvl);
	if (modern)
		printk("%s <TASK>\n", log_lvl);

	for (; stack < task->stack_end; stack++) {
		unsigned long addr = READ_ONCE(*stack);
		int reliable = 0;

		if (!__kernel_text_address(addr))
			continue;

		if (frame && stack == &frame->return_address)
			reliable = 1;

		printk_stack_address(addr, reliable, frame_nr, log_lvl);
		if (!reliable)
			continue;

		/* unwind_next_frame() */
		frame_nr++;
		frame = frame->next_frame;
		if (!on_task_stack(task, frame, sizeof(*frame)))
			frame = NULL;
	}

	if (modern)
		printk("%s </TASK>\n", log_lvl);
}

noinline void show_stack(struct task_struct *task, unsigned long *sp,
			 const char *loglvl)
{
	task = task ? : current;

	/*
	 * Stack frames below this one aren't interesting.  Don't show them
	 * if we're printing for %current.
	 */
	if (!sp && task == current)
		sp = __builtin_frame_address(0);

	show_trace_log_lvl(task, NULL, sp, loglvl);
}

/* The kernel's show_opcodes(): 42 bytes before the pc, the pc's byte in <>, 21 after. */
static void show_opcodes(struct pt_regs *regs, const char *loglvl)
{
	const unsigned char *code = (const unsigned char *)regs->ip - 42;
	char buf[64 * 3 + 16];
	int len = 0, i;

	for (i = 0; i < 64; i++)
		len += snprintf(buf + len, sizeof(buf) - len,
				i == 42 ? " <%02x>" : (i ? " %02x" : "%02x"), code[i]);
	printk("%sCode: %s\n", loglvl, buf);
}

void show_regs(struct pt_regs *regs)
{
	const char *log_lvl = KERN_DEFAULT;

	dump_stack_print_info(log_lvl);

	printk("%sRIP: %04lx:%pS\n", log_lvl, regs->cs & 0xffff, (void *)regs->ip);
	show_opcodes(regs, log_lvl);
	printk("%sRSP: %04lx:%016lx EFLAGS: %08lx\n", log_lvl,
	       regs->ss & 0xffff, regs->sp, regs->flags);
	printk("%sRAX: %016lx RBX: %016lx RCX: %016lx\n", log_lvl, regs->ax, regs->bx, regs->cx);
	printk("%sRDX: %016lx RSI: %016lx RDI: %016lx\n", log_lvl, regs->dx, regs->si, regs->di);
	printk("%sRBP: %016lx R08: %016lx R09: %016lx\n", log_lvl, regs->bp, regs->r8, regs->r9);
	printk("%sR10: %016lx R11: %016lx R12: %016lx\n", log_lvl, regs->r10, regs->r11, regs->r12);
	printk("%sR13: %016lx R14: %016lx R15: %016lx\n", log_lvl, regs->r13, regs->r14, regs->r15);

	show_trace_log_lvl(current, regs, NULL, log_lvl);
}
