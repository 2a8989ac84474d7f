/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_ARM64_HOST_H
#define _ASM_ARM64_HOST_H

/*
 * The sample kernel runs as a static user-space program.  These are the
 * only ways it talks to the (real) kernel underneath: raw arm64 syscalls (svc #0).
 */
#include <linux/types.h>

#define O_RDONLY		0
#define PROT_READ		0x1
#define PROT_WRITE		0x2
#define PROT_EXEC		0x4
#define MAP_PRIVATE		0x02
#define MAP_ANONYMOUS		0x20
#define MAP_FIXED_NOREPLACE	0x100000
#define MAP_FAILED		((void *)-1)

#define SIGTRAP			5
#define SA_SIGINFO		0x00000004
#define SA_RESTORER		0x04000000

long host_write(int fd, const void *buf, size_t count);
long host_read(int fd, void *buf, size_t count);
int host_open(const char *path, int flags);
int host_close(int fd);
void *host_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int host_mprotect(void *addr, size_t len, int prot);
void __noreturn host_exit(int code);

struct host_sigaction {
	void		(*handler)(int, void *, void *);
	unsigned long	flags;
	void		(*restorer)(void);
	unsigned long	mask;
};
int host_rt_sigaction(int sig, const struct host_sigaction *act);

/* Read a whole file into fresh memory at a fixed address.  NULL on error. */
void *host_read_file(const char *path, size_t *len);
void *host_read_fd(int fd, size_t *len);

#endif /* _ASM_ARM64_HOST_H */
