/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _LINUX_NETDEVICE_H
#define _LINUX_NETDEVICE_H

#include <linux/notifier.h>

#define IFNAMSIZ	16

struct net_device {
	char		name[IFNAMSIZ];
	int		ifindex;
	unsigned int	mtu;
};

struct netdev_notifier_info {
	struct net_device *dev;
};

#define NETDEV_UP		0x0001
#define NETDEV_REGISTER		0x0005

static inline struct net_device *
netdev_notifier_info_to_dev(const struct netdev_notifier_info *info)
{
	return info->dev;
}

int register_netdevice_notifier(struct notifier_block *nb);

#endif /* _LINUX_NETDEVICE_H */
