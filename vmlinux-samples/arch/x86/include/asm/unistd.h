/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_UNISTD_H
#define _ASM_X86_UNISTD_H

/* The one system call the sample's "user" task makes (insmod). */
#define __NR_finit_module	313

#endif /* _ASM_X86_UNISTD_H */
