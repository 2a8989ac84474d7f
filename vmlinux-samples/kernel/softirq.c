// SPDX-License-Identifier: GPL-2.0-only
/*
 *	linux/kernel/softirq.c
 *
 *	Copyright (C) 1992 Linus Torvalds
 *
 * Softirqs run in ksoftirqd/0, a per-cpu thread of kernel/smpboot.c's
 * smpboot_thread_fn() (folded into this file for the sample).
 */
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>

static struct softirq_action softirq_vec[NR_SOFTIRQS];
static unsigned long pending;

void open_softirq(int nr, void (*action)(struct softirq_action *))
{
	softirq_vec[nr].action = action;
}

void raise_softirq(unsigned int nr)
{
	pending |= 1UL << nr;
}

static noinline void handle_softirqs(void)
{
	struct softirq_action *h = softirq_vec;
	unsigned long mask = pending;

	pending = 0;
	while (mask) {
		unsigned int bit = __builtin_ctzl(mask);

		h = softirq_vec + bit;
		h->action(h);
		mask &= mask - 1;
	}
}

static void __do_softirq(void)
{
	handle_softirqs();
}

static int ksoftirqd_should_run(unsigned int cpu)
{
	return READ_ONCE(pending);
}

static void run_ksoftirqd(unsigned int cpu)
{
	if (ksoftirqd_should_run(cpu))
		__do_softirq();
}

struct smp_hotplug_thread {
	int (*thread_should_run)(unsigned int cpu);
	void (*thread_fn)(unsigned int cpu);
	const char *thread_comm;
};

static struct smp_hotplug_thread softirq_threads = {
	.thread_should_run	= ksoftirqd_should_run,
	.thread_fn		= run_ksoftirqd,
	.thread_comm		= "ksoftirqd/%u",
};

/**
 * smpboot_thread_fn - percpu hotplug thread loop function
 * @data:	thread data pointer
 */
static int smpboot_thread_fn(void *data)
{
	struct smp_hotplug_thread *ht = data;
	unsigned int cpu = 0;

	while (!kthread_should_stop()) {
		if (!ht->thread_should_run(cpu))
			break;
		ht->thread_fn(cpu);
	}
	return 0;
}

void spawn_ksoftirqd(void)
{
	kthread_run(smpboot_thread_fn, &softirq_threads, 12, "ksoftirqd/0");
}
