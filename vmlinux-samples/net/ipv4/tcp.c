// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * INET		An implementation of the TCP/IP protocol suite for the LINUX
 *		operating system.  INET is implemented using the  BSD Socket
 *		interface as the means of communication with the user level.
 *
 *		Implementation of the Transmission Control Protocol(TCP).
 */
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <net/tcp.h>

struct inet_ehash_bucket {
	void *chain;
};

static struct inet_ehash_bucket *ehash;

int tcp_init(void)
{
	/* Sized for a big machine: the sample's allocator cannot satisfy it. */
	ehash = alloc_large_system_hash("TCP established",
					sizeof(struct inet_ehash_bucket),
					1UL << 20, 17, 0);
	return ehash ? 0 : -12;	/* -ENOMEM */
}
