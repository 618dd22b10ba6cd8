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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * A holder keeps its pidfile open with an exclusive flock(2) for as long as
 * it lives: a pidfile that can be locked has no live holder, whoever wrote
 * it, and a pid reused by another program, or a holder whose binary has
 * another name, cannot fool the test.
 */

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
static int pidfile_stale(int dirfd, const char *base, struct pidfile *p, int *holder)
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
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || write(fd, buf, (size_t)n) != n ||
	    fstat(fd, &st) != 0)
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
	return sig == SIGINT || sig == SIGTERM || sig == SIGQUIT || sig == SIGHUP;
}

static void ts_add_ms(struct timespec *ts, uint64_t ms)
{
	uint64_t sec = ms / 1000, max = (uint64_t)INT64_MAX - (uint64_t)ts->tv_sec;

	/* Years beyond any machine's life: saturate, never wrap. */
	ts->tv_sec = sec > max - 1 ? INT64_MAX - 1 : ts->tv_sec + (time_t)sec;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_nsec -= 1000000000;
		ts->tv_sec++;
	}
}

int holder_wait(const sigset_t *set, bool timed, uint64_t timeout_ms)
{
	struct timespec deadline, now, left;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	ts_add_ms(&deadline, timeout_ms);
	for (;;) {
		int sig;

		if (!timed) {
			sig = sigwaitinfo(set, NULL);
		} else {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec &&
							     now.tv_nsec >= deadline.tv_nsec))
				return 0;
			left.tv_sec = deadline.tv_sec - now.tv_sec;
			left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_nsec += 1000000000;
				left.tv_sec--;
			}
			sig = sigtimedwait(set, NULL, &left);
		}
		/* EINTR: stopped and continued, or another signal: the
		 * deadline is recomputed, not the whole timeout waited again. */
		if (sig > 0)
			return sig;
	}
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

int holder_detach(int notify, int status, int keep)
{
	unsigned char s = (unsigned char)status;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), rc = 0;

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
	/* All but KEEP (the pidfile, whose lock says the holder lives). */
	if (keep >= 3) {
		if (keep > 3)
			close_range(3, (unsigned)keep - 1, 0);
		close_range((unsigned)keep + 1, ~0U, 0);
	} else {
		close_range(3, ~0U, 0);
	}
	if (chdir("/") != 0 && rc == 0)
		rc = -errno;
	return rc;
}
