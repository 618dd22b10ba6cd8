/* Files mapped and locked: see filemap.h. */
#define _GNU_SOURCE
#include "filemap.h"
#include "caps.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/*
 * Documentation/admin-guide/mm/pagemap.rst: each page of /proc/PID/pagemap
 * is a 64-bit entry, bit 63 "page present" and bits 0-54 its page frame
 * number (zero unless the reader has CAP_SYS_ADMIN, since Linux 4.2);
 * /proc/kpageflags holds a 64-bit set of flags per PFN, where bit 18 is
 * KPF_UNEVICTABLE and bit 33 KPF_MLOCKED (include/linux/kernel-page-flags.h).
 */
#define PM_PRESENT	(UINT64_C(1) << 63)
#define PM_PFN_MASK	((UINT64_C(1) << 55) - 1)
#define KPF_UNEVICTABLE	18
#define KPF_MLOCKED	33

/* Pages looked at per mapping: 64 MiB with 4 KiB pages, so that a large
 * file takes bounded buffers and address space, and is never all mapped. */
#define WINDOW 16384

int filemap_init(struct filemap *fm, int procfd)
{
	memset(fm, 0, sizeof(*fm));
	fm->pagemap = fm->kpageflags = -1;
	fm->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	fm->vec = malloc(WINDOW);
	fm->ents = malloc(WINDOW * sizeof(*fm->ents));
	fm->flags = malloc(WINDOW * sizeof(*fm->flags));
	if (!fm->vec || !fm->ents || !fm->flags) {
		filemap_fini(fm);
		return -ENOMEM;
	}
	/* The kernel decides when pagemap is opened whether it shows PFNs
	 * (file_ns_capable(CAP_SYS_ADMIN)); asking first gives the reason. */
	if (!caps_self_effective(CAP_SYS_ADMIN)) {
		fm->why = FM_NO_PRIV;
		return 0;
	}
	fm->pagemap = openat(procfd, "self/pagemap", O_RDONLY | O_CLOEXEC);
	fm->kpageflags = openat(procfd, "kpageflags", O_RDONLY | O_CLOEXEC);
	if (fm->pagemap < 0 || fm->kpageflags < 0)
		fm->why = FM_NO_KPAGEFLAGS;
	return 0;
}

void filemap_fini(struct filemap *fm)
{
	if (fm->pagemap >= 0)
		close(fm->pagemap);
	if (fm->kpageflags >= 0)
		close(fm->kpageflags);
	free(fm->vec);
	free(fm->ents);
	free(fm->flags);
	fm->vec = NULL;
	fm->ents = fm->flags = NULL;
	fm->pagemap = fm->kpageflags = -1;
}

/*
 * mincore() tells the page cache of a file only to its owner or to who
 * could open it for writing (mm/mincore.c, can_do_mincore(), since 5.0);
 * for anyone else it says every page is resident, which would make us read
 * the whole file in.  The same test, made first: owner, or write access.
 */
static bool can_mincore(int fd, const struct stat *st)
{
	if (st->st_uid == geteuid())
		return true;
	return faccessat(fd, "", W_OK, AT_EACCESS | AT_EMPTY_PATH) == 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t got = pread(fd, buf, len, (off_t)off);

	if (got < 0)
		return -errno;
	return (size_t)got == len ? 0 : -EIO;
}

static int pfn_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* Counts the flags of N frames from PFN on: one read for the run. */
static int count_frames(struct filemap *fm, uint64_t pfn, size_t n,
			struct filemap_pages *pg)
{
	int rc = pread_all(fm->kpageflags, fm->flags, n * sizeof(*fm->flags),
			   pfn * sizeof(*fm->flags));

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint64_t p = pfn + i;
		bool mapped = fm->nlocked &&
			      bsearch(&p, fm->locked, fm->nlocked, sizeof(p), pfn_cmp);

		pg->mlocked += ((fm->flags[i] >> KPF_MLOCKED) & 1) || mapped;
		pg->unevictable += (fm->flags[i] >> KPF_UNEVICTABLE) & 1;
	}
	return 0;
}

/* The frames of N pagemap entries, a run of physically contiguous frames
 * at a time.  -EPERM when a present page shows PFN 0: no privilege. */
static int count_entries(struct filemap *fm, const uint64_t *ents, size_t n,
			 struct filemap_pages *pg)
{
	size_t i = 0, j;
	int rc;

	while (i < n) {
		uint64_t pfn = ents[i] & PM_PFN_MASK;

		if (!(ents[i] & PM_PRESENT)) {
			i++;	/* evicted since mincore: not locked */
			continue;
		}
		if (pfn == 0)
			return -EPERM;
		for (j = i + 1; j < n && (ents[j] & PM_PRESENT) &&
		     (ents[j] & PM_PFN_MASK) == pfn + (j - i); j++)
			;
		rc = count_frames(fm, pfn, j - i, pg);
		if (rc)
			return rc;
		i = j;
	}
	return 0;
}

/*
 * The resident pages [FIRST, FIRST + N) of the window at MAP: faulted into
 * our page tables without I/O, then their frames looked up.
 *
 * MADV_POPULATE_READ faults in as a read of a byte of each page would, but
 * a page truncated away meanwhile is an error return rather than a SIGBUS.
 * Only pages mincore() found resident are asked for; a page evicted between
 * mincore() and this would be read back from disk, a small race.
 */
static int resident_run(struct filemap *fm, char *map, size_t first, size_t n,
			struct filemap_pages *pg)
{
	uint64_t ps = fm->page_size, addr = (uint64_t)(uintptr_t)(map + first * ps);
	int rc;

	if (madvise(map + first * ps, n * ps, MADV_POPULATE_READ) != 0 && errno == EINVAL)
		return -EOPNOTSUPP;
	rc = pread_all(fm->pagemap, fm->ents, n * sizeof(*fm->ents),
		       addr / ps * sizeof(*fm->ents));
	if (rc)
		return rc;
	return count_entries(fm, fm->ents, n, pg);
}

/* Every run of resident pages among the N of the window at MAP. */
static int window_frames(struct filemap *fm, char *map, size_t n, struct filemap_pages *pg)
{
	size_t i = 0, j;
	int rc;

	while (i < n) {
		if (!(fm->vec[i] & 1)) {
			i++;
			continue;
		}
		for (j = i + 1; j < n && (fm->vec[j] & 1); j++)
			;
		rc = resident_run(fm, map, i, j - i, pg);
		if (rc)
			return rc;
		i = j;
	}
	return 0;
}

static enum filemap_why frames_why(int rc)
{
	return rc == -EPERM ? FM_NO_PRIV : rc == -EOPNOTSUPP ? FM_NO_POPULATE :
	       FM_NO_KPAGEFLAGS;
}

/* Pages [FIRST, FIRST + N) of the file: residency, then the frames. */
static int measure_window(struct filemap *fm, int fd, uint64_t first, size_t n,
			  struct filemap_pages *pg)
{
	size_t len = n * fm->page_size;
	char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)(first * fm->page_size));
	int rc = 0;

	if (map == MAP_FAILED)
		return -errno;
	/* No readahead from our faults: only resident pages are touched,
	 * and a sequential hint would have the kernel read their neighbours. */
	madvise(map, len, MADV_RANDOM);
	if (mincore(map, len, fm->vec) != 0) {
		rc = -errno;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		pg->resident += fm->vec[i] & 1;
	if (pg->why == FM_PHYSICAL) {
		rc = window_frames(fm, map, n, pg);
		if (rc) {
			pg->why = frames_why(rc);
			/* No PFNs here means none anywhere. */
			if (rc == -EPERM)
				fm->why = FM_NO_PRIV;
			rc = 0;
		}
	}
out:
	munmap(map, len);
	return rc;
}

int filemap_measure(struct filemap *fm, int fd, const struct stat *st,
		    const uint64_t *locked, size_t n, struct filemap_pages *pg)
{
	uint64_t size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
	int rc;

	memset(pg, 0, sizeof(*pg));
	fm->locked = locked;
	fm->nlocked = n;
	pg->pages = size_units(size, fm->page_size);
	pg->why = fm->why;
	if (!can_mincore(fd, st)) {
		if (pg->why == FM_PHYSICAL)
			pg->why = FM_NO_MINCORE;
		return 0;
	}
	for (uint64_t first = 0; first < pg->pages; first += WINDOW) {
		uint64_t left = pg->pages - first;

		rc = measure_window(fm, fd, first, left < WINDOW ? (size_t)left : WINDOW, pg);
		if (rc) {
			pg->why = FM_NO_OPEN;
			pg->resident = pg->mlocked = pg->unevictable = 0;
			return rc;
		}
	}
	pg->have_resident = true;
	if (pg->why != FM_PHYSICAL)
		pg->mlocked = pg->unevictable = 0;
	return 0;
}

/* The set of files: open addressing over (device, inode), or the path. */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static size_t file_hash(bool have_id, uint64_t dev, uint64_t ino, const char *path)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (have_id)
		return (size_t)mix(mix(dev) ^ ino);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (size_t)mix(h);
}

static bool file_is(const struct filemap_file *f, bool have_id, uint64_t dev,
		    uint64_t ino, const char *path)
{
	if (f->have_id != have_id)
		return false;
	if (have_id)
		return f->dev == dev && f->ino == ino;
	return f->path && strcmp(f->path, path) == 0;
}

static size_t *slot_of(const struct filemap_set *set, bool have_id, uint64_t dev,
		       uint64_t ino, const char *path)
{
	size_t i = file_hash(have_id, dev, ino, path) & (set->nslots - 1);

	while (set->slots[i] && !file_is(&set->v[set->slots[i] - 1], have_id, dev, ino, path))
		i = (i + 1) & (set->nslots - 1);
	return &set->slots[i];
}

/* Room for one more file, the table at most half full. */
static int grow(struct filemap_set *set)
{
	size_t *olds = set->slots, old = set->nslots;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 32;
		struct filemap_file *nv = realloc(set->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		set->v = nv;
		set->cap = cap;
	}
	if (set->n + 1 <= set->nslots / 2)
		return 0;
	set->nslots = old ? old * 2 : 64;
	set->slots = calloc(set->nslots, sizeof(*set->slots));
	if (!set->slots) {
		set->slots = olds;
		set->nslots = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct filemap_file *f = &set->v[i];

		*slot_of(set, f->have_id, f->dev, f->ino, f->path ? f->path : f->named) = i + 1;
	}
	free(olds);
	return 0;
}

/* The file with that identity, added when new (PATH copied as its smaps
 * name, or as the caller's when NAMED). */
static struct filemap_file *file_get(struct filemap_set *set, bool have_id, uint64_t dev,
				     uint64_t ino, const char *path, bool named, bool *found)
{
	struct filemap_file *f;
	size_t *slot;

	if (grow(set) != 0)
		return NULL;
	slot = slot_of(set, have_id, dev, ino, path);
	*found = *slot != 0;
	if (*found)
		return &set->v[*slot - 1];
	f = &set->v[set->n];
	memset(f, 0, sizeof(*f));
	f->have_id = have_id;
	f->dev = dev;
	f->ino = ino;
	if (named)
		f->named = strdup(path);
	else
		f->path = strdup(path);
	if (!f->path && !f->named)
		return NULL;
	*slot = ++set->n;
	return f;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

/*
 * Mappings that are not files a user names: shared anonymous memory
 * ("/dev/zero (deleted)") and System V segments ("/SYSV0000002a
 * (deleted)"), which status counts.  A memfd is kept: it is a file.
 */
static bool not_a_file(const char *path)
{
	if (path[0] != '/')
		return true;
	if (!ends_with(path, " (deleted)"))
		return false;
	return strcmp(path, "/dev/zero (deleted)") == 0 || strncmp(path, "/SYSV", 5) == 0;
}

/* stat() of PID's mapping M's file: 0, -ENOTSUP when it is no regular
 * file, or -errno when it cannot be told. */
static int map_stat(int procfd, int pid, const struct proc_map *m, struct stat *st)
{
	char *p = NULL;
	int rc;

	/* map_files follows the mapping itself: a deleted file, or one in
	 * another mount namespace, is found. */
	if (asprintf(&p, "%d/map_files/%llx-%llx", pid, (unsigned long long)m->start,
		     (unsigned long long)m->end) < 0)
		return -ENOMEM;
	rc = fstatat(procfd, p, st, 0) == 0 ? 0 : -errno;
	free(p);
	/* Else its path, seen from the process's root; a deleted one's path
	 * may name a new file now. */
	if (rc && rc != -ENOMEM && !ends_with(m->path, " (deleted)")) {
		if (asprintf(&p, "%d/root%s", pid, m->path) < 0)
			return -ENOMEM;
		rc = fstatat(procfd, p, st, 0) == 0 ? 0 : -errno;
		free(p);
	}
	if (rc == 0 && !S_ISREG(st->st_mode))
		return -ENOTSUP;
	return rc;
}

/* Adds mapping M of scan entry IDX to its file. */
static int add_mapping(int procfd, const struct scan *s, size_t idx,
		       const struct proc_map *m, struct filemap_set *set)
{
	const struct scan_entry *e = &s->e[idx];
	struct filemap_locker *nl;
	struct filemap_range *rg;
	struct filemap_file *f;
	struct stat st;
	bool found;
	int rc = map_stat(procfd, e->pid, m, &st);

	if (rc == -ENOMEM)
		return rc;
	if (rc == -ENOTSUP)
		return 0;	/* a device's memory, not a file */
	f = file_get(set, rc == 0, rc == 0 ? (uint64_t)st.st_dev : 0,
		     rc == 0 ? (uint64_t)st.st_ino : 0, m->path, false, &found);
	if (!f)
		return -ENOMEM;
	if (rc == 0 && !found)
		f->size = (uint64_t)st.st_size;
	if (!f->path && !(f->path = strdup(m->path)))
		return -ENOMEM;
	rg = realloc(f->rg, (f->nrg + 1) * sizeof(*rg));
	if (!rg)
		return -ENOMEM;
	f->rg = rg;
	f->rg[f->nrg++] = (struct filemap_range){ .pid = e->pid, .start = m->start, .end = m->end };
	if (!f->via_pid) {
		f->via_pid = e->pid;
		f->via_start = m->start;
		f->via_end = m->end;
	}
	if (f->nlk && f->lk[f->nlk - 1].entry == idx) {
		f->lk[f->nlk - 1].rss += m->rss;
		return 0;
	}
	nl = realloc(f->lk, (f->nlk + 1) * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	f->lk = nl;
	f->lk[f->nlk++] = (struct filemap_locker){ .entry = idx, .rss = m->rss };
	return 0;
}

int filemap_collect(int procfd, const struct scan *s, struct filemap_set *set)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct scan_entry *e = &s->e[i];

		if (e->err)
			continue;
		if (e->maps_err) {
			set->unreadable++;
			continue;
		}
		for (size_t j = 0; j < e->nmaps; j++) {
			const struct proc_map *m = &e->maps[j];
			int rc;

			if (!(m->vm_locked || m->vm_onfault || m->locked) || not_a_file(m->path))
				continue;
			rc = add_mapping(procfd, s, i, m, set);
			if (rc)
				return rc;
		}
	}
	return 0;
}

struct filemap_file *filemap_name(struct filemap_set *set, const char *path,
				  const struct stat *st, bool *again)
{
	bool found;
	struct filemap_file *f = file_get(set, true, (uint64_t)st->st_dev,
					  (uint64_t)st->st_ino, path, true, &found);

	*again = f && found && f->named;
	if (f && !found)
		f->size = (uint64_t)st->st_size;
	if (f && found && !f->named && !(f->named = strdup(path)))
		return NULL;
	return f;
}

/* Opens NAME below DIRFD; checks that it is F's file, a regular one. */
static int open_as(int dirfd, const char *name, const struct filemap_file *f,
		   struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) != 0)
		rc = -errno;
	else if (!S_ISREG(st->st_mode))
		rc = -EINVAL;
	else if (f->have_id && ((uint64_t)st->st_dev != f->dev || (uint64_t)st->st_ino != f->ino))
		rc = -ESTALE;	/* replaced since it was found */
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int filemap_open(int procfd, const struct filemap_file *f, struct stat *st)
{
	char *p = NULL;
	int fd = -ENOENT;

	if (f->named) {
		fd = open_as(AT_FDCWD, f->named, f, st);
		if (fd >= 0)
			return fd;
	}
	if (!f->via_pid)
		return fd;
	if (asprintf(&p, "%d/map_files/%llx-%llx", f->via_pid,
		     (unsigned long long)f->via_start, (unsigned long long)f->via_end) < 0)
		return -ENOMEM;
	fd = open_as(procfd, p, f, st);
	free(p);
	if (fd >= 0 || ends_with(f->path, " (deleted)"))
		return fd;
	if (asprintf(&p, "%d/root%s", f->via_pid, f->path) < 0)
		return -ENOMEM;
	fd = open_as(procfd, p, f, st);
	free(p);
	return fd;
}

uint64_t filemap_estimate(const struct filemap_file *f, uint64_t file_bytes)
{
	uint64_t most = 0;

	for (size_t i = 0; i < f->nlk; i++)
		if (f->lk[i].rss > most)
			most = f->lk[i].rss;
	return most < file_bytes ? most : file_bytes;
}

void filemap_set_free(struct filemap_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].path);
		free(set->v[i].named);
		free(set->v[i].lk);
		free(set->v[i].rg);
	}
	free(set->v);
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* Adds the present frames of PID's pages [START, END) to *V. */
static int range_frames(struct filemap *fm, int procfd, const struct filemap_range *r,
			uint64_t **v, size_t *n, size_t *cap)
{
	uint64_t ps = fm->page_size, first = r->start / ps, last = r->end / ps;
	char path[64];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%d/pagemap", r->pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* gone, or not ours to read: KPF_MLOCKED alone */
	for (uint64_t p = first; p < last && rc == 0; p += WINDOW) {
		size_t k = last - p < WINDOW ? (size_t)(last - p) : WINDOW;

		if (pread_all(fd, fm->ents, k * sizeof(*fm->ents), p * sizeof(*fm->ents)))
			break;
		for (size_t i = 0; i < k; i++) {
			if (!(fm->ents[i] & PM_PRESENT) || !(fm->ents[i] & PM_PFN_MASK))
				continue;
			if (*n == *cap) {
				uint64_t *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 256) * sizeof(**v));

				if (!nv) {
					rc = -ENOMEM;
					break;
				}
				*v = nv;
			}
			(*v)[(*n)++] = fm->ents[i] & PM_PFN_MASK;
		}
	}
	close(fd);
	return rc;
}

int filemap_locked_frames(struct filemap *fm, int procfd, const struct filemap_file *f,
			  uint64_t **pfns, size_t *n)
{
	size_t cap = 0;
	int rc = 0;

	*pfns = NULL;
	*n = 0;
	if (fm->why != FM_PHYSICAL)
		return 0;
	for (size_t i = 0; i < f->nrg && rc == 0; i++)
		rc = range_frames(fm, procfd, &f->rg[i], pfns, n, &cap);
	if (rc) {
		free(*pfns);
		*pfns = NULL;
		*n = 0;
		return rc;
	}
	if (*n > 1)
		qsort(*pfns, *n, sizeof(**pfns), pfn_cmp);
	return 0;
}
