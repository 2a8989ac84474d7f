/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

typedef unsigned char		u8;
typedef unsigned short		u16;
typedef unsigned int		u32;
typedef unsigned long		u64;
typedef signed char		s8;
typedef short			s16;
typedef int			s32;
typedef long			s64;

typedef unsigned long		size_t;
typedef long			ssize_t;
typedef long			off_t;
typedef unsigned int		gfp_t;

typedef _Bool			bool;
#define true	1
#define false	0

#define NULL	((void *)0)

#endif /* _LINUX_TYPES_H */
