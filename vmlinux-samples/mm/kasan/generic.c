// SPDX-License-Identifier: GPL-2.0
/*
 * This file contains core generic KASAN code.
 *
 * The sample has no shadow memory: it remembers the few objects that were
 * freed and checks accesses against them.
 */
#include <linux/kernel.h>
#include <linux/kasan.h>

struct kasan_freed {
	unsigned long	start;
	size_t		size;
	const char	*cache;
};

static struct kasan_freed freed[4];
static unsigned int nr_freed;

void kasan_poison_freed(const void *object, size_t size, const char *cache)
{
	if (nr_freed < ARRAY_SIZE(freed)) {
		freed[nr_freed].start = (unsigned long)object;
		freed[nr_freed].size = size;
		freed[nr_freed].cache = cache;
		nr_freed++;
	}
}

static __always_inline bool memory_is_poisoned(unsigned long addr, size_t size)
{
	unsigned int i;

	for (i = 0; i < nr_freed; i++)
		if (addr + size > freed[i].start && addr < freed[i].start + freed[i].size)
			return true;
	return false;
}

bool kasan_check_range(unsigned long addr, size_t size, bool write,
		       unsigned long ret_ip)
{
	if (unlikely(size == 0))
		return true;

	if (likely(!memory_is_poisoned(addr, size)))
		return true;

	return !kasan_report(addr, size, write, ret_ip);
}
