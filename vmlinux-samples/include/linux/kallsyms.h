/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_KALLSYMS_H
#define _LINUX_KALLSYMS_H

#include <linux/types.h>

#define KSYM_NAME_LEN		128
#define MODULE_NAME_LEN		56
#define BUILD_ID_SIZE_MAX	20
#define KSYM_SYMBOL_LEN		(KSYM_NAME_LEN + MODULE_NAME_LEN + 2 * BUILD_ID_SIZE_MAX + 64)

/* Read our own ELF symbol table (/proc/self/exe) into the kallsyms table. */
int kallsyms_init(void);

const char *kallsyms_lookup(unsigned long addr, unsigned long *symbolsize,
			    unsigned long *offset, const char **modname,
			    const unsigned char **modbuildid);
unsigned long kallsyms_lookup_name(const char *name);

int sprint_symbol(char *buffer, unsigned long address);
int sprint_symbol_build_id(char *buffer, unsigned long address);
int sprint_backtrace(char *buffer, unsigned long address);
int sprint_backtrace_build_id(char *buffer, unsigned long address);

bool is_kernel_text(unsigned long addr);
bool __kernel_text_address(unsigned long addr);

/*
 * arm64's mapping symbols ($x: code follows, $d: data follows) mark
 * instruction sets, not functions: kallsyms skips them (scripts/kallsyms.c
 * ignores the "$" prefix). x86 has none, and there the tests are compiled
 * out, so that the x86 builds are what they were before arm64 came
 * (OR_IS_MAPPING_SYMBOL is empty rather than "|| false": an operator
 * more would move a column in gcc's line table).
 */
#ifdef __aarch64__
#define is_mapping_symbol(name)		((name)[0] == '$')
#define OR_IS_MAPPING_SYMBOL(name)	|| is_mapping_symbol(name)
#else
#define is_mapping_symbol(name)		false
#define OR_IS_MAPPING_SYMBOL(name)
#endif

#endif /* _LINUX_KALLSYMS_H */
