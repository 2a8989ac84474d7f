/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_BUG_H
#define _ASM_X86_BUG_H

#include <linux/compiler.h>

/*
 * Like the kernel, WARN() is a ud2 instruction plus an entry in __bug_table
 * that records where it is.  The trap handler (arch/x86/kernel/traps.c)
 * finds the entry by the faulting RIP and prints the warning.  The sample
 * uses absolute pointers instead of the kernel's 32-bit relative ones.
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

#define ASM_UD2		".byte 0x0f, 0x0b"

#define _BUG_FLAGS(ins, flags)						\
do {									\
	__asm__ __volatile__("1:\t" ins "\n"				\
		     ".pushsection __bug_table,\"aw\"\n"		\
		     "2:\t.quad 1b\t# bug_entry::bug_addr\n"		\
		     "\t.quad %c0\t# bug_entry::file\n"			\
		     "\t.word %c1\t# bug_entry::line\n"			\
		     "\t.word %c2\t# bug_entry::flags\n"		\
		     "\t.org 2b+%c3\n"					\
		     ".popsection"					\
		     : : "i" (__FILE__), "i" (__LINE__),		\
			 "i" (flags),					\
			 "i" (sizeof(struct bug_entry)));		\
} while (0)

#define __WARN_FLAGS(flags)	_BUG_FLAGS(ASM_UD2, BUGFLAG_WARNING | (flags))

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

#endif /* _ASM_X86_BUG_H */
