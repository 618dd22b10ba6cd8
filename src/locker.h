/* Locking files and anonymous memory into RAM, and letting go.  Never prints. */
#ifndef MEMLOCK_LOCKER_H
#define MEMLOCK_LOCKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum { LOCK_ONFAULT = 1 };

/*
 * One thing to lock.  A file's region holds no descriptor: it is opened
 * when it is locked and closed as soon as it is mapped, so that a tree of
 * any size needs one descriptor at a time, and only the mapping stays.
 */
struct region {
	char *name;		/* the path, or "anonymous" (malloc'd) */
	bool anon;
	bool whole;		/* the whole file: its size when it is opened */
	dev_t dev;		/* the file, to find it named twice */
	ino_t ino;
	uint64_t file_size;
	uint64_t offset, len;	/* the bytes asked for */
	uint64_t pages_len;	/* the whole pages that cover them */
	void *map;		/* the mapping, from offset rounded down */
	size_t map_len;
	double ms;		/* time to lock */
	int err;		/* 0, or -errno of the failed step */
	const char *step;	/* "open", "mmap", "mlock" ... when err */
	bool locked;
	bool released;		/* was locked, then let go after another failed */
	bool skipped;		/* not tried: beyond what vm.max_map_count allows */
	bool carried;		/* locked before a reload, and kept through it */
};

/*
 * A region for [OFFSET, OFFSET + LEN) of PATH (LEN 0: to the end), from
 * ST, the file's stat: -EISDIR, -EINVAL (not a regular file), -ENODATA
 * (empty), -ERANGE (the range passes the end), or -ENOMEM.  Nothing is
 * opened yet.
 */
int locker_file(const char *path, const struct stat *st, uint64_t offset,
		uint64_t len, struct region *r);

/* A region of SIZE bytes of anonymous memory; -ERANGE when SIZE rounded up
 * to whole pages passes 2^64. */
int locker_anon(uint64_t size, struct region *r);

/* Opens, maps and locks R (closing the file as soon as it is mapped); the
 * time it took goes in R->ms. */
int locker_lock(struct region *r, unsigned flags);

/* Unlocks R, keeping what the report needs. */
void locker_unlock(struct region *r);

/* Unlocks and unmaps R, and frees what it holds. */
void locker_release(struct region *r);

#endif
