/*
 * Watching the directories of held files with inotify, so that a file
 * replaced on disk (a package upgrade renames a new file over the old one;
 * the held mapping then keeps the old, deleted inode) is noticed without
 * polling.  Never prints.
 */
#ifndef MEMLOCK_FSWATCH_H
#define MEMLOCK_FSWATCH_H

#include "targets.h"

#include <stddef.h>
#include <stdint.h>

struct fswatch {
	int fd;			/* the inotify descriptor, or -1 */
	const struct targets *t;	/* what is held */
	uint32_t *slots;	/* by base name: the index + 1 of a held file, or 0 */
	size_t nslots;
	/* The base names of the files that held names are symbolic links to
	 * (libz.so.1 -> libz.so.1.2.13): replacing the target replaces
	 * what is held, in the target's directory. */
	char **links;
	size_t nlinks;
	uint32_t *link_slots;	/* by base name: the index + 1 in links, or 0 */
	size_t nlink_slots;
	size_t failed;		/* directories that could not be watched */
	int err;		/* why the first of them could not (-errno) */
	char first_failed[256];	/* which, cut short */
};

#define FSWATCH_INIT { .fd = -1 }

/*
 * Watches the directory of every locked file of T (anonymous memory has
 * none), on the same inotify descriptor from one call to the next, so that
 * a change made during a reload is queued, not lost; T must stay as it is
 * until the next call or fswatch_close().  0, or -errno when inotify
 * itself cannot be had; a directory that cannot be watched is counted in
 * FAILED, with the first reason in ERR.
 */
int fswatch_update(struct fswatch *w, const struct targets *t);

/* Reads what is pending: 1 when a held file's name was created, written,
 * renamed to or from, or deleted (or its directory went), else 0; -errno. */
int fswatch_read(struct fswatch *w);

void fswatch_close(struct fswatch *w);

#endif
