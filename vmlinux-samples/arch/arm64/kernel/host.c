// SPDX-License-Identifier: GPL-2.0
/*
 * Raw arm64 system calls to the host kernel: the sample kernel's only I/O.
 */
#include <linux/kernel.h>
#include <asm/host.h>

#define AT_FDCWD		-100

#define __NR_openat		56
#define __NR_close		57
#define __NR_read		63
#define __NR_write		64
#define __NR_exit_group		94
#define __NR_rt_sigaction	134
#define __NR_mmap		222
#define __NR_mprotect		226

static __always_inline long host_syscall(long nr, long a1, long a2, long a3,
					 long a4, long a5, long a6)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;

	__asm__ __volatile__("svc #0"
			     : "+r" (x0)
			     : "r" (x8), "r" (x1), "r" (x2), "r" (x3),
			       "r" (x4), "r" (x5)
			     : "memory");
	return x0;
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
	return host_syscall(__NR_openat, AT_FDCWD, (long)path, flags, 0, 0, 0);
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

int host_mprotect(void *addr, size_t len, int prot)
{
	return host_syscall(__NR_mprotect, (long)addr, len, prot, 0, 0, 0);
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
