/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_KTHREAD_H
#define _LINUX_KTHREAD_H

/*
 * Start a kernel thread running threadfn(data) under kernel/kthread.c's
 * kthread().  The sample has no scheduler: this switches to the new thread
 * at once and never returns.
 */
void __attribute__((__noreturn__))
kthread_run(int (*threadfn)(void *data), void *data, int pid, const char *name);

bool kthread_should_stop(void);

#endif /* _LINUX_KTHREAD_H */
