/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_KASAN_H
#define _LINUX_KASAN_H

#include <linux/types.h>

/* Mark [object, object + size) freed: later checked accesses are reported. */
void kasan_poison_freed(const void *object, size_t size, const char *cache);

bool kasan_check_range(unsigned long addr, size_t size, bool write, unsigned long ret_ip);
bool kasan_report(unsigned long addr, size_t size, bool is_write, unsigned long ip);

#endif /* _LINUX_KASAN_H */
