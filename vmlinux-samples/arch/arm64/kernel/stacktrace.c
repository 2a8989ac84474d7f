// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stack tracing support, the way arch/arm64/kernel/stacktrace.c prints it.
 *
 * The frame-record unwinder: x29 points at a frame record {fp, lr} that
 * each function with a frame pushes on entry.  The first frame is the pc
 * of the trapped registers, or the caller of arch_stack_walk(); each record
 * then gives the next return address.  The chain ends at the entry code,
 * which starts every task with x29 = 0.  Every frame is printed with %pS
 * (the exact address, no "? " frames: arm64 does not scan the stack).
 *
 * Copyright (C) 2012 ARM Ltd.
 */
#include <linux/kernel.h>
#include <linux/kallsyms.h>
#include <linux/sched.h>
#include <asm/ptrace.h>
#include <asm/stacktrace.h>

enum stack_trace_style stack_trace_style = STACK_STYLE_MODERN;
unsigned long stack_trace_kaslr_offset;
int stack_trace_bare_frame = -1;

typedef bool (*stack_trace_consume_fn)(void *cookie, unsigned long addr);

struct unwind_state {
	unsigned long fp;
	unsigned long pc;
	struct task_struct *task;
};

static bool on_task_stack(struct task_struct *task, unsigned long sp, unsigned long size)
{
	return sp >= (unsigned long)task->stack &&
	       sp + size <= (unsigned long)task->stack_end;
}

/* Unwind from one frame record (A) to the next frame record (B). */
static int unwind_next(struct unwind_state *state)
{
	unsigned long fp = state->fp;

	if (fp & 0x7)
		return -1;
	if (!on_task_stack(state->task, fp, 16))
		return -1;

	state->fp = READ_ONCE(*(unsigned long *)(fp));
	state->pc = READ_ONCE(*(unsigned long *)(fp + 8));
	return 0;
}

static void unwind(struct unwind_state *state, stack_trace_consume_fn consume_entry,
		   void *cookie)
{
	while (1) {
		if (!consume_entry(cookie, state->pc))
			break;
		if (unwind_next(state) < 0)
			break;
	}
}

noinline void arch_stack_walk(stack_trace_consume_fn consume_entry, void *cookie,
			      struct task_struct *task, struct pt_regs *regs)
{
	struct unwind_state state = { .task = task };

	if (regs) {
		/* unwind_init_from_regs() */
		state.fp = regs->regs[29];
		state.pc = regs->pc;
	} else {
		/* unwind_init_from_caller() */
		state.fp = (unsigned long)__builtin_frame_address(1);
		state.pc = (unsigned long)__builtin_return_address(0);
	}
	unwind(&state, consume_entry, cookie);
}

static int frame_nr;

static bool dump_backtrace_entry(void *arg, unsigned long where)
{
	const char *loglvl = arg;
	unsigned long printed = where;

	if (stack_trace_style == STACK_STYLE_MODERN) {
		printk("%s %pSb\n", loglvl, (void *)where);
		return true;
	}

	/* Before 4.19: print_ip_sym(), "[<%p>] %pS" with the raw address. */
	if (is_kernel_text(where))
		printed += stack_trace_kaslr_offset;
	if (frame_nr++ == stack_trace_bare_frame)
		printk("%s[<%016lx>]\n", loglvl, printed);
	else
		printk("%s[<%016lx>] %pS\n", loglvl, printed, (void *)where);
	return true;
}

noinline void dump_backtrace(struct pt_regs *regs, struct task_struct *tsk,
			     const char *loglvl)
{
	if (!tsk)
		tsk = current;

	printk("%sCall trace:\n", loglvl);
	arch_stack_walk(dump_backtrace_entry, (void *)loglvl, tsk, regs);
}

noinline void show_stack(struct task_struct *tsk, unsigned long *sp, const char *loglvl)
{
	dump_backtrace(NULL, tsk, loglvl);
	barrier();
}
