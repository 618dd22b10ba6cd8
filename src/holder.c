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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The pid in an existing pidfile DIRFD/BASE, and its inode in ST. */
static int pidfile_read(int dirfd, const char *base, int *pid, struct stat *st)
{
	char buf[32];
	uint64_t v;
	ssize_t n;
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) != 0)
		rc = -errno;
	else if (!S_ISREG(st->st_mode))
		rc = -EBADMSG;
	else if ((n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		rc = -EBADMSG;
	else {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (number_parse(buf, 1, INT32_MAX, &v) != 0)
			rc = -EBADMSG;
		else
			*pid = (int)v;
	}
	close(fd);
	return rc;
}

/* Whether PID runs memlock (its command name begins so: a renamed copy or
 * the sanitizer build too). */
static bool is_memlock(int pid)
{
	char path[64], *buf = NULL;
	int procfd = procfs_open(PROCFS_ROOT);
	bool yes = false;

	snprintf(path, sizeof(path), "%d/comm", pid);
	if (procfd >= 0 && procfs_read_file(procfd, path, &buf, NULL) == 0)
		yes = strncmp(buf, "memlock", 7) == 0;
	free(buf);
	if (procfd >= 0)
		close(procfd);
	return yes;
}

/* A pidfile that is there already: stale (0, and it is removed), or not. */
static int pidfile_stale(int dirfd, const char *base, struct pidfile *p, int *holder)
{
	struct stat st, now;
	int pid = 0, rc = pidfile_read(dirfd, base, &pid, &st);

	if (rc == -ELOOP || rc == -EBADMSG)
		return rc;
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	if ((kill(pid, 0) == 0 || errno == EPERM) && is_memlock(pid)) {
		*holder = pid;
		return -EEXIST;
	}
	/* Gone, or the pid now names another program: remove it, if it is
	 * still the file that was read. */
	if (fstatat(dirfd, base, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == st.st_ino &&
	    now.st_dev == st.st_dev && unlinkat(dirfd, base, 0) != 0)
		return -errno;
	p->replaced = pid;
	return 0;
}

/* Creates DIRFD/BASE with our pid in it; its inode into P. */
static int pidfile_write(int dirfd, const char *base, struct pidfile *p)
{
	char buf[32];
	struct stat st;
	int n, rc = 0, fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				   O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, (size_t)n) != n || fstat(fd, &st) != 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc) {
		unlinkat(dirfd, base, 0);
		return rc;
	}
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	return 0;
}

int pidfile_create(const char *path, struct pidfile *p, int *holder)
{
	char *copy = strdup(path), *slash, *dir = NULL;
	const char *base;
	int dirfd = -1, rc;

	memset(p, 0, sizeof(*p));
	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (slash)
		*(slash == copy ? slash + 1 : slash) = '\0';
	if (!*base)
		rc = -EINVAL;
	else if (!(dir = realpath(slash ? copy : ".", NULL)) ||
		 (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = -errno;
	else if ((rc = pidfile_write(dirfd, base, p)) == -EEXIST &&
		 (rc = pidfile_stale(dirfd, base, p, holder)) == 0)
		rc = pidfile_write(dirfd, base, p);
	if (rc == 0 && asprintf(&p->path, "%s/%s", strcmp(dir, "/") ? dir : "", base) < 0) {
		unlinkat(dirfd, base, 0);
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
	free(p->path);
	p->path = NULL;
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
	sigprocmask(SIG_BLOCK, set, NULL);
	/* A write to a closed pipe fails with EPIPE, and is reported. */
	sigdelset(set, SIGPIPE);
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

int holder_detach(int notify, int status)
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
	close_range(3, ~0U, 0);
	if (chdir("/") != 0 && rc == 0)
		rc = -errno;
	return rc;
}
