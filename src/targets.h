/*
 * What `lock` will lock: files named, the regular files under directories
 * (-r), or anonymous memory, as regions not yet opened.  A file reached
 * twice (named twice, through overlapping directories, or a hard link) is
 * kept once, found in O(1) by (device, inode, range).  Never prints: a
 * problem with one path goes to the caller's callback.
 */
#ifndef MEMLOCK_TARGETS_H
#define MEMLOCK_TARGETS_H

#include "locker.h"
#include "memguard.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct name_chunk;

struct targets {
	struct region *v;
	size_t n, cap;
	uint32_t *slots;	/* hash of (dev, ino, offset, len): index + 1, or 0 */
	size_t nslots;
	struct name_chunk *names;	/* the regions' names, packed */
	bool read_any;		/* the caller may read any file (CAP_DAC_READ_SEARCH):
				 * no check before locking */
	/* A path that cannot be locked: ERR is -errno (-EISDIR, -EINVAL,
	 * -ENODATA, -ERANGE as locker_file() says, or stat's); FILE_SIZE
	 * when it was read. */
	void (*problem)(void *ctx, const char *path, int err, uint64_t file_size);
	void *ctx;
};

/*
 * Adds PATH, or [OFFSET, OFFSET + LEN) of it (LEN 0: all).  A directory
 * with RECURSIVE adds every non-empty regular file below it (links not
 * followed), in name order.  Returns 0, or -ENOMEM.  Problems go to the
 * callback; *WALKED says whether PATH was a directory walked, and *FOUND
 * counts the files found below it (a file that was there already included).
 */
int targets_add_path(struct targets *t, const char *path, uint64_t offset,
		     uint64_t len, bool recursive, bool *walked, size_t *found);

/* Adds SIZE bytes of anonymous memory; -ERANGE past 2^64 in pages. */
int targets_add_anon(struct targets *t, uint64_t size);

/*
 * A reload: every locked region of OLD that FRESH (collected again, not
 * yet locked) names again, by device, inode and range, gives its mapping
 * to FRESH's, locked already ("carried"), and leaves OLD.  What OLD still
 * holds after is gone from what was asked, or was replaced on disk (a new
 * inode at its path).  Returns how many were carried.
 */
size_t targets_adopt(struct targets *fresh, struct targets *old);

/*
 * After a reload's locking: each region of FRESH that could not be locked
 * (its new copy) and has the path of a region OLD still holds (its old
 * copy) takes the old one's mapping, marked kept_old: a reload never lets
 * a file go for a copy it could not lock.  Returns how many.
 */
size_t targets_keep_old(struct targets *fresh, struct targets *old);

/* How many regions of FRESH that were locked anew (not carried) have the
 * path of one OLD still holds: files replaced on disk, locked again. */
size_t targets_count_replaced(const struct targets *fresh, const struct targets *old);

/* Once locked: the duplicate check's table is freed and the regions take
 * no more room than they need (a reload collects a new set, with its own). */
void targets_settle(struct targets *t);

/* The regions not locked yet (all of them, but at a reload): how many, in
 * *N, and their whole pages, in *BYTES; false when that sum passes 2^64. */
bool targets_pending(const struct targets *t, size_t *n, uint64_t *bytes);

/* Whether any region is locked. */
bool targets_holds_any(const struct targets *t);

/* Marks skipped the pending regions beyond the first FIT (those that
 * vm.max_map_count leaves room for). */
void targets_skip_beyond(struct targets *t, uint64_t fit);

/*
 * The memory guard over the pending regions, as G read it.  All of them
 * fit: GUARD_FITS.  Else without SOME, the verdict for all; with SOME (a
 * reload) the ones that fit are taken in order and the rest marked
 * skipped, their bytes in *REFUSED and their count in *NREFUSED, and the
 * verdict is that of the last one refused.
 */
enum memguard_verdict targets_fit_memory(struct targets *t, const struct memguard *g,
					 bool some, uint64_t *refused, size_t *nrefused);

/* What a reload changed, counted before what is gone is released. */
struct targets_change {
	size_t locked;		/* locked anew (replaced ones included) */
	size_t failed;		/* not locked (or only their old copy kept) */
	size_t kept_old;	/* replaced on disk, the old copy kept */
	size_t released;	/* still locked in OLD: to be released */
	size_t replaced;	/* locked anew at the path of one released */
};

void targets_change(const struct targets *fresh, const struct targets *old,
		    struct targets_change *c);

/* Unlocks and unmaps every region, and frees everything. */
void targets_free(struct targets *t);

/* Frees everything but the mappings, for a process about to exit: the
 * kernel unmaps them all at once, faster than one munmap() each. */
void targets_abandon(struct targets *t);

#endif
