/* The page arithmetic of mlock(2), exactly as Linux does it. */
#ifndef MEMLOCK_PAGEMATH_H
#define MEMLOCK_PAGEMATH_H

#include <stdbool.h>
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

static inline bool pagemath_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif
