/*
 * The memory guard: would faulting in NEED more bytes fit, in MemAvailable
 * and in the memory cgroup, or does it wake the OOM killer?  Shared by
 * `lock` (which refuses) and `doctor` (which predicts).  Reads; never
 * prints.  An input it cannot read is never taken for "fits".
 */
#ifndef MEMLOCK_MEMGUARD_H
#define MEMLOCK_MEMGUARD_H

#include "procfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memguard {
	struct meminfo mi;
	int mi_err;		/* 0, or why MemAvailable could not be read */
	struct memcg cg;
	int cg_err;		/* 0, or why the cgroup could not be read */
	char cg_bad[400];	/* the file that could not be read */
};

enum memguard_verdict {
	GUARD_FITS,
	GUARD_OVER_AVAILABLE,	/* more than MemAvailable */
	GUARD_OVER_CGROUP,	/* more than the cgroup can still take */
	GUARD_UNKNOWN,		/* an input could not be read */
};

/* Reads /proc/meminfo below PROCFD and PID's memory cgroup (PID 0: self). */
void memguard_read(int procfd, int pid, struct memguard *g);
/* The same below CGROOT (a fixture tree when REAL is false: no check
 * that it is a cgroup filesystem). */
void memguard_read_at(int procfd, const char *cgroot, bool real, int pid, struct memguard *g);

/* NEED bytes more, faulted in now.  A known "over" wins over an unknown. */
enum memguard_verdict memguard_check(const struct memguard *g, uint64_t need);

/* The file that could not be read, as a path a user can look at (into
 * BUF), and why; NULL when both were read. */
const char *memguard_unreadable(const struct memguard *g, char *buf, size_t len,
				int *err);

#endif
