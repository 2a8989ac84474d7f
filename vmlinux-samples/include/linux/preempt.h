/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_PREEMPT_H
#define _LINUX_PREEMPT_H

extern int __preempt_count;
extern bool __irqs_disabled;

static inline void preempt_disable(void)	{ __preempt_count++; barrier(); }
static inline void preempt_enable(void)		{ barrier(); __preempt_count--; }
static inline void local_irq_disable(void)	{ __irqs_disabled = true; barrier(); }
static inline void local_irq_enable(void)	{ barrier(); __irqs_disabled = false; }

void __might_sleep(const char *file, int line);
#define might_sleep()	__might_sleep(__FILE__, __LINE__)

typedef struct { int locked; } spinlock_t;

static inline void spin_lock_irq(spinlock_t *lock)
{
	local_irq_disable();
	preempt_disable();
	lock->locked = 1;
}

static inline void spin_unlock_irq(spinlock_t *lock)
{
	lock->locked = 0;
	preempt_enable();
	local_irq_enable();
}

#endif /* _LINUX_PREEMPT_H */
