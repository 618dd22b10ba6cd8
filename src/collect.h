/*
 * Collecting what `lock` will lock from what it was asked (files, trees,
 * --libs, --pid, -c configurations, --files-from): at start, and again at
 * each reload.  Never prints and never exits: each path that cannot be
 * locked, or source that cannot be read, goes to the caller's callback as
 * a `struct collect_problem`, and the caller words it.
 */
#ifndef MEMLOCK_COLLECT_H
#define MEMLOCK_COLLECT_H

#include "sources.h"
#include "targets.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What `lock` was asked to lock: kept, so that a reload asks again. */
struct lock_spec {
	bool anon, recursive, libs, nul;
	uint64_t anon_size, range_off, range_len;	/* range_len 0: whole files */
	char **files;
	int nfiles;
	const int *pids;
	int npids;
	const char *const *configs;
	int nconfigs;
	const char *files_from;
	bool read_any;		/* CAP_DAC_READ_SEARCH: every file may be read */
	/* --files-from -: standard input is read once, at start; a reload
	 * takes the same list again. */
	struct paths *stdin_list;
	bool stdin_read;
};

enum collect_what {
	CP_PATH,		/* PATH cannot be locked: ERR as targets say, SIZE */
	CP_EMPTY_DIR,		/* the directory PATH holds no non-empty regular file */
	CP_LIBS_UNLISTED,	/* PATH's libraries: -EPERM (its loader is not the
				 * system's, not run) or -ELIBBAD (no list) */
	CP_NOT_DYNAMIC,		/* PATH is no dynamic program: it alone (a note) */
	CP_LIB_MISSING,		/* the library PATH, which the program OTHER needs */
	CP_PID_UNREAD,		/* PID's mappings: ERR */
	CP_PID_REPLACED,	/* PID maps PATH, deleted or replaced since */
	CP_NAME_NONE,		/* OTHER:LINE: no process is named PATH */
	CP_LIST_UNREAD,		/* the list PATH: ERR */
	CP_LIST_EMPTY,		/* the list PATH names no file */
};

struct collect_problem {
	enum collect_what what;
	const char *path, *other;
	int err, pid, line;
	uint64_t size;
};

typedef void collect_say_fn(void *ctx, const struct collect_problem *p);

/*
 * Adds to T (empty) everything SPEC names, saying each problem through SAY.
 * Every configuration is read first: a bad one adds nothing and returns
 * -EINVAL with "FILE:LINE: why" in ERR, or -errno with "cannot read ..."
 * there; one that names nothing is -ENODATA.  -ENOMEM leaves T partly
 * filled (the caller frees it).  PROCFD is /proc, for --pid and pid:NAME.
 */
int collect_targets(struct lock_spec *spec, int procfd, struct targets *t,
		    collect_say_fn *say, void *ctx, char *err, size_t errlen);

#endif
