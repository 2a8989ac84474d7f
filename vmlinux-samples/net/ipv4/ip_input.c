// SPDX-License-Identifier: GPL-2.0
/*
 * INET		An implementation of the TCP/IP protocol suite for the LINUX
 *		operating system.  INET is implemented using the  BSD Socket
 *		interface as the means of communication with the user level.
 *
 *		The Internet Protocol (IP) module.
 */
#include <linux/kernel.h>
#include <net/tcp.h>

struct net_protocol {
	int (*handler)(struct sk_buff *skb);
};

static const struct net_protocol tcp_protocol = {
	.handler = tcp_v4_rcv,
};

static const struct net_protocol *inet_protos[256] = {
	[6] = &tcp_protocol,
};

static noinline void ip_protocol_deliver_rcu(struct sk_buff *skb, int protocol)
{
	const struct net_protocol *ipprot = READ_ONCE(inet_protos[protocol]);

	if (ipprot)
		ipprot->handler(skb);
}

static noinline int ip_local_deliver_finish(struct sk_buff *skb)
{
	ip_protocol_deliver_rcu(skb, skb->ip_proto);
	return 0;
}

/*
 *	Deliver IP Packets to the higher protocol layers.
 */
int ip_local_deliver(struct sk_buff *skb)
{
	return ip_local_deliver_finish(skb);
}
