/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _LINUX_SKBUFF_H
#define _LINUX_SKBUFF_H

#include <linux/types.h>

struct sock;
struct net_device;

struct sk_buff {
	struct sk_buff		*next;
	struct sock		*sk;
	struct net_device	*dev;
	int			skb_iif;
	unsigned int		len;
	unsigned int		truesize;
	u16			protocol;
	u8			ip_proto;
	unsigned long		_skb_refdst;
	unsigned char		*data;
};

#define SKB_DST_NOREF	1UL
#define SKB_DST_PTRMASK	~(SKB_DST_NOREF)

static inline struct dst_entry *skb_dst(const struct sk_buff *skb)
{
	return (struct dst_entry *)(skb->_skb_refdst & SKB_DST_PTRMASK);
}

void skb_condense(struct sk_buff *skb);

static inline unsigned int skb_headlen(const struct sk_buff *skb)
{
	return skb->len;
}

#endif /* _LINUX_SKBUFF_H */
