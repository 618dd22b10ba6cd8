/* Holding: pidfile, daemon, signals, deadline.  See holder.h. */
#define _GNU_SOURCE
#include "holder.h"
#include "procfs.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * A holder keeps its pidfile open with an exclusive flock(2) for as long as
 * it lives: a pidfile that can be locked has no live holder, whoever wrote
 * it, and a pid reused by another program, or a holder whose binary has
 * another name, cannot fool the test.
 */

/* A moment, for a race that lasts one. */
static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };

	nanosleep(&ts, NULL);
}

/* The pid in DIRFD/BASE, opened as FD; -EBADMSG when it holds none. */
static int pidfile_pid(int fd, int *pid)
{
	char buf[32];
	uint64_t v;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -EBADMSG;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (number_parse(buf, 1, INT32_MAX, &v) != 0)
		return -EBADMSG;
	*pid = (int)v;
	return 0;
}

/* A pidfile that is there already: stale (0, and it is removed), or not. */
static int pidfile_stale_once(int dirfd, const char *base, struct pidfile *p, int *holder);

/* A file with no pid that no holder locks may be one that a holder has
 * just made, and is about to lock and write: asked again, a moment later,
 * before it is called one that holds no pid. */
static int pidfile_stale(int dirfd, const char *base, struct pidfile *p, int *holder)
{
	int rc = -EBADMSG;

	for (int i = 0; i < 200 && rc == -EBADMSG; i++) {
		if (i)
			pause_ms(1);
		rc = pidfile_stale_once(dirfd, base, p, holder);
	}
	return rc;
}

static int pidfile_stale_once(int dirfd, const char *base, struct pidfile *p, int *holder)
{
	struct stat st, now;
	int pid = 0, rc = 0;
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;	/* gone meanwhile: try again */
	if (fstat(fd, &st) != 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EBADMSG;
	else if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		int e = errno;

		/* A live holder's; its pid, if it has written it yet. */
		*holder = pidfile_pid(fd, &pid) == 0 ? pid : 0;
		rc = e == EWOULDBLOCK ? -EEXIST : -e;
	} else if ((rc = pidfile_pid(fd, &pid)) == 0) {
		/* No holder: remove it, if it is still the file that was read. */
		if (fstatat(dirfd, base, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_ino == st.st_ino && now.st_dev == st.st_dev &&
		    unlinkat(dirfd, base, 0) != 0)
			rc = -errno;
		else
			p->replaced = pid;
	}
	close(fd);
	return rc;
}

/*
 * The exclusive lock on a pidfile we just made.  Another holder starting
 * at the same moment may hold a shared lock on it for as long as it takes
 * to read it: we wait for that, a moment, and no more.
 */
static int lock_new(int fd)
{
	for (int i = 0; i < 200; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		pause_ms(1);
	}
	return -1;
}

/* Creates DIRFD/BASE, locked, with our pid in it; P keeps it open. */
static int pidfile_write(int dirfd, const char *base, struct pidfile *p)
{
	char buf[32];
	struct stat st;
	int n, rc = 0, fd = openat(dirfd, base, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				   O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (lock_new(fd) != 0 || write(fd, buf, (size_t)n) != n || fstat(fd, &st) != 0)
		rc = errno ? -errno : -EIO;
	if (rc) {
		unlinkat(dirfd, base, 0);
		close(fd);
		return rc;
	}
	p->fd = fd;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	return 0;
}

int pidfile_create(const char *path, struct pidfile *p, int *holder)
{
	char *copy = strdup(path), *slash, *dir = NULL;
	const char *base, *dirname;
	int dirfd = -1, rc;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (!slash)
		dirname = ".";
	else if (slash == copy)
		dirname = "/";
	else {
		*slash = '\0';
		dirname = copy;
	}
	if (!*base)
		rc = -EINVAL;
	else if (!(dir = realpath(dirname, NULL)) ||
		 (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = -errno;
	else if ((rc = pidfile_write(dirfd, base, p)) == -EEXIST &&
		 (rc = pidfile_stale(dirfd, base, p, holder)) == 0)
		rc = pidfile_write(dirfd, base, p);
	if (rc == 0 && asprintf(&p->path, "%s/%s", strcmp(dir, "/") ? dir : "", base) < 0) {
		unlinkat(dirfd, base, 0);
		close(p->fd);
		p->fd = -1;
		p->path = NULL;
		rc = -ENOMEM;
	}
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	free(copy);
	return rc;
}

void pidfile_remove(struct pidfile *p)
{
	struct stat now;

	if (p->path && lstat(p->path, &now) == 0 && now.st_ino == p->ino &&
	    now.st_dev == p->dev)
		unlink(p->path);
	if (p->fd >= 0)
		close(p->fd);
	free(p->path);
	p->path = NULL;
	p->fd = -1;
}

void holder_block_signals(sigset_t *set)
{
	/* Every signal whose default action ends the process, but for those
	 * only faults raise (SIGSEGV, SIGBUS, ...) and SIGKILL. */
	static const int ends[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
				    SIGALRM, SIGVTALRM, SIGPROF, SIGPOLL, SIGPWR, SIGXCPU,
				    SIGXFSZ, SIGSTKFLT, SIGPIPE };

	sigemptyset(set);
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		sigaddset(set, ends[i]);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(set, s);
	/* Blocked, a write to a closed pipe fails with EPIPE, and is
	 * reported; a SIGPIPE sent while holding ends the hold like the rest. */
	sigprocmask(SIG_BLOCK, set, NULL);
}

bool holder_is_stop_signal(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGQUIT;
}

bool holder_stop_pending(void)
{
	sigset_t p;

	return sigpending(&p) == 0 && (sigismember(&p, SIGINT) == 1 ||
				       sigismember(&p, SIGTERM) == 1 ||
				       sigismember(&p, SIGQUIT) == 1);
}

uint64_t holder_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t mono_ms(void)
{
	return holder_now_us() / 1000;
}

/* A change on disk is acted on once the directories have been quiet for
 * QUIET_MS, and at most BUSY_MS after the first change. */
#define QUIET_MS 300
#define BUSY_MS 3000

/* Milliseconds from NOW until WHEN, for poll(2), at most INT_MAX. */
static int until(uint64_t now, uint64_t when)
{
	return when <= now ? 0 : when - now > INT32_MAX ? INT32_MAX : (int)(when - now);
}

/* The next signal of the signalfd SFD, or 0 when none is pending. */
static int next_signal(int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

/*
 * Without a signalfd (no descriptor left to make one): the signals alone,
 * still to the deadline, and SIGHUP still reloads; changes on disk wait
 * for a SIGHUP.
 */
static int wait_signals(const struct hold *h, uint64_t deadline)
{
	for (;;) {
		uint64_t now = mono_ms(), left = deadline - now;
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000 };
		int sig;

		if (h->timed && now >= deadline)
			return 0;
		sig = h->timed ? sigtimedwait(h->set, NULL, &ts) : sigwaitinfo(h->set, NULL);
		/* EINTR: stopped and continued; EAGAIN: the deadline. */
		if (sig == SIGHUP)
			h->reload(h->ctx, HOLD_SIGHUP);
		else if (sig > 0)
			return sig;
	}
}

int holder_hold(const struct hold *h)
{
	uint64_t start = mono_ms(), deadline = UINT64_MAX, first = 0, last = 0;
	int sfd = signalfd(-1, h->set, SFD_NONBLOCK | SFD_CLOEXEC), sig = 0;
	int sfd_err = sfd < 0 ? -errno : 0;
	bool changed = false;

	/* Years beyond any machine's life: saturate, never wrap. */
	if (h->timed)
		deadline = h->timeout_ms > UINT64_MAX - start ? UINT64_MAX : start + h->timeout_ms;
	while (sfd >= 0) {
		struct pollfd pfd[2] = { { sfd, POLLIN, 0 }, { h->watch->fd, POLLIN, 0 } };
		uint64_t now = mono_ms(), due = deadline;
		int timeout;

		if (changed && (now >= first + BUSY_MS || now >= last + QUIET_MS)) {
			changed = false;
			h->reload(h->ctx, HOLD_FILES);
			continue;
		}
		if (now >= deadline)
			break;
		if (changed && (first + BUSY_MS < due || last + QUIET_MS < due))
			due = first + BUSY_MS < last + QUIET_MS ? first + BUSY_MS : last + QUIET_MS;
		timeout = due == UINT64_MAX ? -1 : until(now, due);
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		if ((sig = next_signal(sfd)) == SIGHUP) {
			changed = false;	/* the reload sees the changes too */
			h->reload(h->ctx, HOLD_SIGHUP);
		} else if (sig) {
			break;
		} else if (pfd[1].revents && fswatch_read(h->watch) > 0) {
			last = mono_ms();
			if (!changed)
				first = last;
			changed = true;
		}
		sig = 0;
	}
	if (sfd >= 0) {
		close(sfd);
	} else {
		if (h->degraded)
			h->degraded(h->ctx, sfd_err);
		sig = wait_signals(h, deadline);
	}
	return sig > 0 ? sig : 0;
}

int holder_daemonize(int *notify)
{
	int fds[2];
	unsigned char status = 1;
	pid_t pid;

	fflush(stdout);
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid > 0) {
		close(fds[1]);
		/* No byte: the child died before it held anything (exit 1). */
		while (read(fds[0], &status, 1) < 0 && errno == EINTR)
			;
		_exit(status);
	}
	close(fds[0]);
	setsid();
	*notify = fds[1];
	return 0;
}

static int by_int(const void *a, const void *b)
{
	return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

int holder_detach(int notify, int status, const int *keep, size_t nkeep)
{
	unsigned char s = (unsigned char)status;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), rc = 0, kept[8];
	unsigned from = 3;
	size_t n = 0;

	fflush(stdout);
	fflush(stderr);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(notify, &s, 1) != 1)
		rc = -errno;
	for (size_t i = 0; i < nkeep && n < sizeof(kept) / sizeof(kept[0]); i++)
		if (keep[i] >= 3)
			kept[n++] = keep[i];
	qsort(kept, n, sizeof(kept[0]), by_int);
	/* Every descriptor from 3 up, but the kept ones. */
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)kept[i] > from)
			close_range(from, (unsigned)kept[i] - 1, 0);
		from = (unsigned)kept[i] + 1;
	}
	close_range(from, ~0U, 0);
	return rc;
}
