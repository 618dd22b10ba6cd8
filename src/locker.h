/* Locking files and anonymous memory into RAM, and letting go.  Never prints. */
#ifndef MEMLOCK_LOCKER_H
#define MEMLOCK_LOCKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum { LOCK_ONFAULT = 1 };

struct region {
	char *name;		/* the path, or "anonymous" (malloc'd) */
	int fd;			/* -1 once mapped, or for anonymous memory */
	uint64_t file_size;
	dev_t dev;		/* the file, to find it named twice */
	ino_t ino;
	uint64_t offset, len;	/* the bytes asked for */
	void *map;		/* the mapping, from offset rounded down */
	size_t map_len;
	double ms;		/* time to lock */
	int err;		/* 0, or -errno of the failed step */
	const char *step;	/* "open", "mmap", "mlock" ... when err */
	bool locked;
	bool released;		/* was locked, then let go after another failed */
};

/*
 * Opens PATH for locking [OFFSET, OFFSET + LEN) (LEN 0: to the end) and
 * checks it is a regular file with those bytes: -EISDIR, -EINVAL (not a
 * regular file), -ENODATA (empty), -ERANGE (the range passes the end), or
 * open's error.  Nothing is mapped yet.
 */
int locker_open(const char *path, uint64_t offset, uint64_t len, struct region *r);

/* Prepares SIZE bytes of anonymous memory. */
int locker_anon(uint64_t size, struct region *r);

/* Maps and locks R; the time it took goes in R->ms. */
int locker_lock(struct region *r, unsigned flags);

/* Closes the descriptor of an R that did not lock (nothing else changes). */
void locker_close_failed(struct region *r);

/* Unlocks R, keeping what the report needs. */
void locker_unlock(struct region *r);

/* Unlocks and unmaps R, and frees what it holds. */
void locker_release(struct region *r);

#endif
