// SPDX-License-Identifier: GPL-2.0
/*
 * Exception handling code, as in arch/arm64/kernel/entry-common.c: the
 * sample's only EL0 exception is a system call.
 *
 * Copyright (C) 2018 ARM Ltd.
 */
#include <linux/kernel.h>
#include <asm/ptrace.h>

#define ESR_ELx_EC_SHIFT	26
#define ESR_ELx_EC_SVC64	0x15

void do_el0_svc(struct pt_regs *regs);

static noinline void el0_svc(struct pt_regs *regs)
{
	do_el0_svc(regs);
	barrier();
}

void el0t_64_sync_handler(struct pt_regs *regs)
{
	/* What ESR_EL1 says after "svc #0". */
	unsigned long esr = (unsigned long)ESR_ELx_EC_SVC64 << ESR_ELx_EC_SHIFT;

	switch (esr >> ESR_ELx_EC_SHIFT) {
	case ESR_ELx_EC_SVC64:
		el0_svc(regs);
		break;
	default:
		panic("Unhandled 64-bit el0t sync exception");
	}
}
