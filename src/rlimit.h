/* RLIMIT_MEMLOCK of this process or another: prlimit(2), or /proc/PID/limits. */
#ifndef MEMLOCK_RLIMIT_H
#define MEMLOCK_RLIMIT_H

#include <stdint.h>

enum rlimit_source { RL_SYSCALL, RL_PROCFS };

struct memlock_limit {
	uint64_t soft, hard;	/* bytes; SIZE_UNLIMITED for RLIM_INFINITY */
	enum rlimit_source source;
};

/* PID 0 is this process.  prlimit(2) needs the same uid or
 * CAP_SYS_RESOURCE; when it is refused, /proc/PID/limits is read. */
int rlimit_get(int procfd, int pid, struct memlock_limit *lim);

/* Sets both values (read them first to keep one). */
int rlimit_set(int pid, uint64_t soft, uint64_t hard);

const char *rlimit_source_name(enum rlimit_source s);

#endif
