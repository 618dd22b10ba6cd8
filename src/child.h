/*
 * Work done in a forked child whose answer comes back through a pipe: a
 * read in another IPC namespace (doctor), the probe (doctor), the loader
 * listing a program's libraries (lock --libs).  One place forks, reads the
 * pipe to its end and reaps, so that none of them does it again.
 */
#ifndef MEMLOCK_CHILD_H
#define MEMLOCK_CHILD_H

#include <stddef.h>

/*
 * Forks; in the child runs FN(ARG, FD), FD the pipe's write end (FN exits,
 * or returns to exit with its value).  The parent reads everything written
 * to the pipe into *OUT (NUL-terminated, *LEN bytes; NULL for none) and the
 * child's wait status into *STATUS.  0, or -errno when the child could not
 * be started or its output not read.
 */
int child_run(int (*fn)(void *arg, int fd), void *arg, char **out, size_t *len, int *status);

#endif
