/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _TCP_H
#define _TCP_H

#include <net/sock.h>

#define TCP_ESTABLISHED	1
#define TCP_LISTEN	10

int tcp_v4_rcv(struct sk_buff *skb);
int tcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb);
bool tcp_add_backlog(struct sock *sk, struct sk_buff *skb);
void tcp_rcv_established(struct sock *sk, struct sk_buff *skb);

/* The sample's receive path: which report tcp_v4_rcv() will produce. */
enum tcp_sample_mode {
	TCP_SAMPLE_KASAN,	/* stale sk->sk_rx_dst: use-after-free */
	TCP_SAMPLE_BACKLOG,	/* socket owned by user: backlog WARN */
};
void tcp_sample_setup(enum tcp_sample_mode mode);
int ip_local_deliver(struct sk_buff *skb);
int netif_receive_skb_sample(void);

#endif /* _TCP_H */
