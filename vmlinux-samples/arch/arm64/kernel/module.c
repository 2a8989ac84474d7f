// SPDX-License-Identifier: GPL-2.0-only
/*
 * AArch64 loadable module support: the RELA relocations gcc emits for a
 * module built with the small code model.
 *
 * Copyright (C) 2012 ARM Limited
 */
#include <linux/kernel.h>
#include <asm/module.h>

#define R_AARCH64_NONE			0
#define R_AARCH64_ABS64			257
#define R_AARCH64_ABS32			258
#define R_AARCH64_PREL64		260
#define R_AARCH64_PREL32		261
#define R_AARCH64_ADR_PREL_PG_HI21	275
#define R_AARCH64_ADD_ABS_LO12_NC	277
#define R_AARCH64_LDST8_ABS_LO12_NC	278
#define R_AARCH64_JUMP26		282
#define R_AARCH64_CALL26		283
#define R_AARCH64_LDST16_ABS_LO12_NC	284
#define R_AARCH64_LDST32_ABS_LO12_NC	285
#define R_AARCH64_LDST64_ABS_LO12_NC	286
#define R_AARCH64_LDST128_ABS_LO12_NC	299

/* Put @imm into the bits of @insn at @shift, @width bits wide. */
static void insn_set_imm(u32 *insn, u32 imm, int shift, int width)
{
	u32 mask = ((1U << width) - 1) << shift;

	*insn = (*insn & ~mask) | ((imm << shift) & mask);
}

/* @val fits in @bits bits as a signed number. */
static bool fits_signed(s64 val, int bits)
{
	return val >= -(1L << (bits - 1)) && val < (1L << (bits - 1));
}

int (apply_relocate_add)(Elf64_Shdr *sechdrs, void *hdr, unsigned int symindex,
			 unsigned int relsec, const char *name)
{
	Elf64_Shdr *rsec = &sechdrs[relsec];
	Elf64_Rela *rel = hdr + rsec->sh_offset;
	Elf64_Sym *symtab = hdr + sechdrs[symindex].sh_offset;
	unsigned int i;

	for (i = 0; i < rsec->sh_size / sizeof(*rel); i++) {
		/* loc corresponds to P in the AArch64 ELF document. */
		void *loc = (void *)sechdrs[rsec->sh_info].sh_addr + rel[i].r_offset;
		u64 place = (u64)loc;
		/* sym is the ELF symbol we're referring to. */
		Elf64_Sym *sym = symtab + ELF64_R_SYM(rel[i].r_info);
		/* val corresponds to (S + A) in the AArch64 ELF document. */
		u64 val = sym->st_value + rel[i].r_addend;
		s64 off;

		switch (ELF64_R_TYPE(rel[i].r_info)) {
		case R_AARCH64_NONE:
			break;
		case R_AARCH64_ABS64:
			*(u64 *)loc = val;
			break;
		case R_AARCH64_ABS32:
			if (val >> 32)
				goto overflow;
			*(u32 *)loc = val;
			break;
		case R_AARCH64_PREL64:
			*(u64 *)loc = val - place;
			break;
		case R_AARCH64_PREL32:
			off = val - place;
			if (!fits_signed(off, 32))
				goto overflow;
			*(u32 *)loc = off;
			break;
		case R_AARCH64_ADR_PREL_PG_HI21:
			off = (s64)((val & ~0xfffUL) - (place & ~0xfffUL)) >> 12;
			if (!fits_signed(off, 21))
				goto overflow;
			insn_set_imm(loc, off & 3, 29, 2);		/* immlo */
			insn_set_imm(loc, off >> 2, 5, 19);		/* immhi */
			break;
		case R_AARCH64_ADD_ABS_LO12_NC:
		case R_AARCH64_LDST8_ABS_LO12_NC:
			insn_set_imm(loc, val & 0xfff, 10, 12);
			break;
		case R_AARCH64_LDST16_ABS_LO12_NC:
			insn_set_imm(loc, (val & 0xfff) >> 1, 10, 12);
			break;
		case R_AARCH64_LDST32_ABS_LO12_NC:
			insn_set_imm(loc, (val & 0xfff) >> 2, 10, 12);
			break;
		case R_AARCH64_LDST64_ABS_LO12_NC:
			insn_set_imm(loc, (val & 0xfff) >> 3, 10, 12);
			break;
		case R_AARCH64_LDST128_ABS_LO12_NC:
			insn_set_imm(loc, (val & 0xfff) >> 4, 10, 12);
			break;
		case R_AARCH64_JUMP26:
		case R_AARCH64_CALL26:
			off = (s64)(val - place) >> 2;
			if (!fits_signed(off, 26))
				goto overflow;
			insn_set_imm(loc, off, 0, 26);
			break;
		default:
			pr_err("module %s: unsupported RELA relocation: %llu\n", name,
			       (unsigned long long)ELF64_R_TYPE(rel[i].r_info));
			return -1;
		}
	}
	return 0;

overflow:
	pr_err("module %s: overflow in relocation type %d val %lx\n", name,
	       (int)ELF64_R_TYPE(rel[i].r_info), (unsigned long)rel[i].r_offset);
	return -1;
}
