// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tasks of the sample kernel.  There is no scheduler: the program runs
 * exactly one task per report, on its own statically allocated stack, and
 * exits when that task exits.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <asm/host.h>

struct task_struct *current;

static struct task_struct task;
static unsigned long task_stack[THREAD_SIZE / sizeof(unsigned long)] __aligned(THREAD_SIZE);

void __noreturn __start_task(unsigned long *stack_top, void *entry, void *fn, void *arg);
void ret_from_fork(void);

void schedule_tail(struct task_struct *prev)
{
	barrier();
}

void start_task(int pid, const char *comm, void *entry, void *fn, void *arg)
{
	task.pid = pid;
	strscpy_pad(task.comm, comm, sizeof(task.comm));
	task.stack = task_stack;
	task.stack_end = task_stack + ARRAY_SIZE(task_stack);
	current = &task;

	__start_task(task.stack_end, entry, fn, arg);
}

/* copy_thread() for a kernel thread: ret_from_fork calls fn(arg). */
void kernel_thread(int (*fn)(void *), void *arg, int pid, const char *comm)
{
	start_task(pid, comm, ret_from_fork, fn, arg);
}

void do_exit(long code)
{
	host_exit(code);
}
