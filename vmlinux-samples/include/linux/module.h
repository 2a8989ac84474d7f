/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <linux/types.h>
#include <linux/kallsyms.h>
#include <uapi/linux/elf.h>

/* Where the sample's module loader maps the (single) module: fixed, so reports are reproducible. */
#define MODULES_VADDR	0x20000000UL

struct module {
	char		name[MODULE_NAME_LEN];
	void		*base;		/* the core layout, text first */
	unsigned long	size;
	unsigned long	text_size;	/* page-aligned end of the executable sections */
	Elf64_Sym	*symtab;	/* st_value already relocated to run-time addresses */
	unsigned int	num_symtab;
	const char	*strtab;
	unsigned char	build_id[BUILD_ID_SIZE_MAX];
	bool		has_build_id;
	int		(*init)(void);
};

#define module_init(initfn)					\
	int init_module(void) __attribute__((__alias__(#initfn)))

/* CONFIG_STACKTRACE_BUILD_ID: print " [mod buildid]" in stack traces. */
extern bool stacktrace_build_id;

struct module *__module_text_address(unsigned long addr);
const char *module_address_lookup(unsigned long addr, unsigned long *size,
				  unsigned long *offset, const char **modname,
				  const unsigned char **modbuildid);
void print_modules(void);

#endif /* _LINUX_MODULE_H */
