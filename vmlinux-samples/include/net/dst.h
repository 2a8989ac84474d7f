/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/dst.h	Protocol independent destination cache definitions.
 */
#ifndef _NET_DST_H
#define _NET_DST_H

#include <linux/kernel.h>
#include <linux/kasan-checks.h>

struct dst_entry;

struct dst_ops {
	struct dst_entry *(*check)(struct dst_entry *, u32 cookie);
};

struct dst_entry {
	struct dst_ops		*ops;
	unsigned long		_metrics;
	unsigned long		expires;
	short			obsolete;
#define DST_OBSOLETE_NONE	0
#define DST_OBSOLETE_FORCE_CHK	-2
	unsigned short		flags;
	int			__refcnt;
};

static inline int dst_obsolete(const struct dst_entry *dst)
{
	kasan_check_read(&dst->obsolete, sizeof(dst->obsolete));
	return READ_ONCE(dst->obsolete);
}

static inline struct dst_entry *dst_check(struct dst_entry *dst, u32 cookie)
{
	if (dst_obsolete(dst))
		dst = dst->ops->check(dst, cookie);
	return dst;
}

void dst_release(struct dst_entry *dst);

#endif /* _NET_DST_H */
