/* RLIMIT_MEMLOCK through prlimit(2), falling back to /proc/PID/limits. */
#define _GNU_SOURCE
#include "rlimit.h"
#include "procfs.h"

#include <errno.h>
#include <sys/resource.h>

int rlimit_get(int procfd, int pid, struct memlock_limit *lim)
{
	struct rlimit rl;

	if (prlimit(pid, RLIMIT_MEMLOCK, NULL, &rl) == 0) {
		lim->soft = rl.rlim_cur;
		lim->hard = rl.rlim_max;
		lim->source = RL_SYSCALL;
		return 0;
	}
	if (errno == ESRCH || pid == 0)
		return -errno;
	lim->source = RL_PROCFS;
	return procfs_read_limits(procfd, pid, &lim->soft, &lim->hard);
}

int rlimit_set(int pid, uint64_t soft, uint64_t hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	return prlimit(pid, RLIMIT_MEMLOCK, &rl, NULL) == 0 ? 0 : -errno;
}

const char *rlimit_source_name(enum rlimit_source s)
{
	return s == RL_SYSCALL ? "prlimit" : "limits";
}
