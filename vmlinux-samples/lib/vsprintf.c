// SPDX-License-Identifier: GPL-2.0
/*
 * A small vsnprintf(): the conversions the sample kernel uses, plus the
 * kernel's %p extensions for symbols (%pS, %pSb, %pB, %pBb) and %px.
 */
#include <linux/kernel.h>
#include <linux/kallsyms.h>

#define ZEROPAD	1	/* pad with zero */
#define LEFT	2	/* left justified */
#define PLUS	4	/* show plus */
#define SPACE	8	/* space if plus */
#define SPECIAL	16	/* prefix hex with "0x" */

struct printf_spec {
	int	flags;
	int	width;
	int	precision;
	int	base;
	bool	is_signed;
	bool	upper;
};

struct outbuf {
	char	*buf;
	size_t	size;
	size_t	len;
};

static void put(struct outbuf *out, char c)
{
	if (out->len + 1 < out->size)
		out->buf[out->len] = c;
	out->len++;
}

static void pad(struct outbuf *out, char c, int n)
{
	while (n-- > 0)
		put(out, c);
}

static void string(struct outbuf *out, const char *s, struct printf_spec spec)
{
	int len = 0;

	if (!s)
		s = "(null)";
	while (s[len] && (spec.precision < 0 || len < spec.precision))
		len++;
	if (!(spec.flags & LEFT))
		pad(out, ' ', spec.width - len);
	for (int i = 0; i < len; i++)
		put(out, s[i]);
	if (spec.flags & LEFT)
		pad(out, ' ', spec.width - len);
}

static void number(struct outbuf *out, unsigned long long num, struct printf_spec spec)
{
	const char *digits = spec.upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], sign = 0;
	int i = 0, prefix = 0;

	if (spec.is_signed && (long long)num < 0) {
		sign = '-';
		num = -(long long)num;
	} else if (spec.is_signed && (spec.flags & PLUS)) {
		sign = '+';
	} else if (spec.is_signed && (spec.flags & SPACE)) {
		sign = ' ';
	}
	if ((spec.flags & SPECIAL) && spec.base == 16)
		prefix = 2;

	do {
		tmp[i++] = digits[num % spec.base];
		num /= spec.base;
	} while (num);

	spec.width -= i + prefix + !!sign;
	if (!(spec.flags & (ZEROPAD | LEFT)))
		pad(out, ' ', spec.width);
	if (sign)
		put(out, sign);
	if (prefix) {
		put(out, '0');
		put(out, 'x');
	}
	if (spec.flags & ZEROPAD)
		pad(out, '0', spec.width);
	while (i)
		put(out, tmp[--i]);
	if (spec.flags & LEFT)
		pad(out, ' ', spec.width);
}

/* The kernel's %p extensions; returns the number of format characters used. */
static int pointer(struct outbuf *out, const char *fmt, void *ptr, struct printf_spec spec)
{
	char sym[KSYM_SYMBOL_LEN];
	unsigned long addr = (unsigned long)ptr;

	switch (fmt[0]) {
	case 'S':
	case 'B':
		if (fmt[0] == 'B')
			fmt[1] == 'b' ? sprint_backtrace_build_id(sym, addr)
				      : sprint_backtrace(sym, addr);
		else
			fmt[1] == 'b' ? sprint_symbol_build_id(sym, addr)
				      : sprint_symbol(sym, addr);
		string(out, sym, spec);
		return fmt[1] == 'b' ? 2 : 1;
	case 'x':
	default:
		spec.base = 16;
		spec.flags |= ZEROPAD;
		spec.width = 16;
		spec.is_signed = false;
		number(out, addr, spec);
		return fmt[0] == 'x';
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct outbuf out = { .buf = buf, .size = size };

	for (; *fmt; fmt++) {
		struct printf_spec spec = { .precision = -1, .base = 10 };
		int qualifier = 0;

		if (*fmt != '%') {
			put(&out, *fmt);
			continue;
		}

		/* flags */
		for (;;) {
			fmt++;
			if (*fmt == '-')
				spec.flags |= LEFT;
			else if (*fmt == '0')
				spec.flags |= ZEROPAD;
			else if (*fmt == '+')
				spec.flags |= PLUS;
			else if (*fmt == ' ')
				spec.flags |= SPACE;
			else if (*fmt == '#')
				spec.flags |= SPECIAL;
			else
				break;
		}

		/* width and precision */
		if (*fmt == '*') {
			spec.width = va_arg(args, int);
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				spec.width = spec.width * 10 + *fmt++ - '0';
		}
		if (*fmt == '.') {
			fmt++;
			spec.precision = 0;
			if (*fmt == '*') {
				spec.precision = va_arg(args, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					spec.precision = spec.precision * 10 + *fmt++ - '0';
			}
		}

		/* length qualifier */
		while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
			qualifier = *fmt == 'h' ? 'h' : 'l';
			fmt++;
		}

		switch (*fmt) {
		case 'c':
			pad(&out, ' ', spec.width - 1);
			put(&out, (char)va_arg(args, int));
			break;
		case 's':
			string(&out, va_arg(args, const char *), spec);
			break;
		case 'p':
			fmt += pointer(&out, fmt + 1, va_arg(args, void *), spec);
			break;
		case '%':
			put(&out, '%');
			break;
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X': {
			unsigned long long num;

			spec.is_signed = *fmt == 'd' || *fmt == 'i';
			spec.base = (*fmt == 'x' || *fmt == 'X') ? 16 : 10;
			spec.upper = *fmt == 'X';
			if (qualifier == 'l')
				num = spec.is_signed ? (unsigned long long)va_arg(args, long)
						     : va_arg(args, unsigned long);
			else
				num = spec.is_signed ? (unsigned long long)(long long)va_arg(args, int)
						     : va_arg(args, unsigned int);
			number(&out, num, spec);
			break;
		}
		default:
			put(&out, '%');
			if (*fmt)
				put(&out, *fmt);
			else
				fmt--;
			break;
		}
	}

	if (size)
		buf[out.len < size ? out.len : size - 1] = '\0';
	return out.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int len;

	va_start(args, fmt);
	len = vsnprintf(buf, size, fmt, args);
	va_end(args);
	return len;
}
