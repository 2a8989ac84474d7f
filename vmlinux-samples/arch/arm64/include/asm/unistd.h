/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ARM64_UNISTD_H
#define _ASM_ARM64_UNISTD_H

/* The one system call the sample's "user" task makes (insmod). */
#define __NR_finit_module	273
#define __NR_syscalls		451

/*
 * init/main.c starts the insmod task at the syscall entry under x86's name;
 * on arm64 that is el0t_64_sync, the EL0 synchronous exception vector.
 */
#define entry_SYSCALL_64	el0t_64_sync

#endif /* _ASM_ARM64_UNISTD_H */
