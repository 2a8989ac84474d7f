// SPDX-License-Identifier: GPL-2.0
/*
 * The invalid-opcode trap.  In the kernel, WARN() executes ud2 and the #UD
 * handler calls handle_bug().  Here the host kernel turns the ud2 into a
 * SIGILL; its handler copies the interrupted registers into a struct
 * pt_regs, reports the bug, and resumes after the ud2 like the kernel does.
 */
#include <linux/kernel.h>
#include <linux/bug.h>
#include <asm/host.h>
#include <asm/ptrace.h>

#define LEN_UD2	2

/* mcontext_t gregs[] indices of the x86-64 signal frame. */
enum {
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	REG_RDI, REG_RSI, REG_RBP, REG_RBX, REG_RDX, REG_RAX, REG_RCX, REG_RSP,
	REG_RIP, REG_EFL, REG_CSGSFS,
};

struct host_ucontext {
	unsigned long	uc_flags;
	void		*uc_link;
	void		*ss_sp;
	int		ss_flags;
	size_t		ss_size;
	unsigned long	gregs[23];
};

void __restore_rt(void);

static void handle_bug(struct pt_regs *regs)
{
	if (report_bug(regs->ip, regs) == BUG_TRAP_TYPE_WARN) {
		regs->ip += LEN_UD2;
		return;
	}
	panic("invalid opcode");
}

static void exc_invalid_op(int sig, void *info, void *context)
{
	struct host_ucontext *uc = context;
	unsigned long *g = uc->gregs;
	struct pt_regs regs = {
		.r15 = g[REG_R15], .r14 = g[REG_R14], .r13 = g[REG_R13],
		.r12 = g[REG_R12], .bp = g[REG_RBP], .bx = g[REG_RBX],
		.r11 = g[REG_R11], .r10 = g[REG_R10], .r9 = g[REG_R9],
		.r8 = g[REG_R8], .ax = g[REG_RAX], .cx = g[REG_RCX],
		.dx = g[REG_RDX], .si = g[REG_RSI], .di = g[REG_RDI],
		.orig_ax = -1UL,
		.ip = g[REG_RIP],
		.cs = 0x10,		/* __KERNEL_CS, as the kernel would see it */
		.flags = g[REG_EFL],
		.sp = g[REG_RSP],
		.ss = 0x18,		/* __KERNEL_DS */
	};

	handle_bug(&regs);
	g[REG_RIP] = regs.ip;
}

void trap_init(void)
{
	struct host_sigaction act = {
		.handler = exc_invalid_op,
		.flags = SA_SIGINFO | SA_RESTORER,
		.restorer = __restore_rt,
	};

	host_rt_sigaction(SIGILL, &act);
}
