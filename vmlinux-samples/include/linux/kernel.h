/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <asm/bug.h>

#define ALIGN(x, a)		(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define PAGE_SIZE		4096UL
#define PAGE_ALIGN(x)		ALIGN(x, PAGE_SIZE)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* The one release string every sample report carries. */
#define UTS_RELEASE	"6.1.0-kresym-sample"
#define UTS_VERSION	"#1"

void __noreturn panic(const char *fmt, ...) __printf(1, 2);
const char *print_tainted(void);
void add_taint_module(void);

#endif /* _LINUX_KERNEL_H */
