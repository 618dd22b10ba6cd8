/*
 * The fast path is the kernel's: mmap the file and mlock it, which faults
 * every page in through the page cache without copying.  For anonymous
 * memory, transparent huge pages cut the faults 512-fold.  For a file that
 * is not cached, an asynchronous read of the whole range overlaps the disk
 * with mlock's faults (a blocking readahead() first measured slower).  The
 * mapped memory is never touched here, so a file truncated under us cannot
 * raise SIGBUS.
 */
#define _GNU_SOURCE
#include "locker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "syscalls.h"
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HUGE_2M (2u << 20)

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

int locker_open(const char *path, uint64_t offset, uint64_t len, struct region *r)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->name = strdup(path);
	if (!r->name)
		return -ENOMEM;
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (r->fd < 0)
		return r->err = -errno, r->step = "open", r->err;
	if (fstat(r->fd, &st) != 0)
		return r->err = -errno, r->step = "stat", r->err;
	r->step = "check";
	if (S_ISDIR(st.st_mode))
		return r->err = -EISDIR;
	if (!S_ISREG(st.st_mode))
		return r->err = -EINVAL;
	r->file_size = (uint64_t)st.st_size;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	if (r->file_size == 0)
		return r->err = -ENODATA;
	if (len == 0 && offset < r->file_size)
		len = r->file_size - offset;
	if (offset >= r->file_size || len > r->file_size - offset)
		return r->err = -ERANGE;
	r->offset = offset;
	r->len = len;
	r->step = NULL;
	return 0;
}

int locker_anon(uint64_t size, struct region *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->len = size;
	r->name = strdup("anonymous");
	return r->name ? 0 : -ENOMEM;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Anonymous memory aligned to 2 MiB, so that it can be backed by huge pages. */
static void *map_anon(size_t len, size_t *map_len)
{
	size_t total = len >= HUGE_2M ? len + HUGE_2M : len;
	char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), *a;

	if (p == MAP_FAILED)
		return NULL;
	if (total == len) {
		*map_len = len;
		return p;
	}
	a = (char *)(((uintptr_t)p + HUGE_2M - 1) & ~((uintptr_t)HUGE_2M - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + total)
		munmap(a + len, (size_t)(p + total - (a + len)));
	madvise(a, len, MADV_HUGEPAGE);
	*map_len = len;
	return a;
}

/* Whether most of the range is already in the page cache (sampled). */
static bool mostly_cached(void *map, size_t len)
{
	size_t ps = (size_t)page_size(), pages = len / ps, step, hits = 0, n = 0;
	unsigned char v;

	step = pages > 256 ? pages / 256 : 1;
	for (size_t i = 0; i < pages; i += step, n++)
		if (mincore((char *)map + i * ps, ps, &v) == 0 && (v & 1))
			hits++;
	return n == 0 || hits * 10 >= n * 9;
}

int locker_lock(struct region *r, unsigned flags)
{
	uint64_t ps = page_size(), start;
	double t0 = now_ms();
	int rc;

	if (r->fd < 0) {
		r->map = map_anon((size_t)r->len, &r->map_len);
		if (!r->map)
			return r->err = -errno, r->step = "mmap", r->err;
	} else {
		/* Whole pages, as the kernel locks them: the report and the
		 * mapping agree with VmLck. */
		start = r->offset & ~(ps - 1);
		r->map_len = (size_t)(((r->offset + r->len + ps - 1) & ~(ps - 1)) - start);
		r->map = mmap(NULL, r->map_len, PROT_READ, MAP_SHARED, r->fd, (off_t)start);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			return r->err = -errno, r->step = "mmap", r->err;
		}
		/* Cold: start reading the whole range now, asynchronously, so
		 * that the disk works while mlock() faults the pages in. */
		if (!(flags & LOCK_ONFAULT) && !mostly_cached(r->map, r->map_len))
			posix_fadvise(r->fd, (off_t)start, (off_t)r->map_len, POSIX_FADV_WILLNEED);
	}
	rc = flags & LOCK_ONFAULT ? sys_mlock2(r->map, r->map_len, MLOCK_ONFAULT)
				  : sys_mlock(r->map, r->map_len);
	r->ms = now_ms() - t0;
	if (rc != 0)
		return r->err = -errno, r->step = flags & LOCK_ONFAULT ? "mlock2" : "mlock", r->err;
	/* The mapping holds the file; the descriptor is no longer needed. */
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	r->locked = true;
	return 0;
}

void locker_close_failed(struct region *r)
{
	if (!r->locked && r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}

void locker_unlock(struct region *r)
{
	if (r->locked && r->map) {
		sys_munlock(r->map, r->map_len);
		r->locked = false;
		r->released = true;
	}
}

void locker_release(struct region *r)
{
	/* munmap() unlocks as it unmaps: a munlock() first walks it twice. */
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r->name);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}
