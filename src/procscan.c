/* One pass over the processes: see procscan.h. */
#define _GNU_SOURCE
#include "procscan.h"

#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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
	if (want & SCAN_PERF)
		procfs_read_perf_rings(procfd, e->pid, &e->perf_bytes);
}

/*
 * The reading is shared out among threads, one a CPU (four at most): the
 * kernel builds each status file anew, and that, not memlock, is what a
 * scan costs, so two CPUs read two at a time.  WANT runs on the calling
 * thread, in pid order, between the two phases.
 */
enum { CHUNK = 32, MAX_THREADS = 4, MIN_PER_THREAD = 256 };

struct job {
	int procfd;
	size_t n;
	struct scan_entry *e;
	const unsigned *w;	/* phase 2: what more to read, per entry */
	bool more;		/* phase 2, else phase 1 (status) */
	atomic_size_t next;
};

static void *worker(void *arg)
{
	struct job *j = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&j->next, CHUNK), end;

		if (i >= j->n)
			return NULL;
		end = i + CHUNK < j->n ? i + CHUNK : j->n;
		for (; i < end; i++) {
			struct scan_entry *e = &j->e[i];

			if (!j->more)
				e->err = procfs_read_status(j->procfd, e->pid, &e->st);
			else if ((j->w[i] & SCAN_KEEP) && !e->err)
				more(j->procfd, j->w[i], e);
		}
	}
}

static void run(struct job *j)
{
	pthread_t t[MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus, started = 0;

	if ((size_t)n > j->n / MIN_PER_THREAD + 1)
		n = (int)(j->n / MIN_PER_THREAD) + 1;
	atomic_store(&j->next, 0);
	/* A thread that cannot be made leaves its share to the others. */
	for (int i = 1; i < n; i++)
		if (pthread_create(&t[started], NULL, worker, j) == 0)
			started++;
	worker(j);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

int procscan(int procfd, const int *pids, size_t npids,
	     unsigned (*want)(const struct scan_entry *e, void *arg), void *arg,
	     struct scan *s)
{
	struct job j = { .procfd = procfd };
	unsigned *w = NULL;
	int *all = NULL;
	size_t cap = 0, n = npids;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (!pids) {
		rc = procfs_list_pids(procfd, &all, &n);
		if (rc)
			return rc;
		pids = all;
	}
	j.n = n;
	j.e = calloc(n ? n : 1, sizeof(*j.e));
	w = calloc(n ? n : 1, sizeof(*w));
	if (!j.e || !w) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		j.e[i].pid = pids[i];
	run(&j);
	for (size_t i = 0; i < n; i++) {
		struct scan_entry *e = &j.e[i];

		/* Gone during a scan: not a process any more. */
		if (e->err == -ESRCH && all)
			continue;
		if (e->err)
			s->unreadable++;
		else
			s->seen++;
		w[i] = want ? want(e, arg) : SCAN_KEEP;
	}
	j.w = w;
	j.more = true;
	run(&j);
	for (size_t i = 0; i < n; i++) {
		if (!(w[i] & SCAN_KEEP) || (j.e[i].err == -ESRCH && all))
			continue;
		if (add(s, &cap, &j.e[i]) != 0) {
			rc = -ENOMEM;
			break;
		}
		j.e[i].maps = NULL;	/* now the scan's */
	}
out:
	for (size_t i = 0; j.e && i < n; i++)
		if (j.e[i].maps)
			procfs_free_maps(j.e[i].maps, j.e[i].nmaps);
	free(j.e);
	free(w);
	free(all);
	if (rc)
		procscan_free(s);
	return rc;
}

void procscan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].maps)
			procfs_free_maps(s->e[i].maps, s->e[i].nmaps);
	free(s->e);
	memset(s, 0, sizeof(*s));
}

bool scan_uring_uncharged(const struct scan_entry *e)
{
	return (e->st.have & PS_CAPS) && (e->st.cap_eff >> CAP_IPC_LOCK & 1);
}
