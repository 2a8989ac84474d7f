// SPDX-License-Identifier: GPL-2.0-only
/*
 *  linux/mm/page_alloc.c
 *
 *  Manages the free list, the system allocates free pages here.
 *  Note that kmalloc() lives in slab.c
 *
 *  Copyright (C) 1991, 1992, 1993, 1994  Linus Torvalds
 *
 * The sample's allocator has one tiny zone and always fails large
 * allocations.  The functions are written so that gcc -O2 emits the
 * symbols kernel traces are full of:
 *
 *   __alloc_pages_slowpath.constprop.0  (ipa-cp: alloc_flags is constant)
 *   __alloc_pages_slowpath.constprop.0.cold  (the call to __cold warn_alloc)
 *   alloc_large_system_hash.cold  (the __cold vmalloc fallback call)
 *   show_node_zones.part.0  (partial inlining: the filter test is inlined)
 *   show_zone_free.isra.0  (ipa-sra: zone fields passed instead of the zone)
 */
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/sched.h>

#define ALLOC_WMARK_MIN		0x00
#define ALLOC_WMARK_LOW		0x01
#define ALLOC_CPUSET		0x40

struct zone {
	const char	*name;
	unsigned long	free_pages;
	unsigned long	watermark[3];
	unsigned long	managed_pages;
	unsigned long	present_pages;
	int		node;
	unsigned long	lowmem_reserve[4];
};

struct alloc_context {
	struct zone	*preferred_zone;
	unsigned int	highest_zoneidx;
	int		migratetype;
	bool		spread_dirty_pages;
};

static struct zone zones[2] = {
	{ .name = "DMA32", .free_pages = 803, .watermark = { 256, 320, 384 },
	  .managed_pages = 3976, .present_pages = 4096 },
	{ .name = "Normal", .free_pages = 412, .watermark = { 1024, 1280, 1536 },
	  .managed_pages = 24576, .present_pages = 24576 },
};

static noinline void show_zone_free(struct zone *zone, unsigned int order)
{
	static bool dumped;	/* warn_alloc() dumps the stack once */
	unsigned long free = zone->free_pages;
	const char *name = zone->name;

	printk("Node 0 %s free:%lukB boost:0kB\n", name, free * 4);
	if (order >= MAX_ORDER - 1 && !dumped) {
		dumped = true;
		dump_stack();
	}
}

static void show_node_zones(unsigned int filter, int nid, unsigned int order)
{
	struct zone *zone;

	if (likely(!(filter & SHOW_MEM_FILTER_NODES)))
		return;

	printk("Node %d active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB\n", nid);
	printk("Node %d unevictable:0kB isolated(anon):0kB isolated(file):0kB mapped:0kB\n", nid);
	printk("Node %d dirty:0kB writeback:0kB shmem:0kB kernel_stack:%lukB\n", nid, 16UL);
	for (zone = zones; zone < zones + ARRAY_SIZE(zones); zone++) {
		if (zone->node != nid)
			continue;
		show_zone_free(zone, order);
		printk("%s min:%lukB low:%lukB high:%lukB managed:%lukB\n", zone->name,
		       zone->watermark[0] * 4, zone->watermark[1] * 4,
		       zone->watermark[2] * 4, zone->managed_pages * 4);
		printk("lowmem_reserve[]: %lu %lu %lu %lu\n", zone->lowmem_reserve[0],
		       zone->lowmem_reserve[1], zone->lowmem_reserve[2],
		       zone->lowmem_reserve[3]);
	}
	printk("Node %d hugepages_total=0 hugepages_free=0 hugepages_surp=0\n", nid);
}

/*
 * Show free area list (used inside shift_scroll-lock stuff)
 * We also calculate the percentage fragmentation. We do this by counting the
 * memory on each free list with the exception of the first item on the list.
 */
void show_free_areas(unsigned int filter, unsigned int order)
{
	printk("active_anon:0 inactive_anon:0 isolated_anon:0\n");
	show_node_zones(filter, 0, order);
	show_node_zones(filter & ~SHOW_MEM_FILTER_NODES, 1, order);
	show_node_zones(filter >> 1, 2, order);
}

__cold noinline void warn_alloc(gfp_t gfp_mask, unsigned int order)
{
	if (gfp_mask & ___GFP_NOWARN)
		return;

	pr_warn("%s: page allocation failure: order:%u, mode:%#x(GFP_KERNEL), nodemask=(null)\n",
		current->comm, order, gfp_mask);
	__show_mem(SHOW_MEM_FILTER_NODES, order);
}

static noinline bool zone_watermark_ok(struct zone *z, unsigned int order,
				       unsigned int alloc_flags)
{
	unsigned long free = z->free_pages;
	unsigned long mark = z->watermark[alloc_flags & ALLOC_WMARK_LOW];

	return free > mark + (1UL << order);
}

static struct page *get_page_from_freelist(gfp_t gfp_mask, unsigned int order,
					   unsigned int alloc_flags,
					   struct alloc_context *ac)
{
	struct zone *z;

	for (z = ac->preferred_zone; z >= zones; z--)
		if (zone_watermark_ok(z, order, alloc_flags))
			return (struct page *)z;	/* never, in the sample */
	return NULL;
}

static noinline struct page *
__alloc_pages_slowpath(gfp_t gfp_mask, unsigned int order,
		       unsigned int alloc_flags, struct alloc_context *ac)
{
	struct page *page;
	int retries;

	for (retries = 0; retries < 3; retries++) {
		page = get_page_from_freelist(gfp_mask, order,
					      alloc_flags | ALLOC_CPUSET, ac);
		if (page)
			return page;
	}

	if (unlikely(!page)) {
		warn_alloc(gfp_mask, order);
		return NULL;
	}
	return page;
}

struct page *__alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid)
{
	struct alloc_context ac = {
		.preferred_zone = &zones[1],
		.highest_zoneidx = 1,
	};
	struct page *page;

	if (unlikely(order >= MAX_ORDER))
		return NULL;

	page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, &ac);
	if (likely(page))
		return page;

	return __alloc_pages_slowpath(gfp, order, ALLOC_WMARK_MIN, &ac);
}

/* Early boot has no vmalloc: fall back to the page allocator, and complain. */
static __cold noinline void *alloc_hash_fallback(unsigned long size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size && order < MAX_ORDER - 1)
		order++;
	return __alloc_pages(GFP_KERNEL, order, -1);
}

/*
 * allocate a large system hash table from bootmem
 * - it is assumed that the hash table must contain an exact power-of-2
 *   quantity of entries
 */
void *alloc_large_system_hash(const char *tablename, unsigned long bucketsize,
			      unsigned long numentries, int scale, int flags)
{
	unsigned long log2qty, size;
	void *table = NULL;

	log2qty = 63 - __builtin_clzl(numentries);
	size = bucketsize << log2qty;

	if (likely(size <= PAGE_SIZE))
		table = __alloc_pages(GFP_KERNEL, 0, -1);
	else if (!(flags & HASH_EARLY))
		table = NULL;		/* vmalloc: not in the sample */

	if (unlikely(!table))
		table = alloc_hash_fallback(size);

	if (!table)
		pr_err("Failed to allocate %s hash table\n", tablename);
	return table;
}
