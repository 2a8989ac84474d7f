// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Copyright (C) 2002 Richard Henderson
 * Copyright (C) 2001 Rusty Russell, 2002, 2010 Rusty Russell IBM.
 *
 * A module loader that lays a .ko out in memory the way the kernel's
 * layout_sections() does (x86-64, CONFIG_STRICT_MODULE_RWX=y, no init
 * sections), applies its RELA relocations, and calls its init function.
 *
 * Core layout, from the module base (MODULES_VADDR):
 *
 *   for each class in this order:
 *     1. SHF_ALLOC|SHF_EXECINSTR             (text)
 *     2. SHF_ALLOC, not SHF_WRITE            (read-only data)
 *     3. SHF_ALLOC|SHF_WRITE                 (data, bss)
 *   take the sections of that class in section header order, each at the
 *   current size rounded up to its sh_addralign; then round the size up to
 *   PAGE_SIZE (strict_align()).  text_size is the size after class 1.
 *
 * Module kallsyms (find_kallsyms_symbol()): the symbols are the named
 * symbols of the .ko's symtab defined in an SHF_ALLOC|SHF_EXECINSTR section;
 * a symbol's size is the distance to the next such symbol with a higher
 * address, and for the last one to base + text_size.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <asm/host.h>
#include <asm/ptrace.h>

int do_one_initcall(int (*fn)(void));

bool stacktrace_build_id;

static struct module samplemod;
static struct module *modules;		/* the one loaded module, if any */

struct load_info {
	const char *name;
	Elf64_Ehdr *hdr;
	unsigned long len;
	Elf64_Shdr *sechdrs;
	char *secstrings, *strtab;
	unsigned int symindex, strindex, modinfoindex;
};

static long get_offset(unsigned long *size, Elf64_Shdr *sechdr)
{
	long ret;

	*size = ALIGN(*size, sechdr->sh_addralign ?: 1);
	ret = *size;
	*size += sechdr->sh_size;
	return ret;
}

/*
 * Lay out the SHF_ALLOC sections in a way not dissimilar to how ld
 * might -- code, read-only data, read-write data.  Tally sizes, and place
 * the offsets into sh_entsize fields.  (The sample has no init sections.)
 */
static void layout_sections(struct module *mod, struct load_info *info)
{
	static const unsigned long masks[][2] = {
		{ SHF_EXECINSTR | SHF_ALLOC, 0 },
		{ SHF_ALLOC, SHF_WRITE },
		{ SHF_WRITE | SHF_ALLOC, 0 },
	};
	unsigned int m, i;

	for (i = 0; i < info->hdr->e_shnum; i++)
		info->sechdrs[i].sh_entsize = ~0UL;

	for (m = 0; m < ARRAY_SIZE(masks); ++m) {
		for (i = 0; i < info->hdr->e_shnum; ++i) {
			Elf64_Shdr *s = &info->sechdrs[i];

			if ((s->sh_flags & masks[m][0]) != masks[m][0]
			    || (s->sh_flags & masks[m][1])
			    || s->sh_entsize != ~0UL)
				continue;
			s->sh_entsize = get_offset(&mod->size, s);
		}
		mod->size = PAGE_ALIGN(mod->size);	/* strict_align() */
		if (m == 0)
			mod->text_size = mod->size;
	}
}

static int setup_load_info(struct load_info *info)
{
	unsigned int i;

	info->sechdrs = (void *)info->hdr + info->hdr->e_shoff;
	info->secstrings = (void *)info->hdr + info->sechdrs[info->hdr->e_shstrndx].sh_offset;

	for (i = 1; i < info->hdr->e_shnum; i++) {
		Elf64_Shdr *s = &info->sechdrs[i];

		if (s->sh_type == SHT_SYMTAB) {
			info->symindex = i;
			info->strindex = s->sh_link;
			info->strtab = (char *)info->hdr + info->sechdrs[s->sh_link].sh_offset;
		}
		if (!strcmp(info->secstrings + s->sh_name, ".modinfo"))
			info->modinfoindex = i;
	}
	if (!info->symindex)
		return -1;

	/* Don't keep modinfo in the module image (as the kernel does). */
	if (info->modinfoindex)
		info->sechdrs[info->modinfoindex].sh_flags &= ~SHF_ALLOC;
	return 0;
}

static const char *get_modinfo(struct load_info *info, const char *tag)
{
	Elf64_Shdr *infosec = &info->sechdrs[info->modinfoindex];
	char *p = (char *)info->hdr + infosec->sh_offset;
	char *end = p + infosec->sh_size;
	size_t taglen = strlen(tag);

	if (!info->modinfoindex)
		return NULL;
	for (; p < end; p += strlen(p) + 1)
		if (!strncmp(p, tag, taglen) && p[taglen] == '=')
			return p + taglen + 1;
	return NULL;
}

/* Copy the sections to their final place; NOBITS ones are zeroed. */
static int move_module(struct module *mod, struct load_info *info)
{
	unsigned int i;

	mod->base = host_mmap((void *)MODULES_VADDR, mod->size,
			      PROT_READ | PROT_WRITE | PROT_EXEC,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (mod->base == MAP_FAILED)
		return -1;

	for (i = 1; i < info->hdr->e_shnum; i++) {
		Elf64_Shdr *shdr = &info->sechdrs[i];
		void *dest;

		if (!(shdr->sh_flags & SHF_ALLOC))
			continue;
		dest = mod->base + shdr->sh_entsize;
		if (shdr->sh_type != SHT_NOBITS)
			memcpy(dest, (void *)info->hdr + shdr->sh_offset, shdr->sh_size);
		/* Update sh_addr to point to the copy in the image. */
		shdr->sh_addr = (unsigned long)dest;
	}
	return 0;
}

/* Change all symbols so that st_value encodes the pointer directly. */
static int simplify_symbols(struct module *mod, struct load_info *info)
{
	Elf64_Shdr *symsec = &info->sechdrs[info->symindex];
	Elf64_Sym *sym = (void *)info->hdr + symsec->sh_offset;
	unsigned int i;

	for (i = 1; i < symsec->sh_size / sizeof(Elf64_Sym); i++) {
		const char *name = info->strtab + sym[i].st_name;

		switch (sym[i].st_shndx) {
		case SHN_COMMON:
		case SHN_ABS:
			break;
		case SHN_UNDEF:
			/* The sample has no __ksymtab: resolve against vmlinux's symtab. */
			sym[i].st_value = kallsyms_lookup_name(name);
			if (!sym[i].st_value) {
				pr_warn("%s: Unknown symbol %s (err -2)\n", mod->name, name);
				return -1;
			}
			break;
		default:
			if (sym[i].st_shndx < SHN_LORESERVE)
				sym[i].st_value += info->sechdrs[sym[i].st_shndx].sh_addr;
			break;
		}
	}
	return 0;
}
#include <asm/module.h>
#ifdef __x86_64__	/* arch/x86/kernel/module.c; arm64: asm/module.h */
static int apply_relocate_add(struct load_info *info, unsigned int relsec)
{
	Elf64_Shdr *rsec = &info->sechdrs[relsec];
	Elf64_Rela *rel = (void *)info->hdr + rsec->sh_offset;
	Elf64_Sym *symtab = (void *)info->hdr + info->sechdrs[info->symindex].sh_offset;
	unsigned int i;

	for (i = 0; i < rsec->sh_size / sizeof(*rel); i++) {
		/* This is where to make the change */
		void *loc = (void *)info->sechdrs[rsec->sh_info].sh_addr + rel[i].r_offset;
		/* This is the symbol it is referring to. */
		Elf64_Sym *sym = symtab + ELF64_R_SYM(rel[i].r_info);
		u64 val = sym->st_value + rel[i].r_addend;

		switch (ELF64_R_TYPE(rel[i].r_info)) {
		case R_X86_64_NONE:
			break;
		case R_X86_64_64:
			*(u64 *)loc = val;
			break;
		case R_X86_64_32:
			if (val != *(u32 *)&val)
				goto overflow;
			*(u32 *)loc = val;
			break;
		case R_X86_64_32S:
			if ((s64)val != *(s32 *)&val)
				goto overflow;
			*(s32 *)loc = val;
			break;
		case R_X86_64_PC32:
		case R_X86_64_PLT32:
			val -= (u64)loc;
			if ((s64)val != *(s32 *)&val)
				goto overflow;
			*(u32 *)loc = val;
			break;
		case R_X86_64_PC64:
			val -= (u64)loc;
			*(u64 *)loc = val;
			break;
		default:
			pr_err("%s: Unknown rela relocation: %llu\n", info->name,
			       (unsigned long long)ELF64_R_TYPE(rel[i].r_info));
			return -1;
		}
	}
	return 0;

overflow:
	pr_err("overflow in relocation type %d val %lx\n",
	       (int)ELF64_R_TYPE(rel[i].r_info), (unsigned long)rel[i].r_offset);
	return -1;
}
#endif
static int apply_relocations(struct load_info *info)
{
	unsigned int i;

	for (i = 1; i < info->hdr->e_shnum; i++) {
		unsigned int infosec = info->sechdrs[i].sh_info;

		/* Not a valid relocation section? */
		if (infosec >= info->hdr->e_shnum)
			continue;
		/* Don't bother with non-allocated sections */
		if (!(info->sechdrs[infosec].sh_flags & SHF_ALLOC))
			continue;
		if (info->sechdrs[i].sh_type == SHT_RELA &&
		    apply_relocate_add(info, i))
			return -1;
	}
	return 0;
}

/* The .note.gnu.build-id of the module (CONFIG_STACKTRACE_BUILD_ID). */
static void init_build_id(struct module *mod, struct load_info *info)
{
	unsigned int i;

	for (i = 1; i < info->hdr->e_shnum; i++) {
		Elf64_Shdr *s = &info->sechdrs[i];
		Elf64_Nhdr *n;

		if (s->sh_type != SHT_NOTE)
			continue;
		n = (void *)info->hdr + s->sh_offset;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    n->n_descsz == BUILD_ID_SIZE_MAX &&
		    !memcmp(n + 1, "GNU", 4)) {
			memcpy(mod->build_id, (char *)(n + 1) + 4, BUILD_ID_SIZE_MAX);
			mod->has_build_id = true;
		}
	}
}

static void add_kallsyms(struct module *mod, struct load_info *info)
{
	Elf64_Shdr *symsec = &info->sechdrs[info->symindex];

	mod->symtab = (void *)info->hdr + symsec->sh_offset;
	mod->num_symtab = symsec->sh_size / sizeof(Elf64_Sym);
	mod->strtab = info->strtab;
}

/* Same test as the kernel's is_core_symbol() without CONFIG_KALLSYMS_ALL. */
static bool is_core_symbol(const Elf64_Sym *src, const Elf64_Shdr *sechdrs,
			   unsigned int shnum)
{
	if (src->st_shndx == SHN_UNDEF || src->st_shndx >= shnum || !src->st_name)
		return false;
	return (sechdrs[src->st_shndx].sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) ==
	       (SHF_ALLOC | SHF_EXECINSTR);
}

static struct load_info the_info;

/* The run-time address of one of the module's own defined symbols. */
static unsigned long find_module_sym(struct module *mod, const char *name)
{
	unsigned int i;

	for (i = 1; i < mod->num_symtab; i++)
		if (mod->symtab[i].st_shndx != SHN_UNDEF &&
		    !strcmp(mod->strtab + mod->symtab[i].st_name, name))
			return mod->symtab[i].st_value;
	return 0;
}

struct module *__module_text_address(unsigned long addr)
{
	struct module *mod = modules;

	if (mod && addr >= (unsigned long)mod->base &&
	    addr < (unsigned long)mod->base + mod->text_size)
		return mod;
	return NULL;
}

/* kernel/module/kallsyms.c: find_kallsyms_symbol() */
static const char *find_kallsyms_symbol(struct module *mod, unsigned long addr,
					unsigned long *size, unsigned long *offset)
{
	unsigned int i, best = 0;
	unsigned long nextval, bestval;

	/* At worse, next value is at end of module */
	nextval = (unsigned long)mod->base + mod->text_size;

	bestval = mod->symtab[best].st_value;

	/*
	 * Scan for closest preceding symbol, and next symbol. (ELF
	 * starts real symbols at 1).
	 */
	for (i = 1; i < mod->num_symtab; i++) {
		const Elf64_Sym *sym = &mod->symtab[i];
		unsigned long thisval = sym->st_value;

		if (!is_core_symbol(sym, the_info.sechdrs, the_info.hdr->e_shnum) ||	/* and is_arm_mapping_symbol() */ is_mapping_symbol(mod->strtab + sym->st_name))
			continue;

		if (thisval <= addr && thisval > bestval) {
			best = i;
			bestval = thisval;
		}
		if (thisval > addr && thisval < nextval)
			nextval = thisval;
	}

	if (!best)
		return NULL;

	if (size)
		*size = nextval - bestval;
	if (offset)
		*offset = addr - bestval;

	return mod->strtab + mod->symtab[best].st_name;
}

const char *module_address_lookup(unsigned long addr, unsigned long *size,
				  unsigned long *offset, const char **modname,
				  const unsigned char **modbuildid)
{
	struct module *mod = __module_text_address(addr);

	if (!mod)
		return NULL;
	if (modname)
		*modname = mod->name;
	if (modbuildid)
		*modbuildid = mod->has_build_id ? mod->build_id : NULL;
	return find_kallsyms_symbol(mod, addr, size, offset);
}

void print_modules(void)
{
	printk(KERN_DEFAULT "Modules linked in:%s%s%s\n",
	       modules ? " " : "", modules ? modules->name : "",
	       modules ? "(O)" : "");
}

static noinline int do_init_module(struct module *mod)
{
	int ret = 0;

	/* Start the module */
	if (mod->init != NULL)
		ret = do_one_initcall(mod->init);
	if (ret < 0)
		pr_warn("%s: init failed: %d\n", mod->name, ret);
	return ret;
}

/* Allocate and load the module: note that size of section 0 is always
   zero, and we rely on this for optional sections. */
static noinline int load_module(struct load_info *info, const char *uargs, int flags)
{
	struct module *mod = &samplemod;
	const char *name;

	if (setup_load_info(info))
		return -1;

	name = get_modinfo(info, "name");
	strscpy_pad(mod->name, name ? name : "unknown", sizeof(mod->name));

	layout_sections(mod, info);
	if (move_module(mod, info) || simplify_symbols(mod, info) ||
	    apply_relocations(info))
		return -1;

	init_build_id(mod, info);
	add_kallsyms(mod, info);
	mod->init = (int (*)(void))find_module_sym(mod, "init_module");

	modules = mod;
	add_taint_module();	/* out-of-tree module: (O) */

	return do_init_module(mod);
}

static noinline int __do_sys_finit_module(int fd, const char *uargs, int flags)
{
	struct load_info *info = &the_info;
	size_t len;

	info->name = "finit_module";
	info->hdr = host_read_fd(fd, &len);
	info->len = len;
	if (!info->hdr || len < sizeof(Elf64_Ehdr) ||
	    memcmp(info->hdr->e_ident, "\177ELF", 4) || info->hdr->e_type != ET_REL) {
		pr_err("finit_module: not a relocatable ELF file\n");
		return -8;	/* -ENOEXEC */
	}

	return load_module(info, uargs, flags);
}
#ifdef __x86_64__
long __x64_sys_finit_module(const struct pt_regs *regs)
{
	return __do_sys_finit_module(regs->di, (const char *)regs->si, regs->dx);
}
#else
/* arm64: SYSCALL_DEFINE3(finit_module, ...) reads its arguments from x0-x2. */
long __arm64_sys_finit_module(const struct pt_regs *regs)
{
	return __do_sys_finit_module(regs->regs[0], (const char *)regs->regs[1], regs->regs[2]);
}
#endif
