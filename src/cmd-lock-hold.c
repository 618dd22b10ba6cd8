/*
 * memlock lock, holding: the watch on held files' directories, the
 * reloads (SIGHUP, or a held file changed on disk), and the service
 * manager's notifications.  The mechanics are the engine's (holder.c,
 * fswatch.c, targets.c, sdnotify.c); here they are called and worded.
 */
#define _GNU_SOURCE
#include "cmd-lock.h"
#include "commands.h"
#include "holder.h"
#include "locker.h"
#include "msg.h"
#include "size.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sends the outcome to the --daemon parent, once; the child keeps the
 * pidfile, /proc, the service manager's socket and its inotify. */
void lock_notify_parent(struct lock_run *run, int *notify, int pidfile_fd)
{
	int keep[] = { pidfile_fd, run->procfd, run->sd.fd, run->watch.fd };

	if (*notify < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	if (holder_detach(*notify, run->status, keep, sizeof(keep) / sizeof(keep[0])) != 0)
		_exit(EXIT_UNKNOWN);
	*notify = -1;
	/* Its stderr is gone: a reload's line goes to syslog. */
	msg_syslog(true);
}

/* What is held, and what the kernel counts, in a phrase. */
static void held_text(const struct lock_run *run, char *buf, size_t len)
{
	char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ];
	uint64_t total = 0, vmlck;
	size_t n = 0;

	for (size_t i = 0; i < run->t.n; i++)
		if (run->t.v[i].locked) {
			total += run->t.v[i].pages_len;
			n++;
		}
	if (lock_own_vmlck(run->procfd, &vmlck) == 0)
		snprintf(buf, len, "holding %s in %zu region%s (VmLck %s)",
			 size_format(total, false, b1), n, n == 1 ? "" : "s",
			 size_format(vmlck, false, b2));
	else
		snprintf(buf, len, "holding %s in %zu region%s (VmLck could not be read)",
			 size_format(total, false, b1), n, n == 1 ? "" : "s");
}

/* The sysctl or limit behind an inotify failure, for its message. */
static const char *watch_remedy(int err)
{
	return err == -ENOSPC ? ": raise fs.inotify.max_user_watches" :
	       err == -EMFILE ? ": raise fs.inotify.max_user_instances, or ulimit -n" : "";
}

/* Watches the directories of what is held, saying (when SAY) what cannot be. */
void lock_watch(struct lock_run *run, bool say)
{
	struct fswatch *w = &run->watch;
	int rc = fswatch_update(w, &run->t);

	if (!say)
		return;
	if (rc)
		msg_warnx("cannot watch the directories of held files (%s%s): a file replaced "
			  "there is locked again only on SIGHUP", strerror(-rc), watch_remedy(rc));
	else if (w->failed)
		msg_warnx("cannot watch %zu director%s of held files ('%s'%s: %s%s): a file "
			  "replaced there is locked again only on SIGHUP", w->failed,
			  w->failed == 1 ? "y" : "ies", w->first_failed,
			  w->failed > 1 ? " and more" : "", strerror(-w->err), watch_remedy(w->err));
}

/* The one line a reload says: what changed, and what is held now. */
static void reload_line(struct lock_run *run, const char *what, const struct targets_change *c,
			bool said_anyway)
{
	char held[160], kept[96] = "";

	if (!said_anyway && !c->locked && !c->failed && !c->released && !run->reload_problems)
		return;
	held_text(run, held, sizeof(held));
	if (c->kept_old)
		snprintf(kept, sizeof(kept), " (for %zu replaced on disk, the old copy stays held)",
			 c->kept_old);
	msg_warnx("%s: %zu new locked, %zu released, %zu replaced on disk and locked again, "
		  "%zu could not be locked%s%s; %s", what, c->locked - c->replaced,
		  c->released - c->replaced, c->replaced, c->failed + run->reload_problems, kept,
		  holder_stop_pending() ? " (stopped short: ending)" : "", held);
}

/* Locks again what a reload keeps: a file written again in place (the
 * same inode and size) lost its locked pages to the truncation. */
static void relock_carried(struct lock_run *run, struct targets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct region *r = &t->v[i];
		int rc;

		if (!r->carried || r->anon || holder_stop_pending())
			continue;
		if ((rc = locker_relock(r, run->a->onfault ? LOCK_ONFAULT : 0)) != 0)
			msg_warnx("cannot lock '%s' again: %s (%s)", r->name, strerror(-rc),
				  diag_errno_name(rc));
	}
}

/* The reload proper, in the directory where relative names are: locks
 * into FRESH, and returns 0 when FRESH is to be held from now on. */
static int reload_into(struct lock_run *run, struct targets *fresh, const char *what,
		       bool sighup)
{
	struct targets_change count;

	if (lock_collect(run, fresh, what) != 0)
		return -1;
	if (run->reload_abort) {
		msg_warnx("still holding what was held");
		return -1;
	}
	targets_adopt(fresh, &run->t);
	relock_carried(run, fresh);
	lock_check_maps(run, fresh, true);
	lock_guard(run, fresh, true);
	lock_all(run, fresh, true);
	targets_keep_old(fresh, &run->t);
	targets_change(fresh, &run->t, &count);
	targets_free(&run->t);
	run->t = *fresh;
	*fresh = (struct targets){ 0 };
	msg_prefix(NULL);
	reload_line(run, what, &count, sighup);
	lock_watch(run, sighup);
	return 0;
}

/*
 * A reload: everything asked is collected again; what is the same file and
 * range as before stays locked as it is (and is locked again, for what was
 * rewritten in place), what is new is locked, and only then is what is
 * gone, or replaced on disk by a copy that is now locked, released.  A
 * problem is said and keeps nothing from being held: the hold goes on,
 * with what it could.
 */
static void reload(void *ctx, enum hold_why why)
{
	struct lock_run *run = ctx;
	struct targets fresh = { 0 };
	const char *what = why == HOLD_SIGHUP ? "reload (SIGHUP)" : "held files changed on disk";
	char held[160];
	int status = run->status;

	if (why == HOLD_SIGHUP)
		sdnotify_send(&run->sd, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
			      (unsigned long long)holder_now_us());
	run->facts_rc = 1;	/* limits and counters may have changed */
	run->reloading = true;
	run->reload_problems = 0;
	run->reload_abort = false;
	msg_prefix(what);
	if (run->cwd && chdir(run->cwd) != 0)
		msg_warn("cannot go back to '%s', where relative names are", run->cwd);
	else
		reload_into(run, &fresh, what, why == HOLD_SIGHUP);
	msg_prefix(NULL);
	targets_free(&fresh);
	targets_settle(&run->t);
	if (run->cwd && chdir("/") != 0)
		msg_warn("cannot leave '%s'", run->cwd);
	/* Problems of a reload are said, and are not the exit status. */
	run->status = status;
	run->reloading = false;
	held_text(run, held, sizeof(held));
	sdnotify_send(&run->sd, "%sSTATUS=%s", why == HOLD_SIGHUP ? "READY=1\n" : "", held);
}

/* The hold cannot wait on a signalfd: signals still end it, and SIGHUP
 * still reloads, but changes on disk are not seen. */
static void degraded(void *ctx, int err)
{
	(void)ctx;
	msg_warnx("cannot wait for signals and files together (signalfd: %s): a held file "
		  "replaced on disk is locked again only on SIGHUP", strerror(-err));
}

/* Holds until a signal ends it or the deadline; returns the signal. */
int lock_hold(struct lock_run *run, const sigset_t *set)
{
	const struct lock_args *a = run->a;
	struct hold hold = { .set = set, .timed = a->have_timeout, .timeout_ms = a->timeout_ms,
			     .watch = &run->watch, .reload = reload, .degraded = degraded,
			     .ctx = run };
	char held[160];
	int sig;

	if (a->daemon && run->cwd && chdir("/") != 0)
		msg_warn("cannot leave '%s'", run->cwd);
	/* What the walk and the report took goes back to the system: the
	 * holder keeps only its regions. */
	targets_settle(&run->t);
	malloc_trim(0);
	held_text(run, held, sizeof(held));
	/* Ready: every lock is in place, and the kernel counts them. */
	sdnotify_send(&run->sd, "READY=1\nSTATUS=%s\nMAINPID=%d", held, (int)getpid());
	sig = holder_hold(&hold);
	sdnotify_send(&run->sd, "STOPPING=1");
	return sig;
}

