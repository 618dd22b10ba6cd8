/*
 * mlock(2) and friends as plain system calls.  glibc's wrappers are no more
 * than this, but sanitizers intercept the wrappers and turn them into no-ops
 * (AddressSanitizer "ignores mlock"), which would make `make sanitize` test
 * a memlock that locks nothing.
 */
#ifndef MEMLOCK_SYSCALLS_H
#define MEMLOCK_SYSCALLS_H

#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int sys_mlock(const void *addr, size_t len)
{
	return (int)syscall(SYS_mlock, addr, len);
}

static inline int sys_mlock2(const void *addr, size_t len, unsigned flags)
{
	return (int)syscall(SYS_mlock2, addr, len, flags);
}

static inline int sys_munlock(const void *addr, size_t len)
{
	return (int)syscall(SYS_munlock, addr, len);
}

static inline int sys_mlockall(int flags)
{
	return (int)syscall(SYS_mlockall, flags);
}

#endif
