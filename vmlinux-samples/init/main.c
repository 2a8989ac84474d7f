// SPDX-License-Identifier: GPL-2.0-only
/*
 *  linux/init/main.c
 *
 *  Copyright (C) 1991, 1992  Linus Torvalds
 *
 * start_kernel() of the sample kernel: set up kallsyms and the trap
 * handler, then start the one task that produces the report selected on
 * the command line:
 *
 *	vmlinux-dwarf5 <scenario> [samplemod.ko]
 *
 * Each run prints exactly one report on stdout.
 */
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <net/tcp.h>
#include <asm/host.h>
#include <asm/stacktrace.h>

#include <asm/unistd.h>

void trap_init(void);
void net_dev_init(void);
void aoecmd_init(void);
int tcp_init(void);
void entry_SYSCALL_64(void);

/* The fake KASLR slide of the "oldstyle-kaslr" report. */
#define SAMPLE_KASLR_OFFSET	0x1a000000UL

int do_one_initcall(int (*fn)(void))
{
	int ret;

	ret = fn();
	barrier();
	return ret;
}

static int (*const initcalls[])(void) = {
	tcp_init,
};

static noinline void do_initcalls(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(initcalls); i++)
		do_one_initcall(initcalls[i]);
}

static noinline void kernel_init_freeable(void)
{
	do_initcalls();
}

static int kernel_init(void *unused)
{
	kernel_init_freeable();
	return 0;
}

static int module_fd = -1;

static void __noreturn start_ksoftirqd_net_rx(void)
{
	net_dev_init();
	raise_softirq(NET_RX_SOFTIRQ);
	spawn_ksoftirqd();
}

static void __noreturn run_kasan_tcp(void)
{
	tcp_sample_setup(TCP_SAMPLE_KASAN);
	start_ksoftirqd_net_rx();
}

static void __noreturn run_warn_rip(void)
{
	tcp_sample_setup(TCP_SAMPLE_BACKLOG);
	start_ksoftirqd_net_rx();
}

static void __noreturn run_timestamps(void)
{
	printk_time = true;
	printk_caller = true;
	run_warn_rip();
}

static void __noreturn run_kthread_aoe(void)
{
	aoecmd_init();
	panic("aoecmd_init returned");
}

static void __noreturn run_page_alloc(void)
{
	kernel_thread(kernel_init, NULL, 1, "swapper/0");
}

/* insmod samplemod.ko: finit_module(fd, "", 0) from a user task. */
static void __noreturn run_module(void)
{
	start_task(321, "insmod", entry_SYSCALL_64,
		   (void *)(long)__NR_finit_module, (void *)(long)module_fd);
}

static void __noreturn run_module_buildid(void)
{
	stacktrace_build_id = true;
	run_module();
}

static void __noreturn run_oldstyle_kaslr(void)
{
	stack_trace_style = STACK_STYLE_ADDR;
	stack_trace_kaslr_offset = SAMPLE_KASLR_OFFSET;
	stack_trace_bare_frame = 4;
	run_module();
}

struct scenario {
	const char *name;
	void (*run)(void);
	bool needs_module;
};

static const struct scenario scenarios[] = {
	{ "kasan-tcp",		run_kasan_tcp },
	{ "kthread-aoe",	run_kthread_aoe },
	{ "page-alloc-cold",	run_page_alloc },
	{ "warn-rip",		run_warn_rip },
	{ "module",		run_module,		true },
	{ "module-buildid",	run_module_buildid,	true },
	{ "oldstyle-kaslr",	run_oldstyle_kaslr,	true },
	{ "timestamps",		run_timestamps },
	ARCH_SCENARIOS };

static void __noreturn die(const char *msg, const char *arg)
{
	host_write(2, msg, strlen(msg));
	if (arg)
		host_write(2, arg, strlen(arg));
	host_write(2, "\n", 1);
	host_exit(1);
}

static void __noreturn usage(void)
{
	unsigned int i;

	host_write(2, "usage: vmlinux <scenario> [samplemod.ko]\nscenarios:", 51);
	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		host_write(2, " ", 1);
		host_write(2, scenarios[i].name, strlen(scenarios[i].name));
	}
	die("", NULL);
}

void __noreturn start_kernel(int argc, char **argv)
{
	const struct scenario *sc = NULL;
	unsigned int i;

	trap_init();
	if (kallsyms_init())
		die("kallsyms: cannot read the symbol table of /proc/self/exe", NULL);

	if (argc < 2)
		usage();
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!strcmp(argv[1], scenarios[i].name))
			sc = &scenarios[i];
	if (!sc)
		usage();

	if (sc->needs_module) {
		if (argc < 3)
			die("this scenario needs the path of samplemod.ko", NULL);
		module_fd = host_open(argv[2], O_RDONLY);
		if (module_fd < 0)
			die("cannot open ", argv[2]);
	}

	sc->run();
	panic("scenario %s returned", sc->name);
}
