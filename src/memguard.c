/* The memory guard: MemAvailable and the memory cgroup against a request. */
#define _GNU_SOURCE
#include "memguard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void memguard_read(int procfd, int pid, struct memguard *g)
{
	memguard_read_at(procfd, SYSFS_CGROUP, true, pid, g);
}

void memguard_read_at(int procfd, const char *cgroot, bool real, int pid, struct memguard *g)
{
	int cgfd;

	memset(g, 0, sizeof(*g));
	g->mi_err = procfs_read_meminfo(procfd, &g->mi);
	if (g->mi_err == 0 && !(g->mi.have & MI_AVAILABLE))
		g->mi_err = -ENODATA;
	cgfd = procfs_open(cgroot);
	if (cgfd < 0) {
		g->cg_err = cgfd;
		snprintf(g->cg_bad, sizeof(g->cg_bad), "%s", cgroot);
		return;
	}
	g->cg_err = procfs_read_memcg(procfd, cgfd, pid ? pid : getpid(), &g->cg,
				      g->cg_bad, sizeof(g->cg_bad));
	/* Checked after, and overriding: what a tmpfs there says is no limit. */
	if (g->cg_err == 0 && real)
		g->cg_err = procfs_memcg_fs_check(cgfd, &g->cg, g->cg_bad, sizeof(g->cg_bad));
	close(cgfd);
}

enum memguard_verdict memguard_check(const struct memguard *g, uint64_t need)
{
	bool unknown = false;

	if (need == 0)
		return GUARD_FITS;
	if (g->cg_err == 0 && need > procfs_memcg_room(&g->cg))
		return GUARD_OVER_CGROUP;
	if (g->mi_err == 0 && need > g->mi.available)
		return GUARD_OVER_AVAILABLE;
	unknown = g->mi_err != 0 || g->cg_err != 0;
	return unknown ? GUARD_UNKNOWN : GUARD_FITS;
}

const char *memguard_unreadable(const struct memguard *g, char *buf, size_t len,
				int *err)
{
	if (g->mi_err) {
		*err = g->mi_err;
		snprintf(buf, len, "%s/meminfo%s", PROCFS_ROOT,
			 g->mi_err == -ENODATA ? " (MemAvailable)" : "");
		return buf;
	}
	if (g->cg_err) {
		*err = g->cg_err;
		snprintf(buf, len, "%s", g->cg_bad);
		return buf;
	}
	return NULL;
}
