// SPDX-License-Identifier: GPL-2.0
/*
 * printk() for the sample kernel: format, strip the KERN_<level> prefix and
 * write each line to the console (stdout).
 *
 * With printk_time, every line gets the "[%5lu.%06lu]" timestamp prefix; with
 * printk_caller (CONFIG_PRINTK_CALLER), also the "[%6s]" caller id "T<pid>".
 * The clock is fake and deterministic: it starts at 12.345678 s and advances
 * by 13 us per line, so that rebuilt reports compare equal.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <asm/host.h>

#define LOG_LINE_MAX	1024

bool printk_time;
bool printk_caller;

static unsigned long long fake_clock_ns = 12345678000ULL;

static unsigned long long local_clock(void)
{
	unsigned long long now = fake_clock_ns;

	fake_clock_ns += 13000;
	return now;
}

static size_t print_prefix(char *buf, size_t size)
{
	size_t len = 0;

	if (printk_time) {
		unsigned long long ts = local_clock();

		len += snprintf(buf + len, size - len, "[%5lu.%06lu]",
				(unsigned long)(ts / 1000000000ULL),
				(unsigned long)(ts % 1000000000ULL) / 1000);
	}
	if (printk_caller) {
		char caller[12];

		snprintf(caller, sizeof(caller), "T%d", current ? current->pid : 0);
		len += snprintf(buf + len, size - len, "[%6s]", caller);
	}
	if (len)
		buf[len++] = ' ';
	return len;
}

int vprintk(const char *fmt, va_list args)
{
	static char text[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 32];
	const char *p, *end;
	int len;

	len = vsnprintf(text, sizeof(text), fmt, args);
	if (len >= (int)sizeof(text))
		len = sizeof(text) - 1;

	p = text;
	if (p[0] == KERN_SOH[0] && p[1])	/* log level: not shown on the console */
		p += 2;

	while (*p) {
		size_t n;

		for (end = p; *end && *end != '\n'; end++)
			;
		n = print_prefix(line, sizeof(line));
		memcpy(line + n, p, end - p);
		n += end - p;
		line[n++] = '\n';
		host_write(1, line, n);
		p = *end ? end + 1 : end;
	}
	return len;
}

int printk(const char *fmt, ...)
{
	va_list args;
	int r;

	va_start(args, fmt);
	r = vprintk(fmt, args);
	va_end(args);
	return r;
}
