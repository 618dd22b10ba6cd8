/* One pass over the processes: see procscan.h. */
#define _GNU_SOURCE
#include "procscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add(struct scan *s, size_t *cap, const struct scan_entry *e)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 128;
		struct scan_entry *ne = realloc(s->e, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		s->e = ne;
		*cap = ncap;
	}
	s->e[s->n++] = *e;
	return 0;
}

/* Reads what WANT asks beyond status into E. */
static void more(int procfd, unsigned want, struct scan_entry *e)
{
	if (want & SCAN_LIMITS)
		/* prlimit(2), one syscall; /proc/PID/limits (an open, a read
		 * and a close) where it is refused: another user's process
		 * without CAP_SYS_RESOURCE. */
		e->have_lim = rlimit_get(procfd, e->pid, &e->lim) == 0;
	if (want & SCAN_SMAPS)
		e->maps_err = procfs_read_smaps(procfd, e->pid, &e->maps, &e->nmaps);
	if (want & SCAN_URING)
		procfs_read_uring(procfd, e->pid, (uint64_t)sysconf(_SC_PAGESIZE), &e->uring);
}

int procscan(int procfd, const int *pids, size_t npids,
	     unsigned (*want)(const struct scan_entry *e, void *arg), void *arg,
	     struct scan *s)
{
	int *all = NULL;
	size_t cap = 0, n = npids;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!pids) {
		rc = procfs_list_pids(procfd, &all, &n);
		if (rc)
			return rc;
		pids = all;
	}
	for (size_t i = 0; i < n; i++) {
		struct scan_entry e = { .pid = pids[i] };
		unsigned w;

		e.err = procfs_read_status(procfd, e.pid, &e.st);
		/* Gone during a scan: not a process any more. */
		if (e.err == -ESRCH && all)
			continue;
		if (e.err)
			s->unreadable++;
		else
			s->seen++;
		w = want ? want(&e, arg) : SCAN_KEEP;
		if (!(w & SCAN_KEEP))
			continue;
		if (!e.err)
			more(procfd, w, &e);
		if (add(s, &cap, &e) != 0) {
			procfs_free_maps(e.maps, e.nmaps);
			free(all);
			return -ENOMEM;
		}
	}
	free(all);
	return 0;
}

void procscan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].maps)
			procfs_free_maps(s->e[i].maps, s->e[i].nmaps);
	free(s->e);
	memset(s, 0, sizeof(*s));
}
