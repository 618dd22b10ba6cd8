/* See child.h. */
#define _GNU_SOURCE
#include "child.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int child_run(int (*fn)(void *arg, int fd), void *arg, char **out, size_t *len, int *status)
{
	int fds[2], rc;
	pid_t child;

	*out = NULL;
	*len = 0;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	child = fork();
	if (child < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (child == 0) {
		close(fds[0]);
		_exit(fn(arg, fds[1]));
	}
	close(fds[1]);
	rc = procfs_read_fd(fds[0], out, len);
	close(fds[0]);
	while (waitpid(child, status, 0) < 0 && errno == EINTR)
		;
	return rc;
}
