/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ARM64_BUG_H
#define _ASM_ARM64_BUG_H

#include <linux/compiler.h>

/*
 * Like the kernel, WARN() is a "brk #0x800" instruction plus an entry in
 * __bug_table that records where it is.  The debug exception handler
 * (arch/arm64/kernel/traps.c) finds the entry by the faulting pc and
 * prints the warning.  The sample uses absolute pointers instead of the
 * kernel's 32-bit relative ones.
 */
struct bug_entry {
	unsigned long	bug_addr;
	const char	*file;
	unsigned short	line;
	unsigned short	flags;
} __aligned(8);

#define BUGFLAG_WARNING		(1 << 0)
#define BUGFLAG_ONCE		(1 << 1)
#define BUGFLAG_DONE		(1 << 2)

#define BUG_BRK_IMM		0x800
#define AARCH64_INSN_SIZE	4

#define _BUG_FLAGS(flags)						\
do {									\
	__asm__ __volatile__("1:\tbrk %c4\n"				\
		     ".pushsection __bug_table,\"aw\"\n"		\
		     ".align 3\n"					\
		     "2:\t.quad 1b\t// bug_entry::bug_addr\n"		\
		     "\t.quad %c0\t// bug_entry::file\n"		\
		     "\t.short %c1\t// bug_entry::line\n"		\
		     "\t.short %c2\t// bug_entry::flags\n"		\
		     "\t.org 2b+%c3\n"					\
		     ".popsection"					\
		     : : "i" (__FILE__), "i" (__LINE__),		\
			 "i" (flags),					\
			 "i" (sizeof(struct bug_entry)),		\
			 "i" (BUG_BRK_IMM));				\
} while (0)

#define __WARN_FLAGS(flags)	_BUG_FLAGS(BUGFLAG_WARNING | (flags))

#define WARN_ON(condition) ({						\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		__WARN_FLAGS(0);					\
	unlikely(__ret_warn_on);					\
})

#define WARN_ON_ONCE(condition) ({					\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		__WARN_FLAGS(BUGFLAG_ONCE);				\
	unlikely(__ret_warn_on);					\
})

#endif /* _ASM_ARM64_BUG_H */
