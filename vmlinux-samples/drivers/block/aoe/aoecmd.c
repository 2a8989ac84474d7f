// SPDX-License-Identifier: GPL-2.0
/* Copyright (c) 2013 Coraid, Inc.  See COPYING for GPL terms. */
/*
 * aoecmd.c
 * Filesystem request handling methods
 *
 * Trimmed to what the sample needs: the ktio threads, each running this
 * file's own static kthread(), which is started by kthread_run() and so
 * runs on top of kernel/kthread.c's static kthread().
 */
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/preempt.h>
#include <linux/sched.h>

#define NFACTIVE	61

struct frame {
	struct frame *next;
	unsigned long tag;
	unsigned int waited;
	unsigned int bcnt;
	unsigned char r_skb_data[64];
};

struct ktstate {
	int (*fn)(int id);
	char name[16];
	spinlock_t *lock;
	int id;
	int active;
};

static spinlock_t iocq_lock;
static struct frame frames[2] = {
	{ .next = &frames[1], .tag = 0x1234, .bcnt = 512 },
	{ .next = NULL, .tag = 0x1235, .bcnt = 1024 },
};
static struct frame *iocq_head = &frames[0];
static struct ktstate kts;

static noinline void aoe_freetframe(struct frame *f)
{
	f->waited = 0;
	f->bcnt = 0;
}

static noinline void ktiocomplete(struct frame *f)
{
	unsigned int n = f->bcnt;

	/* Copying the response into the bio may sleep (bvec_kmap_local ...). */
	might_sleep();

	f->waited += n / 512;
	aoe_freetframe(f);
}

/*
 * Enters with iocq.lock held.
 * Returns true iff responses needing processing remain.
 */
static int ktio(int id)
{
	struct frame *f;
	int i;

	for (i = 0; i < NFACTIVE; i++) {
		f = iocq_head;
		if (!f)
			break;
		iocq_head = f->next;
		/* The real code drops iocq.lock here: the sample "forgets" to. */
		ktiocomplete(f);
	}
	return iocq_head != NULL;
}

static int
kthread(void *vp)
{
	struct ktstate *k = vp;
	int more;

	k->active = 1;
	do {
		spin_lock_irq(k->lock);
		more = k->fn(k->id);
		spin_unlock_irq(k->lock);
		if (!more)
			break;
	} while (!kthread_should_stop());
	k->active = 0;
	return 0;
}

static void
aoe_ktstart(struct ktstate *k)
{
	kthread_run(kthread, k, 245, k->name);
}

void aoecmd_init(void)
{
	kts.fn = ktio;
	kts.id = 0;
	kts.lock = &iocq_lock;
	strscpy_pad(kts.name, "aoe_ktio0", sizeof(kts.name));
	aoe_ktstart(&kts);
}
