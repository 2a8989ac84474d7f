// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel thread helper functions.
 *
 * Every kernel thread made with kthread_run() starts in ret_from_fork,
 * which calls kthread() below, which calls the thread function: so
 * "kthread+0x../0x.." followed by "ret_from_fork+0x../0x.." ends the
 * stack trace of every kthread.
 */
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/sched.h>

#define KTHREAD_IS_PER_CPU	0
#define KTHREAD_SHOULD_STOP	1
#define KTHREAD_SHOULD_PARK	2

struct kthread_create_info {
	int (*threadfn)(void *data);
	void *data;
	int node;
	unsigned long flags;
	char full_name[16];
};

static struct kthread_create_info kthread_create_info;

static void kthread_exit(long result) __noreturn;
static noinline void kthread_exit(long result)
{
	do_exit(result);
}

bool kthread_should_stop(void)
{
	return kthread_create_info.flags & (1UL << KTHREAD_SHOULD_STOP);
}

static noinline void __kthread_parkme(struct kthread_create_info *self)
{
	while (self->flags & (1UL << KTHREAD_SHOULD_PARK))
		barrier();
}

static int kthread(void *_create)
{
	struct kthread_create_info *create = _create;
	int (*threadfn)(void *data) = create->threadfn;
	void *data = create->data;
	int ret = -4;	/* -EINTR */

	/* OK, tell user we're spawned, wait for stop or wakeup */
	if (!(create->flags & (1UL << KTHREAD_SHOULD_STOP))) {
		__kthread_parkme(create);
		ret = threadfn(data);
	}
	kthread_exit(ret);
}

void kthread_run(int (*threadfn)(void *data), void *data, int pid, const char *name)
{
	struct kthread_create_info *create = &kthread_create_info;

	create->threadfn = threadfn;
	create->data = data;
	create->node = -1;
	strscpy_pad(create->full_name, name, sizeof(create->full_name));

	/* kthreadd: create_kthread() */
	kernel_thread(kthread, create, pid, create->full_name);
}
