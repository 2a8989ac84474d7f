// SPDX-License-Identifier: GPL-2.0-only
/*
 * arch/arm64/kernel/ftrace.c: patch a function's ftrace NOPs into a call
 * of ftrace_caller.
 *
 * Copyright (C) 2013 Linaro Limited
 */
#include <linux/kernel.h>
#include <linux/ftrace.h>
#include <asm/host.h>

#define AARCH64_INSN_MOV_X9_X30	0xaa1e03e9	/* mov x9, x30 */
#define AARCH64_INSN_NOP	0xd503201f
#define AARCH64_INSN_BL		0x94000000

void ftrace_caller(void);

static u32 aarch64_insn_gen_branch_imm(unsigned long pc, unsigned long addr)
{
	long offset = (long)addr - (long)pc;

	return AARCH64_INSN_BL | ((offset >> 2) & 0x03ffffff);
}

/* aarch64_insn_patch_text_nosync(), on the host: make the page writable. */
static int patch_text(u32 *insn, u32 old, u32 new)
{
	void *page = (void *)((unsigned long)insn & ~(PAGE_SIZE - 1));

	if (*insn != old)
		return -22;	/* -EINVAL: not what ftrace left there */
	if (host_mprotect(page, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -1;
	WRITE_ONCE(*insn, new);
	/* caches_clean_inval_pou() of the one word */
	__asm__ __volatile__("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb"
			     : : "r" (insn) : "memory");
	return host_mprotect(page, 2 * PAGE_SIZE, PROT_READ | PROT_EXEC);
}

/* @ip is the second NOP (function + 4); the first becomes "mov x9, x30". */
int ftrace_make_call(unsigned long ip)
{
	u32 *insn = (u32 *)ip;

	if (patch_text(insn - 1, AARCH64_INSN_NOP, AARCH64_INSN_MOV_X9_X30))
		return -1;
	return patch_text(insn, AARCH64_INSN_NOP,
			  aarch64_insn_gen_branch_imm(ip, (unsigned long)ftrace_caller));
}
