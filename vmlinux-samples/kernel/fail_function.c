// SPDX-License-Identifier: GPL-2.0
/*
 * fail_function.c: Function-based error injection.  A kprobe on the
 * function makes it return an error without running, when should_fail()
 * says so.
 *
 * The sample's "fail-function" scenario is what
 *
 *	echo tcp_v4_rcv > /sys/kernel/debug/fail_function/inject
 *	printf %#x -12 > /sys/kernel/debug/fail_function/tcp_v4_rcv/retval
 *	echo 100 > /sys/kernel/debug/fail_function/probability
 *	echo 2 > /sys/kernel/debug/fail_function/verbose
 *
 * sets up, followed by a packet for tcp_v4_rcv().
 */
#include <linux/kernel.h>
#include <linux/fault-inject.h>
#include <linux/interrupt.h>
#include <linux/kprobes.h>
#include <net/tcp.h>

void net_dev_init(void);

struct fei_attr {
	struct kprobe kp;
	unsigned long retval;
};

static struct fault_attr fei_fault_attr = FAULT_ATTR_INITIALIZER;
static struct fei_attr fei_attr;

/* arch/arm64/lib/error-inject.c */
static void override_function_with_return(struct pt_regs *regs)
{
	/* 'lr' is the callsite's return address (x9 in ftrace_caller). */
	regs->pc = regs->regs[30];
}

static int fei_kprobe_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct fei_attr *attr = container_of(kp, struct fei_attr, kp);

	if (should_fail(&fei_fault_attr, 1)) {
		regs->regs[0] = attr->retval;	/* regs_set_return_value() */
		override_function_with_return(regs);
		return 1;
	}
	return 0;
}

static int fei_write(const char *sym, unsigned long retval)
{
	fei_attr.kp.symbol_name = sym;
	fei_attr.kp.pre_handler = fei_kprobe_handler;
	fei_attr.retval = retval;
	return register_kprobe(&fei_attr.kp);
}

void __noreturn run_fail_function(void)
{
	fei_fault_attr.dname = "fail_function";
	fei_fault_attr.probability = 100;
	if (fei_write("tcp_v4_rcv", -12))
		panic("fail_function: cannot inject into tcp_v4_rcv");

	tcp_sample_setup(TCP_SAMPLE_BACKLOG);
	net_dev_init();
	raise_softirq(NET_RX_SOFTIRQ);
	spawn_ksoftirqd();
}
