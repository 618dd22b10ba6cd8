/*
 * The service manager's notification protocol (sd_notify(3)), without
 * libsystemd: datagrams of "KEY=VALUE" lines sent to the AF_UNIX socket
 * named by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
 * Never prints.
 */
#ifndef MEMLOCK_SDNOTIFY_H
#define MEMLOCK_SDNOTIFY_H

#include <stdbool.h>

struct sdnotify {
	int fd;			/* -1: not run as a notify service */
	char path[108];		/* sun_path */
	unsigned len;		/* its length, the leading NUL of "@" included */
};

/* Takes $NOTIFY_SOCKET out of the environment (no child inherits it) and
 * opens a socket for it.  0 (N->fd -1 when there is none), or -errno:
 * -EINVAL for a name that is no path nor "@name". */
int sdnotify_open(struct sdnotify *n);

/* Sends the lines of FMT as one datagram; 0 when there is no socket. */
int sdnotify_send(const struct sdnotify *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void sdnotify_close(struct sdnotify *n);

#endif
