/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_KASAN_CHECKS_H
#define _LINUX_KASAN_CHECKS_H

#include <linux/types.h>

/*
 * The sample is not built with -fsanitize=kernel-address; loads that KASAN
 * would check call kasan_check_read() explicitly instead.
 */
bool __kasan_check_read(const volatile void *p, unsigned int size);

static __always_inline bool kasan_check_read(const volatile void *p, unsigned int size)
{
	return __kasan_check_read(p, size);
}

#endif /* _LINUX_KASAN_CHECKS_H */
