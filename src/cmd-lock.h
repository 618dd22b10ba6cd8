/*
 * The lock command's two halves, src/cmd-lock.c (options, collecting,
 * locking, the report) and src/cmd-lock-hold.c (holding: the watch, the
 * reloads, the service manager): what they share.  Private to them.
 */
#ifndef MEMLOCK_CMD_LOCK_H
#define MEMLOCK_CMD_LOCK_H

#include "collect.h"
#include "diagnose.h"
#include "fswatch.h"
#include "sdnotify.h"
#include "output.h"
#include "sources.h"
#include "targets.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct lock_args {
	struct out_opts out;
	bool anon, onfault, recursive, keep_going, daemon, have_range;
	bool have_timeout, no_guard;
	uint64_t anon_size, range_off, range_len, timeout_ms;
	const char *pidfile;
	char **files;
	int nfiles;
	bool libs, nul;			/* --libs; -0 for --files-from */
	const char *files_from;		/* --files-from LIST, or NULL */
	int pids[64];			/* --pid, each */
	int npids;
	const char *configs[16];	/* -c, each */
	int nconfigs;
};

/* One run of `lock`: what it collects, and the worst status so far. */
struct lock_run {
	const struct lock_args *a;
	struct lock_spec spec;		/* what was asked, asked again at a reload */
	struct targets t;
	int status;
	int procfd;
	struct diag_facts facts;	/* for explaining a failure, read once */
	int facts_rc;			/* 1 until read */
	struct sdnotify sd;		/* the service manager, if it asked */
	struct fswatch watch;		/* the directories of held files */
	char *cwd;			/* --daemon: where relative names are */
	struct paths stdin_list;	/* --files-from -, as read at start */
	bool reloading;
	size_t reload_problems;		/* what a reload could not collect */
	bool reload_abort;		/* it met what says nothing of the files */
};

/* The worse of the exit status so far and STATUS. */
void worse(struct lock_run *run, int status);

/* Collects every target into T; 0, or the exit status of why not (said,
 * after WHAT at a reload). */
int lock_collect(struct lock_run *run, struct targets *t, const char *what);

/* Room in vm.max_map_count for T's pending regions; those beyond are
 * skipped, said in one line (EXIT_REFUSED). */
int lock_check_maps(struct lock_run *run, struct targets *t, bool reloading);

/* The memory guard over T's pending regions (SOME: a reload's, in part). */
int lock_guard(struct lock_run *run, struct targets *t, bool some);

/* Locks T's pending regions, saying each failure with its cause. */
void lock_all(struct lock_run *run, struct targets *t, bool reloading);

/* memlock's own VmLck, as the kernel counts it; -errno if not read. */
int lock_own_vmlck(int procfd, uint64_t *v);

/* Watches the directories of what is held, saying (SAY) what cannot be. */
void lock_watch(struct lock_run *run, bool say);

/* Sends the outcome to the --daemon parent, once. */
void lock_notify_parent(struct lock_run *run, int *notify, int pidfile_fd);

/* Holds until a signal ends it or the deadline; returns the signal. */
int lock_hold(struct lock_run *run, const sigset_t *set);

#endif
