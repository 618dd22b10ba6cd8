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

struct fswatch {
	int fd;			/* the inotify descriptor, or -1 */
	const char **names;	/* the base names of held files: a hash set */
	size_t nslots;
	size_t dirs;		/* directories watched */
	size_t failed;		/* directories that could not be watched */
	int err;		/* why the first of them could not (-errno) */
};

/* Watches the directory of every locked file of T (anonymous memory has
 * none).  0, or -errno when inotify itself cannot be had; a directory that
 * cannot be watched is counted in FAILED, with the first reason in ERR. */
int fswatch_open(struct fswatch *w, const struct targets *t);

/* Reads what is pending: 1 when a held file's name was created, written,
 * renamed to or from, or deleted (or its directory went), else 0; -errno. */
int fswatch_read(struct fswatch *w);

void fswatch_close(struct fswatch *w);

#endif
