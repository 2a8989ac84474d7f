// SPDX-License-Identifier: GPL-2.0-only
/*
 * The debug exception of WARN().  In the kernel, WARN() executes
 * "brk #0x800" and the debug exception handler calls bug_handler().  Here
 * the host kernel turns the brk into a SIGTRAP; its handler copies the
 * interrupted registers into a struct pt_regs, reports the bug, and
 * resumes after the brk like the kernel does.
 */
#include <linux/kernel.h>
#include <linux/bug.h>
#include <asm/host.h>
#include <asm/ptrace.h>

/* The arm64 signal frame's struct sigcontext (the part the sample reads). */
struct host_sigcontext {
	unsigned long	fault_address;
	unsigned long	regs[31];
	unsigned long	sp;
	unsigned long	pc;
	unsigned long	pstate;
};

struct host_ucontext {
	unsigned long	uc_flags;
	void		*uc_link;
	void		*ss_sp;
	int		ss_flags;
	size_t		ss_size;
	unsigned char	uc_sigmask[128];	/* sigset_t and the kernel's padding */
	struct host_sigcontext uc_mcontext __aligned(16);
};

_Static_assert(__builtin_offsetof(struct host_ucontext, uc_mcontext) == 176,
	       "uc_mcontext of the arm64 signal frame");

void __restore_rt(void);

static void bug_handler(struct pt_regs *regs)
{
	if (report_bug(regs->pc, regs) == BUG_TRAP_TYPE_WARN) {
		/* arm64_skip_faulting_instruction() */
		regs->pc += AARCH64_INSN_SIZE;
		return;
	}
	panic("Oops - BUG");
}

static void el1_dbg(int sig, void *info, void *context)
{
	struct host_sigcontext *mc = &((struct host_ucontext *)context)->uc_mcontext;
	struct pt_regs regs;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(regs.regs); i++)
		regs.regs[i] = mc->regs[i];
	regs.sp = mc->sp;
	regs.pc = mc->pc;
	/* EL1h, as the kernel would see it; the condition flags as they are. */
	regs.pstate = (mc->pstate & ~PSR_MODE_MASK) | PSR_MODE_EL1h;
	regs.orig_x0 = 0;
	regs.syscallno = -1UL;

	bug_handler(&regs);
	mc->pc = regs.pc;
}

void trap_init(void)
{
	struct host_sigaction act = {
		.handler = el1_dbg,
		.flags = SA_SIGINFO | SA_RESTORER,
		.restorer = __restore_rt,
	};

	host_rt_sigaction(SIGTRAP, &act);
}
