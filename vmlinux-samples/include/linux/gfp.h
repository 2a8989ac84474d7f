/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_GFP_H
#define __LINUX_GFP_H

#include <linux/types.h>

#define ___GFP_IO		0x40u
#define ___GFP_FS		0x80u
#define ___GFP_NOWARN		0x2000u
#define ___GFP_RECLAIM		0xc00u
#define GFP_KERNEL		(___GFP_RECLAIM | ___GFP_IO | ___GFP_FS)

#define MAX_ORDER		11
#define HASH_EARLY		0x00000001

struct page;

struct page *__alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid);
void *alloc_large_system_hash(const char *tablename, unsigned long bucketsize,
			      unsigned long numentries, int scale, int flags);

#define SHOW_MEM_FILTER_NODES	0x0001

void __show_mem(unsigned int filter, unsigned int order);
void show_free_areas(unsigned int filter, unsigned int order);

#endif /* __LINUX_GFP_H */
