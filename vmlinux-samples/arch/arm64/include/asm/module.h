/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ARM64_MODULE_H
#define _ASM_ARM64_MODULE_H

#include <uapi/linux/elf.h>

/*
 * arm64's apply_relocate_add() (arch/arm64/kernel/module.c).  The sample's
 * module loader leaves the sections that are not loaded, among them the
 * relocations, in the file image at @hdr; allocated sections have their
 * run-time address in sh_addr, and symbols their run-time st_value.
 */
int (apply_relocate_add)(Elf64_Shdr *sechdrs, void *hdr, unsigned int symindex,
			 unsigned int relsec, const char *name);

/* kernel/module/main.c calls apply_relocate_add(info, relsec), as on x86. */
#define apply_relocate_add(info, relsec)				\
	(apply_relocate_add)((info)->sechdrs, (info)->hdr,		\
			     (info)->symindex, (relsec), (info)->name)

#endif /* _ASM_ARM64_MODULE_H */
