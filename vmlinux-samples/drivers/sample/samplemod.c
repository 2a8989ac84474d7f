// SPDX-License-Identifier: GPL-2.0
/*
 * samplemod: an out-of-tree module for the kresym samples.
 *
 * Built with -c (no -ffunction-sections) and linked with ld -r --build-id,
 * like a .ko.  Its init function registers a netdevice notifier; the
 * kernel replays NETDEV_REGISTER for each device into the module, and the
 * module complains about eth0's jumbo MTU with dump_stack():
 *
 *   dump_stack <- samplemod_mtu_warn [samplemod] <- samplemod_netdev_event
 *   [samplemod] <- notifier_call_chain <- ... <- register_netdevice_notifier
 *   <- samplemod_init [samplemod] <- do_one_initcall <- do_init_module <- ...
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netdevice.h>

#define SAMPLEMOD_MAX_MTU	9000

static const char __used __section(".modinfo") __modinfo_name[] = "name=samplemod";
static const char __used __section(".modinfo") __modinfo_license[] = "license=GPL";

static unsigned int samplemod_seen;

static __cold noinline void samplemod_mtu_warn(const struct net_device *dev)
{
	pr_warn("samplemod: %s: MTU %u above %u, offload disabled\n",
		dev->name, dev->mtu, SAMPLEMOD_MAX_MTU);
	dump_stack();
}

static int samplemod_netdev_event(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event != NETDEV_REGISTER)
		return NOTIFY_DONE;

	samplemod_seen++;
	if (unlikely(dev->mtu > SAMPLEMOD_MAX_MTU && dev->ifindex != 1))
		samplemod_mtu_warn(dev);
	return NOTIFY_OK;
}

static struct notifier_block samplemod_notifier = {
	.notifier_call = samplemod_netdev_event,
};

static int samplemod_init(void)
{
	int err;

	err = register_netdevice_notifier(&samplemod_notifier);
	if (err)
		return err;
	pr_info("samplemod: watching %u devices\n", samplemod_seen);
	return 0;
}
module_init(samplemod_init);
