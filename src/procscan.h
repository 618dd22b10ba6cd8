/*
 * One pass over the processes, shared by status, status --users,
 * --interval, --prometheus, files, doctor's per-user counters and lock's
 * pid:NAME: each process's status read once, and
 * its limits, smaps or io_uring descriptors only when the caller asks for
 * them, for the processes it keeps.
 */
#ifndef MEMLOCK_PROCSCAN_H
#define MEMLOCK_PROCSCAN_H

#include "procfs.h"
#include "rlimit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What to read beyond status, per process kept. */
enum {
	SCAN_LIMITS = 1 << 0,	/* RLIMIT_MEMLOCK, from /proc/PID/limits */
	SCAN_SMAPS = 1 << 1,	/* the mappings, from /proc/PID/smaps */
	SCAN_URING = 1 << 2,	/* io_uring instances, from fd/ and fdinfo/ */
	SCAN_PERF = 1 << 4,	/* bytes of perf event rings mapped, from maps */
	SCAN_KEEP = 1 << 3,	/* keep the entry (with nothing more, status only) */
};

struct scan_entry {
	int pid;
	int err;			/* 0, or why its status could not be read */
	struct proc_status st;
	struct memlock_limit lim;
	bool have_lim;
	struct proc_map *maps;		/* SCAN_SMAPS: its mappings */
	size_t nmaps;
	int maps_err;			/* 0, or why smaps could not be read */
	struct uring_use uring;		/* SCAN_URING */
	uint64_t perf_bytes;		/* SCAN_PERF */
};

struct scan {
	struct scan_entry *e;
	size_t n;
	uint64_t unreadable;		/* processes whose status could not be read */
	uint64_t seen;			/* processes whose status was read */
};

/*
 * Every process in PROCFD (PIDS == NULL), or the NPIDS named ones.  WANT
 * decides per process, from its status (ERR set when it could not be read):
 * 0 to skip it, or SCAN_KEEP with what more to read.  A process that
 * vanishes during the scan is skipped, unless it was named: then it is kept
 * with ERR -ESRCH.  Returns 0, or -errno when PROCFD cannot be listed.
 */
int procscan(int procfd, const int *pids, size_t npids,
	     unsigned (*want)(const struct scan_entry *e, void *arg), void *arg,
	     struct scan *s);

void procscan_free(struct scan *s);

/* Whether E's io_uring memory is charged to nobody: a ring set up with
 * CAP_IPC_LOCK is not (io_uring/io_uring.c io_uring_create(): ctx->user
 * only without it), and a process that has it now most likely had it then. */
bool scan_uring_uncharged(const struct scan_entry *e);

#endif
