/*
 * Files mapped and locked: residency and physical locking of a file's pages.
 *
 * Two halves.  filemap_measure() says, for one open file, how many of its
 * pages are in the page cache (mincore) and, where the kernel lets us see
 * physical pages, how many of those are mlocked (pagemap and kpageflags).
 * filemap_collect() turns a process scan into the set of files that some
 * process has locked, each with the processes locking it and the estimate
 * smaps gives when physical pages cannot be read.  Nothing here prints.
 */
#ifndef MEMLOCK_FILEMAP_H
#define MEMLOCK_FILEMAP_H

#include "procscan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct filemap_file;

/* Why LOCKED of a file is an estimate, not read from physical pages. */
enum filemap_why {
	FM_PHYSICAL = 0,	/* it is not: read through kpageflags */
	FM_NO_PRIV,		/* no CAP_SYS_ADMIN: pagemap hides PFNs */
	FM_NO_KPAGEFLAGS,	/* kpageflags or pagemap cannot be opened */
	FM_NO_OPEN,		/* the file cannot be opened */
	FM_NO_MINCORE,		/* the kernel shows its page cache only to the
				 * file's owner or to who may write it */
	FM_NO_POPULATE,		/* no MADV_POPULATE_READ (Linux < 5.14) */
	FM_NWHY
};

/* What filemap_measure() found for one file. */
struct filemap_pages {
	uint64_t pages;		/* the file's pages */
	uint64_t resident;	/* of them, in the page cache */
	uint64_t mlocked;	/* of those, KPF_MLOCKED */
	uint64_t unevictable;	/* of those, KPF_UNEVICTABLE */
	bool have_resident;	/* RESIDENT was read */
	enum filemap_why why;	/* FM_PHYSICAL: MLOCKED and UNEVICTABLE were read */
};

/* The reader: descriptors and buffers, opened once for every file. */
struct filemap {
	int pagemap;		/* self/pagemap, or -1 */
	int kpageflags;		/* kpageflags, or -1 */
	enum filemap_why why;	/* FM_PHYSICAL when both work */
	uint64_t page_size;
	unsigned char *vec;	/* mincore's answer, a window's worth */
	uint64_t *ents;		/* pagemap entries, a window's worth */
	uint64_t *flags;	/* kpageflags entries, a window's worth */
	const uint64_t *locked;	/* the file's frames in locked mappings, sorted */
	size_t nlocked;
};

/* Opens PROCFD's self/pagemap and kpageflags when privilege allows. */
int filemap_init(struct filemap *fm, int procfd);
void filemap_fini(struct filemap *fm);

/*
 * The page frames that processes map in F's locked mappings, sorted, from
 * their /proc/PID/pagemap (malloc'd; none without privilege).  A page in
 * a VM_LOCKED mapping is locked whether or not it is marked so: the kernel
 * marks a large folio mlocked only when a walk of the whole range finds it
 * (mlock(), or reclaim), not when a fault maps it (mm/rmap.c), and reclaim
 * passes over any page a locked mapping maps (try_to_unmap_one()).
 */
int filemap_locked_frames(struct filemap *fm, int procfd, const struct filemap_file *f,
			  uint64_t **pfns, size_t *n);

/*
 * Measures the regular file open on FD (ST its fstat).  Maps it, never
 * reads a page that is not in the page cache, unmaps it.  A resident page
 * counts as mlocked when kpageflags says KPF_MLOCKED, or when its frame is
 * among the N sorted LOCKED frames.  Returns 0 (with PG->why saying whether
 * the locked counts are physical) or -errno when it cannot be mapped.
 */
int filemap_measure(struct filemap *fm, int fd, const struct stat *st,
		    const uint64_t *locked, size_t n, struct filemap_pages *pg);

/* A locked mapping of a file, in process PID. */
struct filemap_range {
	int pid;
	uint64_t start, end;
};

/* A process that locks a file: its scan entry, and what smaps shows. */
struct filemap_locker {
	size_t entry;		/* index in the scan */
	uint64_t rss;		/* Rss of its locked mappings of the file */
};

/* A file: one that some process locks, or one named by the caller. */
struct filemap_file {
	char *path;		/* as smaps names it, or NULL (malloc'd) */
	char *named;		/* as the caller names it, or NULL (malloc'd) */
	bool have_id;		/* DEV, INO and SIZE are known */
	uint64_t dev, ino, size;
	struct filemap_locker *lk;	/* the processes locking it */
	size_t nlk;
	struct filemap_range *rg;	/* their locked mappings of it */
	size_t nrg;
	/* Where it can be opened: a locked mapping of it (for a deleted file,
	 * or one in another mount namespace), or the caller's path. */
	int via_pid;
	uint64_t via_start, via_end;
};

/* The name to show: the caller's, else the one smaps gives. */
static inline const char *filemap_file_name(const struct filemap_file *f)
{
	return f->named ? f->named : f->path;
}

/* Files, found by (device, inode), or by path when those are unknown. */
struct filemap_set {
	struct filemap_file *v;
	size_t n, cap;
	size_t *slots;		/* index + 1, or 0 */
	size_t nslots;
	uint64_t unreadable;	/* processes with locked memory whose smaps
				 * could not be read */
};

/*
 * Adds every file that a process of S has locked (VmFlags "lo", or Locked
 * over 0) to SET, with that process among its lockers.  The file of a
 * mapping is told by /proc/PID/map_files (which needs CAP_SYS_ADMIN, and
 * finds deleted files), else by stat() of the path below /proc/PID/root.
 * Returns 0 or -ENOMEM.
 */
int filemap_collect(int procfd, const struct scan *s, struct filemap_set *set);

/*
 * The file with ST's device and inode, named PATH by the caller; added when
 * no process locks it.  *AGAIN says whether the caller had named it already
 * (twice, or by a hard link).  NULL without memory.
 */
struct filemap_file *filemap_name(struct filemap_set *set, const char *path,
				  const struct stat *st, bool *again);

/*
 * Opens F read-only: through the locked mapping it was found by, else by
 * its path.  A descriptor (ST its fstat, checked to be F's file and a
 * regular file) or -errno.
 */
int filemap_open(int procfd, const struct filemap_file *f, struct stat *st);

/*
 * What smaps says F has locked: the most any one process has resident in
 * its locked mappings of F, at most FILE_BYTES.  For a VM_LOCKED mapping
 * the resident pages are the locked ones; smaps' own Locked is a
 * proportional share (PSS) of shared pages, so it is not summed.
 */
uint64_t filemap_estimate(const struct filemap_file *f, uint64_t file_bytes);

void filemap_set_free(struct filemap_set *set);

#endif
