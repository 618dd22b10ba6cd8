/* mm/mlock.c: do_mlock() and apply_vma_lock_flags(), as arithmetic; and
 * the pages that several such calls share. */
#define _GNU_SOURCE
#include "pagemath.h"
#include "size.h"

#include <errno.h>
#include <stdlib.h>
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

struct event {
	uint64_t at;
	int delta;		/* +1 a range starts, -1 one ends */
};

static int event_cmp(const void *x, const void *y)
{
	const struct event *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->delta - b->delta;	/* an end before a start at one address */
}

static int order_cmp(const void *x, const void *y, void *ranges)
{
	const struct mlock_math *m = ranges;
	int i = *(const int *)x, j = *(const int *)y;

	if (m[i].start != m[j].start)
		return m[i].start < m[j].start ? -1 : 1;
	return i - j;
}

int pagemath_sharing(const struct mlock_math *m, size_t n, struct pm_sharing *sh)
{
	struct event *ev = calloc(n * 2 + 1, sizeof(*ev));
	size_t k = 0;
	int depth = 0;

	memset(sh, 0, sizeof(*sh));
	sh->m = m;
	sh->order = calloc(n + 1, sizeof(*sh->order));
	sh->multi = calloc(n + 1, sizeof(*sh->multi));
	sh->before = calloc(n + 2, sizeof(*sh->before));
	if (!ev || !sh->order || !sh->multi || !sh->before) {
		free(ev);
		pagemath_sharing_free(sh);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!pagemath_locks(&m[i]))
			continue;
		sh->order[sh->norder++] = (int)i;
		ev[k++] = (struct event){ m[i].start, +1 };
		ev[k++] = (struct event){ m[i].end, -1 };
	}
	qsort_r(sh->order, sh->norder, sizeof(*sh->order), order_cmp, (void *)m);
	qsort(ev, k, sizeof(*ev), event_cmp);
	for (size_t i = 0; i < k; i++) {
		int was = depth;

		depth += ev[i].delta;
		if (was < 2 && depth >= 2) {
			sh->multi[sh->nmulti].start = ev[i].at;
		} else if (was >= 2 && depth < 2) {
			struct pm_stretch *s = &sh->multi[sh->nmulti];

			s->end = ev[i].at;
			if (s->end > s->start) {
				sh->before[sh->nmulti + 1] = sh->before[sh->nmulti] + s->end - s->start;
				sh->nmulti++;
			}
		}
	}
	free(ev);
	return 0;
}

void pagemath_sharing_free(struct pm_sharing *sh)
{
	free(sh->multi);
	free(sh->before);
	free(sh->order);
	memset(sh, 0, sizeof(*sh));
}

/* The first stretch that ends after ADDR. */
static size_t multi_after(const struct pm_sharing *sh, uint64_t addr)
{
	size_t lo = 0, hi = sh->nmulti;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sh->multi[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The stretches [*A, *B) that meet [START, END). */
static void multi_within(const struct pm_sharing *sh, uint64_t start, uint64_t end,
			 size_t *a, size_t *b)
{
	*a = multi_after(sh, start);
	*b = multi_after(sh, end);
	if (*b < sh->nmulti && sh->multi[*b].start < end)
		(*b)++;
}

uint64_t pagemath_shared_bytes(const struct pm_sharing *sh, uint64_t start, uint64_t end)
{
	size_t a, b;
	uint64_t total;

	multi_within(sh, start, end, &a, &b);
	if (a >= b)
		return 0;
	total = sh->before[b] - sh->before[a];
	if (sh->multi[a].start < start)
		total -= start - sh->multi[a].start;
	if (sh->multi[b - 1].end > end)
		total -= sh->multi[b - 1].end - end;
	return total;
}

bool pagemath_next_group(const struct pm_sharing *sh, size_t *i, struct pm_group *g)
{
	const struct mlock_math *m = sh->m;

	while (*i < sh->norder) {
		g->first = *i;
		g->start = m[sh->order[*i]].start;
		g->end = m[sh->order[*i]].end;
		for ((*i)++; *i < sh->norder && m[sh->order[*i]].start < g->end; (*i)++)
			if (m[sh->order[*i]].end > g->end)
				g->end = m[sh->order[*i]].end;
		g->last = *i - 1;
		if (g->last > g->first)
			return true;
	}
	return false;
}

uint64_t pagemath_group_shared(const struct pm_sharing *sh, const struct pm_group *g,
			       uint64_t *first, uint64_t *last)
{
	size_t a, b;

	multi_within(sh, g->start, g->end, &a, &b);
	if (a >= b)
		return 0;
	*first = sh->multi[a].start;
	*last = sh->multi[b - 1].end - 1;
	return sh->before[b] - sh->before[a];
}
