/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_MODULE_H
#define _ASM_X86_MODULE_H

/*
 * x86-64's apply_relocate_add() (arch/x86/kernel/module.c) is written out
 * in kernel/module/main.c, where the sample has always had it.
 */

#endif /* _ASM_X86_MODULE_H */
