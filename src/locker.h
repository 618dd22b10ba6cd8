/* Locking files and anonymous memory into RAM, and letting go.  Never prints. */
#ifndef MEMLOCK_LOCKER_H
#define MEMLOCK_LOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum { LOCK_ONFAULT = 1 };

/* The step of locking that failed. */
enum lock_step { STEP_NONE, STEP_CHECK, STEP_OPEN, STEP_STAT, STEP_MMAP, STEP_MLOCK,
		 STEP_MLOCK2 };

/*
 * One thing to lock, in 64 bytes: a holder of a tree keeps one for each
 * file, and nothing else.  A file's region holds no descriptor: it is
 * opened when it is locked and closed as soon as it is mapped, so that a
 * tree of any size needs one descriptor at a time, and only the mapping
 * stays.  The name is the caller's (targets keep them in one arena).
 */
struct region {
	const char *name;	/* the path, or "anonymous" */
	void *map;		/* the mapping, from offset rounded down, of pages_len */
	uint64_t offset, len;	/* the bytes asked for */
	uint64_t pages_len;	/* the whole pages that cover them */
	dev_t dev;		/* the file, to find it named twice */
	ino_t ino;
	float ms;		/* time to lock */
	int16_t err;		/* 0, or -errno of the failed step */
	uint8_t step;		/* enum lock_step: which, when err */
	bool anon : 1;
	bool whole : 1;		/* the whole file: its size when it is opened */
	bool locked : 1;
	bool released : 1;	/* was locked, then let go after another failed */
	bool skipped : 1;	/* not tried: beyond what vm.max_map_count allows */
	bool carried : 1;	/* locked before a reload, and kept through it */
	bool kept_old : 1;	/* its new copy could not be locked: the old is held */
};

/* "open", "mmap", "mlock" ...: the call of STEP, for messages. */
const char *locker_step_name(enum lock_step step);

/*
 * A region for [OFFSET, OFFSET + LEN) of PATH (LEN 0: to the end), from
 * ST, the file's stat: -EISDIR, -EINVAL (not a regular file), -ENODATA
 * (empty), or -ERANGE (the range passes the end).  Nothing is opened yet,
 * and PATH is not copied: it must live as long as R.
 */
int locker_file(const char *path, const struct stat *st, uint64_t offset,
		uint64_t len, struct region *r);

/* A region of SIZE bytes of anonymous memory; -ERANGE when SIZE rounded up
 * to whole pages passes 2^64. */
int locker_anon(uint64_t size, struct region *r);

/* Opens, maps and locks R (closing the file as soon as it is mapped); the
 * time it took goes in R->ms.  What fails is not left mapped. */
int locker_lock(struct region *r, unsigned flags);

/*
 * Locks R's mapping again: mlock() faults in what is missing of a range it
 * locks already (mm/mlock.c, do_mlock(): __mm_populate() after the flags),
 * so a file truncated and written again in place, whose locked pages went
 * with the truncation, is held again.  0, or -errno.
 */
int locker_relock(struct region *r, unsigned flags);

/* Unlocks R, keeping what the report needs. */
void locker_unlock(struct region *r);

/* Unlocks and unmaps R. */
void locker_release(struct region *r);

#endif
