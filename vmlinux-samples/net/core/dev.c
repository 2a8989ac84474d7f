// SPDX-License-Identifier: GPL-2.0-or-later
/*
 *      NET3    Protocol independent device support routines.
 *
 * The sample's receive softirq: net_rx_action() polls the backlog device,
 * which delivers one TCP segment to ip_local_deliver().
 */
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>
#include <net/tcp.h>

struct napi_struct {
	int (*poll)(struct napi_struct *napi, int budget);
	int weight;
};

static int __netif_receive_skb(void)
{
	return netif_receive_skb_sample();
}

static int process_backlog(struct napi_struct *napi, int quota)
{
	int work = 0;

	while (work < quota) {
		__netif_receive_skb();
		if (++work >= napi->weight)
			break;
	}
	return work;
}

static struct napi_struct backlog_napi = {
	.poll = process_backlog,
	.weight = 1,
};

static noinline int __napi_poll(struct napi_struct *n)
{
	return n->poll(n, n->weight);
}

static void net_rx_action(struct softirq_action *h)
{
	int budget = 300;

	budget -= __napi_poll(&backlog_napi);
	barrier();
}

void net_dev_init(void)
{
	open_softirq(NET_RX_SOFTIRQ, net_rx_action);
}

/*
 *	Device change register/unregister.  The sample has two devices; a new
 *	notifier is replayed NETDEV_REGISTER and NETDEV_UP for each, as
 *	register_netdevice_notifier() does.
 */
static struct net_device net_devices[] = {
	{ .name = "lo", .ifindex = 1, .mtu = 65536 },
	{ .name = "eth0", .ifindex = 2, .mtu = 9216 },
};

static struct raw_notifier_head netdev_chain;

static noinline int call_netdevice_notifiers_info(unsigned long val,
						  struct netdev_notifier_info *info)
{
	return raw_notifier_call_chain(&netdev_chain, val, info);
}

static int call_netdevice_register_notifiers(struct net_device *dev)
{
	struct netdev_notifier_info info = { .dev = dev };
	int err;

	err = call_netdevice_notifiers_info(NETDEV_REGISTER, &info);
	if (err & NOTIFY_STOP_MASK)
		return err;
	return call_netdevice_notifiers_info(NETDEV_UP, &info);
}

/**
 * register_netdevice_notifier - register a network notifier block
 * @nb: notifier
 */
int register_netdevice_notifier(struct notifier_block *nb)
{
	unsigned int i;
	int err;

	err = raw_notifier_chain_register(&netdev_chain, nb);
	if (err)
		return err;

	for (i = 0; i < ARRAY_SIZE(net_devices); i++) {
		err = call_netdevice_register_notifiers(&net_devices[i]);
		if (err & NOTIFY_STOP_MASK)
			return -1;
	}
	return 0;
}
