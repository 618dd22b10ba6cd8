/*
 * Holding what is locked: the pidfile, --daemon, the signals that end the
 * hold and the --timeout deadline.  Never prints.
 */
#ifndef MEMLOCK_HOLDER_H
#define MEMLOCK_HOLDER_H

#include "fswatch.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The pidfile: made with O_EXCL|O_NOFOLLOW (never through a planted link,
 * never over a live holder's file), with our pid in it, and kept open with
 * an exclusive flock(2) while the holder lives; remembered by its absolute
 * path and inode, so that the daemon, having left its directory, removes it
 * at exit only if it is still ours.
 */
struct pidfile {
	char *path;
	int fd;			/* open and locked while we hold */
	dev_t dev;
	ino_t ino;
	int replaced;		/* the pid of a stale file that was replaced, or 0 */
};

/*
 * Creates PATH.  A file already there that no holder has locked is stale
 * and replaced (P->replaced says whose pid it held); one that is locked is
 * -EEXIST, with the holder's pid in *HOLDER (0 if not written yet); -ELOOP
 * for a link, -EBADMSG for a file that holds no pid (never taken over: it
 * may be anything), or another -errno.
 */
int pidfile_create(const char *path, struct pidfile *p, int *holder);
void pidfile_remove(struct pidfile *p);

/*
 * Blocks every signal whose default action would end the process without
 * cleaning up (SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGALRM, the
 * real-time signals ...), so that the hold ends with an unlock, an unlink
 * of the pidfile and a clean exit, whichever of them arrives, and none is
 * lost: one that arrives while locking or reloading waits, pending, to be
 * read.  SET gets them.
 */
void holder_block_signals(sigset_t *set);

/* Why the hold calls its reload: SIGHUP, or held files changed on disk. */
enum hold_why { HOLD_SIGHUP, HOLD_FILES };

/*
 * What the hold waits on: the signals of SET, the deadline (TIMED: after
 * TIMEOUT_MS on the monotonic clock, so that time spent stopped by SIGSTOP
 * counts), and the directories WATCH watches.  SIGHUP calls RELOAD at
 * once; a change on disk calls it once the directories have been quiet
 * for a moment (a package upgrade replaces many files), and within a few
 * seconds of the first change however busy they stay.  RELOAD may replace
 * *WATCH.
 */
struct hold {
	const sigset_t *set;
	bool timed;
	uint64_t timeout_ms;
	struct fswatch *watch;
	void (*reload)(void *ctx, enum hold_why why);
	/* Called once (-errno) when the hold cannot wait on its files too. */
	void (*degraded)(void *ctx, int err);
	void *ctx;
};

/* Holds until a signal of SET other than SIGHUP (returned), or the
 * deadline (0). */
int holder_hold(const struct hold *h);

/* Whether SIG is one that ends the hold as asked (exit 0), rather than one
 * that is passed on once everything is released. */
bool holder_is_stop_signal(int sig);

/* The monotonic clock, in microseconds (sd_notify's MONOTONIC_USEC). */
uint64_t holder_now_us(void);

/* Whether SIGINT, SIGTERM or SIGQUIT is pending: a reload stops short. */
bool holder_stop_pending(void);

/*
 * --daemon: forks.  The parent waits for the child's outcome on a pipe
 * and exits with it (it never returns); the child returns 0 with the
 * pipe's end in *NOTIFY, in a session of its own.
 */
int holder_daemonize(int *notify);

/* The child, once its report is out: tell the parent STATUS, and give up
 * the terminal and every descriptor but the NKEEP of KEEP (-1: none).  It
 * stays in its directory, where relative names are: the caller leaves it. */
int holder_detach(int notify, int status, const int *keep, size_t nkeep);

#endif
