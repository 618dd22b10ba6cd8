/* The page arithmetic of mlock(2), exactly as Linux does it. */
#ifndef MEMLOCK_PAGEMATH_H
#define MEMLOCK_PAGEMATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mlock_math {
	uint64_t addr, len, page_size;	/* the request */
	uint64_t offset;	/* addr % page_size */
	uint64_t start;		/* addr rounded down to its page */
	uint64_t locked;	/* PAGE_ALIGN(len + offset), wrapping as the kernel's */
	uint64_t end;		/* start + locked (exclusive); meaningless on -EINVAL */
	bool wrapped;		/* len + offset, or its rounding, passed 2^64 */
	int err;		/* 0, or -EINVAL when the end wraps */
};

/* PAGE_SIZE must be a power of two. */
void pagemath_mlock(uint64_t addr, uint64_t len, uint64_t page_size,
		    struct mlock_math *m);

/* Pages locked (0 when nothing is). */
uint64_t pagemath_pages(const struct mlock_math *m);

/* Bytes locked outside [addr, addr + len): the rounding's cost. */
uint64_t pagemath_extra(const struct mlock_math *m);

/* Whether the call locks anything at all. */
static inline bool pagemath_locks(const struct mlock_math *m)
{
	return !m->err && m->locked > 0;
}

/*
 * Pages that several ranges lock, in O(n log n) for n ranges: the stretches
 * covered by two ranges or more (a sweep over the sorted ends), a range's
 * part of them, and the groups of ranges that overlap, directly or through
 * others.  Locks do not nest, so each group shares its fate.
 */
struct pm_stretch {
	uint64_t start, end;
};

struct pm_sharing {
	const struct mlock_math *m;	/* the ranges, as given */
	struct pm_stretch *multi;	/* covered twice or more: sorted, disjoint */
	uint64_t *before;		/* bytes of multi[0..i) */
	size_t nmulti;
	int *order;			/* the ranges that lock, by start */
	size_t norder;
};

/* A group of ranges that share pages: order[first..last]. */
struct pm_group {
	size_t first, last;
	uint64_t start, end;		/* the bytes they cover */
};

/* Builds SH over the N ranges M (kept, not copied); 0 or -ENOMEM. */
int pagemath_sharing(const struct mlock_math *m, size_t n, struct pm_sharing *sh);
void pagemath_sharing_free(struct pm_sharing *sh);

/* Bytes of [START, END) that two ranges or more lock. */
uint64_t pagemath_shared_bytes(const struct pm_sharing *sh, uint64_t start, uint64_t end);

/* The next group of two ranges or more at or after order[*I]. */
bool pagemath_next_group(const struct pm_sharing *sh, size_t *i, struct pm_group *g);

/* The bytes of G that two of its ranges or more lock: how many, and the
 * first and last of them. */
uint64_t pagemath_group_shared(const struct pm_sharing *sh, const struct pm_group *g,
			       uint64_t *first, uint64_t *last);

static inline bool pagemath_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif
