/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * INET		An implementation of the TCP/IP protocol suite for the LINUX
 *		operating system.  INET is implemented using the  BSD Socket
 *		interface as the means of communication with the user level.
 *
 *		Definitions for the AF_INET socket handler.
 */
#ifndef _SOCK_H
#define _SOCK_H

#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <net/dst.h>

struct sock {
	unsigned char		sk_state;
	int			sk_rcvbuf;
	int			sk_sndbuf;
	unsigned int		sk_drops;
	struct {
		int		len;
		struct sk_buff	*head;
		struct sk_buff	*tail;
	} sk_backlog;
	int			sk_lock_owned;
	struct dst_entry	*sk_rx_dst;
	int			sk_rx_dst_ifindex;
	u32			sk_rx_dst_cookie;
	u32			sk_rxhash;
	int			(*sk_backlog_rcv)(struct sock *sk, struct sk_buff *skb);
};

static inline bool sock_owned_by_user(const struct sock *sk)
{
	return READ_ONCE(sk->sk_lock_owned);
}

static inline void sk_drops_add(struct sock *sk, const struct sk_buff *skb)
{
	sk->sk_drops += 1;
}

/* OOB backlog add */
static inline void __sk_add_backlog(struct sock *sk, struct sk_buff *skb)
{
	skb->next = NULL;
	if (!sk->sk_backlog.tail)
		WRITE_ONCE(sk->sk_backlog.head, skb);
	else
		sk->sk_backlog.tail->next = skb;

	WRITE_ONCE(sk->sk_backlog.tail, skb);
}

/*
 * Take into account size of receive queue and backlog queue
 * Do not take into account this skb truesize,
 * to allow even a single big packet to come.
 */
static inline bool sk_rcvqueues_full(const struct sock *sk, unsigned int limit)
{
	unsigned int qsize = sk->sk_backlog.len;

	return qsize > limit;
}

/* The per-socket spinlock must be held here. */
static inline int sk_add_backlog(struct sock *sk, struct sk_buff *skb,
				 unsigned int limit)
{
	if (sk_rcvqueues_full(sk, limit))
		return -105;	/* -ENOBUFS */

	__sk_add_backlog(sk, skb);
	sk->sk_backlog.len += skb->truesize;
	return 0;
}

/* The cached input route, if it is still valid. */
static inline struct dst_entry *sk_rx_dst_get(struct sock *sk)
{
	struct dst_entry *dst = READ_ONCE(sk->sk_rx_dst);

	if (dst)
		dst = dst_check(dst, sk->sk_rx_dst_cookie);
	return dst;
}

static inline void sock_rps_save_rxhash(struct sock *sk, const struct sk_buff *skb)
{
	if (unlikely(READ_ONCE(sk->sk_rxhash) != skb->len))
		WRITE_ONCE(sk->sk_rxhash, skb->len);
}

#endif	/* _SOCK_H */
