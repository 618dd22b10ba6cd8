/* sd_notify(3)'s protocol: see sdnotify.h. */
#define _GNU_SOURCE
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sdnotify_open(struct sdnotify *n)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (!e || !*e)
		return 0;
	len = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || len >= sizeof(n->path) || len < 2) {
		unsetenv("NOTIFY_SOCKET");
		return -EINVAL;
	}
	memcpy(n->path, e, len);
	if (n->path[0] == '@')
		n->path[0] = '\0';	/* the abstract namespace */
	n->len = (unsigned)len;
	unsetenv("NOTIFY_SOCKET");
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return n->fd < 0 ? -errno : 0;
}

int sdnotify_send(const struct sdnotify *n, const char *fmt, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *text = NULL;
	va_list ap;
	int len, rc = 0;

	if (n->fd < 0)
		return 0;
	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -ENOMEM;
	memcpy(sa.sun_path, n->path, n->len);
	if (sendto(n->fd, text, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n->len)) < 0)
		rc = -errno;
	free(text);
	return rc;
}

void sdnotify_close(struct sdnotify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
