// SPDX-License-Identifier: GPL-2.0
/*
 * Raw x86-64 system calls to the host kernel: the sample kernel's only I/O.
 */
#include <linux/kernel.h>
#include <asm/host.h>

#define __NR_read		0
#define __NR_write		1
#define __NR_open		2
#define __NR_close		3
#define __NR_mmap		9
#define __NR_rt_sigaction	13
#define __NR_exit_group		231

static __always_inline long host_syscall(long nr, long a1, long a2, long a3,
					 long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a" (ret)
			     : "0" (nr), "D" (a1), "S" (a2), "d" (a3),
			       "r" (r10), "r" (r8), "r" (r9)
			     : "rcx", "r11", "memory");
	return ret;
}

long host_write(int fd, const void *buf, size_t count)
{
	return host_syscall(__NR_write, fd, (long)buf, count, 0, 0, 0);
}

long host_read(int fd, void *buf, size_t count)
{
	return host_syscall(__NR_read, fd, (long)buf, count, 0, 0, 0);
}

int host_open(const char *path, int flags)
{
	return host_syscall(__NR_open, (long)path, flags, 0, 0, 0, 0);
}

int host_close(int fd)
{
	return host_syscall(__NR_close, fd, 0, 0, 0, 0, 0);
}

void *host_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long ret = host_syscall(__NR_mmap, (long)addr, len, prot, flags, fd, off);

	return (unsigned long)ret >= -4095UL ? MAP_FAILED : (void *)ret;
}

void host_exit(int code)
{
	for (;;)
		host_syscall(__NR_exit_group, code, 0, 0, 0, 0, 0);
}

int host_rt_sigaction(int sig, const struct host_sigaction *act)
{
	return host_syscall(__NR_rt_sigaction, sig, (long)act, 0, 8, 0, 0);
}

/*
 * Files are read into a fixed address range, so that every pointer the
 * sample kernel handles (and may print in a register dump) is the same
 * from run to run: only the host stack is randomized, and it is left
 * at once.
 */
#define FILE_AREA_START	0x30000000UL
#define FILE_AREA_SIZE	(8UL << 20)

void *host_read_fd(int fd, size_t *len)
{
	static unsigned long next = FILE_AREA_START;
	const size_t max = FILE_AREA_SIZE;
	size_t done = 0;
	char *buf;

	buf = host_mmap((void *)next, max, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (buf == MAP_FAILED)
		return NULL;
	next += max;

	for (;;) {
		long n = host_read(fd, buf + done, max - done);

		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		done += n;
	}
	*len = done;
	return buf;
}

void *host_read_file(const char *path, size_t *len)
{
	void *buf;
	int fd;

	fd = host_open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	buf = host_read_fd(fd, len);
	host_close(fd);
	return buf;
}
