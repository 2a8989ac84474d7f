// SPDX-License-Identifier: GPL-2.0
/*
 * kallsyms for the sample kernel.
 *
 * The real kernel gets its table from scripts/kallsyms at link time.  The
 * sample builds the same table at boot from its own ELF file: every named
 * symbol that nm(1) would print as 't' or 'T' (STT_FUNC or STT_NOTYPE,
 * defined in .text), sorted by address.  As in the kernel, a symbol's size
 * is the distance to the next symbol with a higher address, and the last
 * symbol extends to the end of .text (_etext); st_size is never used.
 */
#include <linux/kernel.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <uapi/linux/elf.h>
#include <asm/host.h>

#define KALLSYMS_MAX	1024

struct kallsym {
	unsigned long	addr;
	const char	*name;
};

static struct kallsym kallsyms[KALLSYMS_MAX];
static unsigned int kallsyms_num_syms;
static unsigned long _stext, _etext;

/* The whole ELF symbol table, for kallsyms_lookup_name() (the module loader). */
static const Elf64_Sym *elf_symtab;
static unsigned int elf_num_syms;
static const char *elf_strtab;

bool is_kernel_text(unsigned long addr)
{
	return addr >= _stext && addr < _etext;
}

bool __kernel_text_address(unsigned long addr)
{
	return is_kernel_text(addr) || __module_text_address(addr);
}

static bool is_kallsyms_symbol(const Elf64_Sym *sym, const char *name)
{
	unsigned int type = ELF64_ST_TYPE(sym->st_info);

	if (type != STT_FUNC && type != STT_NOTYPE)
		return false;
	if (!name[0] || (name[0] == '.' && name[1] == 'L') OR_IS_MAPPING_SYMBOL(name))
		return false;
	return sym->st_value >= _stext && sym->st_value < _etext;
}

int kallsyms_init(void)
{
	const Elf64_Shdr *shdr, *symsec = NULL;
	const Elf64_Ehdr *ehdr;
	const char *shstrtab;
	unsigned int i, j;
	size_t len;

	ehdr = host_read_file("/proc/self/exe", &len);
	if (!ehdr || len < sizeof(*ehdr))
		return -1;
	shdr = (const void *)((const char *)ehdr + ehdr->e_shoff);
	shstrtab = (const char *)ehdr + shdr[ehdr->e_shstrndx].sh_offset;

	for (i = 1; i < ehdr->e_shnum; i++) {
		if (shdr[i].sh_type == SHT_SYMTAB)
			symsec = &shdr[i];
		if (!strcmp(shstrtab + shdr[i].sh_name, ".text")) {
			_stext = shdr[i].sh_addr;
			_etext = shdr[i].sh_addr + shdr[i].sh_size;
		}
	}
	if (!symsec || !_etext)
		return -1;

	elf_symtab = (const void *)((const char *)ehdr + symsec->sh_offset);
	elf_num_syms = symsec->sh_size / sizeof(Elf64_Sym);
	elf_strtab = (const char *)ehdr + shdr[symsec->sh_link].sh_offset;

	for (i = 1; i < elf_num_syms; i++) {
		const Elf64_Sym *sym = &elf_symtab[i];
		const char *name = elf_strtab + sym->st_name;

		if (!is_kallsyms_symbol(sym, name))
			continue;
		if (kallsyms_num_syms == KALLSYMS_MAX)
			return -1;

		/* Insertion sort by address; equal addresses keep symtab order. */
		for (j = kallsyms_num_syms; j > 0 && kallsyms[j - 1].addr > sym->st_value; j--)
			kallsyms[j] = kallsyms[j - 1];
		kallsyms[j].addr = sym->st_value;
		kallsyms[j].name = name;
		kallsyms_num_syms++;
	}
	return 0;
}

unsigned long kallsyms_lookup_name(const char *name)
{
	unsigned int i;

	for (i = 1; i < elf_num_syms; i++) {
		const Elf64_Sym *sym = &elf_symtab[i];

		if (sym->st_shndx == SHN_UNDEF ||
		    ELF64_ST_BIND(sym->st_info) == STB_LOCAL)
			continue;
		if (!strcmp(elf_strtab + sym->st_name, name))
			return sym->st_value;
	}
	return 0;
}

/* Same algorithm as the kernel's get_symbol_pos(). */
static unsigned long get_symbol_pos(unsigned long addr,
				    unsigned long *symbolsize,
				    unsigned long *offset)
{
	unsigned long symbol_start, symbol_end = 0;
	unsigned long i, low, high, mid;

	/* Binary search: the last symbol whose address is <= addr. */
	low = 0;
	high = kallsyms_num_syms;
	while (high - low > 1) {
		mid = low + (high - low) / 2;
		if (kallsyms[mid].addr <= addr)
			low = mid;
		else
			high = mid;
	}

	/* Search for the first aliased symbol. */
	while (low && kallsyms[low - 1].addr == kallsyms[low].addr)
		--low;

	symbol_start = kallsyms[low].addr;

	/* Search for next non-aliased symbol. */
	for (i = low + 1; i < kallsyms_num_syms; i++) {
		if (kallsyms[i].addr > symbol_start) {
			symbol_end = kallsyms[i].addr;
			break;
		}
	}

	/* If we found no next symbol, we use the end of the section. */
	if (!symbol_end)
		symbol_end = _etext;

	if (symbolsize)
		*symbolsize = symbol_end - symbol_start;
	if (offset)
		*offset = addr - symbol_start;

	return low;
}

const char *kallsyms_lookup(unsigned long addr, unsigned long *symbolsize,
			    unsigned long *offset, const char **modname,
			    const unsigned char **modbuildid)
{
	if (modname)
		*modname = NULL;
	if (modbuildid)
		*modbuildid = NULL;

	if (is_kernel_text(addr) && kallsyms_num_syms && addr >= kallsyms[0].addr)
		return kallsyms[get_symbol_pos(addr, symbolsize, offset)].name;

	/* See if it's in a module. */
	return module_address_lookup(addr, symbolsize, offset, modname, modbuildid);
}

/* Look up a kernel symbol and return it in a text buffer. */
static int __sprint_symbol(char *buffer, unsigned long address,
			   int symbol_offset, int add_offset, int add_buildid)
{
	const unsigned char *buildid;
	unsigned long offset, size;
	const char *modname, *name;
	int len, i;

	address += symbol_offset;
	name = kallsyms_lookup(address, &size, &offset, &modname, &buildid);
	if (!name)
		return snprintf(buffer, KSYM_SYMBOL_LEN, "0x%lx", address - symbol_offset);

	len = snprintf(buffer, KSYM_SYMBOL_LEN, "%s", name);
	offset -= symbol_offset;

	if (add_offset)
		len += snprintf(buffer + len, KSYM_SYMBOL_LEN - len, "+%#lx/%#lx", offset, size);

	if (modname) {
		len += snprintf(buffer + len, KSYM_SYMBOL_LEN - len, " [%s", modname);
		if (add_buildid && stacktrace_build_id && buildid) {
			len += snprintf(buffer + len, KSYM_SYMBOL_LEN - len, " ");
			for (i = 0; i < BUILD_ID_SIZE_MAX; i++)
				len += snprintf(buffer + len, KSYM_SYMBOL_LEN - len, "%02x", buildid[i]);
		}
		len += snprintf(buffer + len, KSYM_SYMBOL_LEN - len, "]");
	}

	return len;
}

/* %pS: symbol+offset/size [module] of an exact address (a pc). */
int sprint_symbol(char *buffer, unsigned long address)
{
	return __sprint_symbol(buffer, address, 0, 1, 0);
}

/* %pSb: as %pS, with the module's build id. */
int sprint_symbol_build_id(char *buffer, unsigned long address)
{
	return __sprint_symbol(buffer, address, 0, 1, 1);
}

/*
 * %pB: for return addresses in stack traces.  The symbol is looked up at
 * address - 1, so that the return address of a call to a noreturn function
 * at the very end of a symbol still names the caller; the printed offset is
 * the real one (address - symbol start).
 */
int sprint_backtrace(char *buffer, unsigned long address)
{
	return __sprint_symbol(buffer, address, -1, 1, 0);
}

/* %pBb: as %pB, with the module's build id. */
int sprint_backtrace_build_id(char *buffer, unsigned long address)
{
	return __sprint_symbol(buffer, address, -1, 1, 1);
}
