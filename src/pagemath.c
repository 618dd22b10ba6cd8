/* mm/mlock.c: do_mlock() and apply_vma_lock_flags(), as arithmetic. */
#include "pagemath.h"
#include "size.h"

#include <errno.h>
#include <string.h>

void pagemath_mlock(uint64_t addr, uint64_t len, uint64_t page_size,
		    struct mlock_math *m)
{
	uint64_t mask = page_size - 1, sum;

	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->len = len;
	m->page_size = page_size;
	m->offset = addr & mask;
	/* len = PAGE_ALIGN(len + offset_in_page(start)): both steps are
	 * unsigned long arithmetic and may wrap, which the kernel lets happen
	 * (and this models); the checked helpers say when it did. */
	m->wrapped = size_add(len, m->offset, &sum) != 0 ||
		     size_align_up(sum, page_size, &m->locked) != 0;
	sum = len + m->offset;
	m->locked = (sum + mask) & ~mask;
	m->start = addr & ~mask;
	m->end = m->start + m->locked;
	/* apply_vma_lock_flags(): end < start is -EINVAL, end == start is 0. */
	if (m->end < m->start)
		m->err = -EINVAL;
}

uint64_t pagemath_pages(const struct mlock_math *m)
{
	return m->err ? 0 : m->locked / m->page_size;
}

uint64_t pagemath_extra(const struct mlock_math *m)
{
	if (m->err || m->wrapped || m->locked == 0)
		return 0;
	return m->locked - m->len;
}
