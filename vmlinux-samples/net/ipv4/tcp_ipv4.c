// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * INET		An implementation of the TCP/IP protocol suite for the LINUX
 *		operating system.  INET is implemented using the  BSD Socket
 *		interface as the means of communication with the user level.
 *
 *		Implementation of the Transmission Control Protocol(TCP).
 *
 * The sample keeps the shape of the receive path: tcp_v4_rcv() hands the
 * segment to tcp_v4_do_rcv(), or queues it with tcp_add_backlog() when
 * the socket is owned by user context, both through static inline helpers
 * of include/net/sock.h and include/net/dst.h.
 */
#include <linux/kernel.h>
#include <linux/kasan.h>
#include <net/tcp.h>

static struct dst_ops ipv4_dst_ops;
static struct dst_entry rx_dst = {
	.ops = &ipv4_dst_ops,
	.obsolete = DST_OBSOLETE_FORCE_CHK,
};
static struct sock tcp_sock = {
	.sk_state = TCP_ESTABLISHED,
	.sk_rcvbuf = 131072,
	.sk_sndbuf = 16384,
	.sk_rx_dst = &rx_dst,
};
static struct sk_buff tcp_skb = {
	.sk = &tcp_sock,
	.len = 1448,
	.truesize = 2304,
	.ip_proto = 6,
};

static struct dst_entry *ipv4_dst_check(struct dst_entry *dst, u32 cookie)
{
	return dst->obsolete > 0 ? NULL : dst;
}

void dst_release(struct dst_entry *dst)
{
	dst->__refcnt--;
}

void tcp_sample_setup(enum tcp_sample_mode mode)
{
	ipv4_dst_ops.check = ipv4_dst_check;
	if (mode == TCP_SAMPLE_KASAN)
		/* The route was freed while the socket still caches it. */
		kasan_poison_freed(&rx_dst, sizeof(rx_dst), "ip_dst_cache");
	else
		tcp_sock.sk_lock_owned = 1;
}

int netif_receive_skb_sample(void)
{
	return ip_local_deliver(&tcp_skb);
}

void tcp_rcv_established(struct sock *sk, struct sk_buff *skb)
{
	sock_rps_save_rxhash(sk, skb);
	sk->sk_backlog.len -= skb->truesize;
}

/* The socket must have it's spinlock held when we get
 * here, unless it is a TCP_LISTEN socket.
 *
 * We have a potential double-lock case here, so even when
 * doing backlog processing we use the BH locking scheme.
 * This is because we cannot sleep with the original spinlock
 * held.
 */
int tcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_state == TCP_ESTABLISHED) { /* Fast path */
		struct dst_entry *dst = sk_rx_dst_get(sk);

		if (dst && sk->sk_rx_dst_ifindex != skb->skb_iif) {
			WRITE_ONCE(sk->sk_rx_dst, NULL);
			dst_release(dst);
		}
		tcp_rcv_established(sk, skb);
		return 0;
	}

	sk_drops_add(sk, skb);
	return 1;
}

bool tcp_add_backlog(struct sock *sk, struct sk_buff *skb)
{
	u32 limit = READ_ONCE(sk->sk_rcvbuf) + READ_ONCE(sk->sk_sndbuf);

	/* In case all data was pulled from skb frags (in __pskb_pull_tail()),
	 * we can fix skb->truesize to its real value to avoid future drops.
	 * This is valid because skb is not yet charged to the socket.
	 */
	skb_condense(skb);

	/*
	 * A segment queued to the backlog must still own its memory: the
	 * sample's segment does not (the driver forgot skb_set_owner_r()).
	 */
	WARN_ON_ONCE(skb->truesize > skb->len && !skb->dev);

	limit += 64 * 1024;

	if (unlikely(sk_add_backlog(sk, skb, limit))) {
		sk_drops_add(sk, skb);
		return true;
	}
	tcp_rcv_established(sk, skb);
	return false;
}

/*
 *	From tcp_input.c
 */
int tcp_v4_rcv(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	int ret = 0;

	if (!sk || skb->len < 20)
		goto discard_it;

	if (!sock_owned_by_user(sk)) {
		ret = tcp_v4_do_rcv(sk, skb);
	} else {
		if (tcp_add_backlog(sk, skb))
			goto discard_it;
	}
	return ret;

discard_it:
	sk_drops_add(sk, skb);
	return 0;
}
