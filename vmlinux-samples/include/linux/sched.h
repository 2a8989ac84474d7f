/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/types.h>

#define TASK_COMM_LEN	16
#define THREAD_SIZE	(16 * 1024)

struct task_struct {
	int		pid;
	char		comm[TASK_COMM_LEN];
	unsigned long	*stack;		/* lowest address of the task stack */
	unsigned long	*stack_end;	/* one past the highest address */
};

extern struct task_struct *current;

/*
 * Start a task on a fresh stack at @entry (ret_from_fork for kernel threads,
 * entry_SYSCALL_64 for "user" tasks), with @fn/@arg in rbx/r12 like the
 * kernel's copy_thread().  Never returns: the task exits the program.
 */
void __attribute__((__noreturn__))
start_task(int pid, const char *comm, void *entry, void *fn, void *arg);

/* Kernel threads: fn(arg) started from ret_from_fork. */
void __attribute__((__noreturn__)) kernel_thread(int (*fn)(void *), void *arg,
						 int pid, const char *comm);

void __attribute__((__noreturn__)) do_exit(long code);

#endif /* _LINUX_SCHED_H */
