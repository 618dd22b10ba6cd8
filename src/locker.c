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
#include "size.h"

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

/* The range's whole pages, checked: a wrap is -ERANGE. */
static int cover(struct region *r)
{
	uint64_t ps = page_size(), start = r->offset & ~(ps - 1), end;

	if (size_add(r->offset, r->len, &end) != 0 || size_align_up(end, ps, &end) != 0)
		return -ERANGE;
	r->pages_len = end - start;
	return 0;
}

_Static_assert(sizeof(struct region) <= 64, "a region is 64 bytes at most");

const char *locker_step_name(enum lock_step step)
{
	static const char *const names[] = {
		[STEP_NONE] = "none", [STEP_CHECK] = "check", [STEP_OPEN] = "open",
		[STEP_STAT] = "stat", [STEP_MMAP] = "mmap", [STEP_MLOCK] = "mlock",
		[STEP_MLOCK2] = "mlock2",
	};

	return step < sizeof(names) / sizeof(names[0]) ? names[step] : "?";
}

/* What ST says of the file; the range checked against its size. */
static int file_check(struct region *r, const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size;

	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	if (size == 0)
		return -ENODATA;
	if (r->whole)
		r->len = size - r->offset;
	if (r->offset >= size || r->len > size - r->offset)
		return -ERANGE;
	return cover(r);
}

static int fail(struct region *r, enum lock_step step, int err)
{
	r->step = (uint8_t)step;
	r->err = (int16_t)err;
	return err;
}

int locker_file(const char *path, const struct stat *st, uint64_t offset,
		uint64_t len, struct region *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->name = path;
	r->whole = len == 0;
	r->offset = offset;
	r->len = len;
	rc = file_check(r, st);
	return rc ? fail(r, STEP_CHECK, rc) : 0;
}

int locker_anon(uint64_t size, struct region *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->anon = true;
	r->len = size;
	r->name = "anonymous";
	rc = cover(r);
	return rc ? fail(r, STEP_CHECK, rc) : 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Anonymous memory aligned to 2 MiB, so that it can be backed by huge pages. */
static void *map_anon(size_t len)
{
	uint64_t total = len;
	char *p, *a;

	if (len >= HUGE_2M && size_add(len, HUGE_2M, &total) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	p = mmap(NULL, (size_t)total, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (total == len)
		return p;
	a = (char *)(((uintptr_t)p + HUGE_2M - 1) & ~((uintptr_t)HUGE_2M - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + total)
		munmap(a + len, (size_t)(p + total - (a + len)));
	madvise(a, len, MADV_HUGEPAGE);
	return a;
}

/* A range this small is read whole by the readahead of its first fault. */
#define SMALL (128u << 10)
/* The sample: this many windows of this many pages, spread over the range. */
#define WINDOWS 4u
#define WINDOW 16u

/*
 * Whether the range is already in the page cache: one decision a file,
 * from a sample of WINDOWS windows (its start, its end, and between), one
 * mincore() call each, whatever its size.  Asking about every page costs
 * a page-cache lookup a page, as much as locking a cached file.
 */
static bool mostly_cached(void *map, size_t len)
{
	size_t ps = (size_t)page_size(), pages = len / ps, hits = 0, seen = 0;
	unsigned char v[WINDOW];

	for (unsigned w = 0; w < WINDOWS; w++) {
		size_t want = pages < WINDOW ? pages : WINDOW;
		size_t first = (pages - want) / (WINDOWS - 1) * w;

		if (mincore((char *)map + first * ps, want * ps, v) != 0)
			continue;
		for (size_t i = 0; i < want; i++)
			hits += v[i] & 1;
		seen += want;
	}
	return seen == 0 || hits * 10 >= seen * 9;
}

/*
 * Opens the file again (it may have changed since it was listed: the
 * checks are redone on what is open), maps its whole pages, asks for a
 * read of a cold range, and closes it: the mapping holds the file.
 */
static int map_file(struct region *r, unsigned flags)
{
	struct stat st;
	uint64_t start = r->offset & ~(page_size() - 1);
	int fd = open(r->name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc;

	if (fd < 0)
		return fail(r, STEP_OPEN, -errno);
	if (fstat(fd, &st) != 0)
		rc = fail(r, STEP_STAT, -errno);
	else if ((rc = file_check(r, &st)) != 0)
		fail(r, STEP_CHECK, rc);
	else if ((r->map = mmap(NULL, (size_t)r->pages_len, PROT_READ, MAP_SHARED, fd,
				(off_t)start)) == MAP_FAILED) {
		r->map = NULL;
		rc = fail(r, STEP_MMAP, -errno);
	} else if (!(flags & LOCK_ONFAULT) && r->pages_len > SMALL &&
		   !mostly_cached(r->map, (size_t)r->pages_len)) {
		/* Cold: start reading the whole range now, asynchronously, so
		 * that the disk works while mlock() faults the pages in. */
		posix_fadvise(fd, (off_t)start, (off_t)r->pages_len, POSIX_FADV_WILLNEED);
	}
	close(fd);
	return rc;
}

int locker_lock(struct region *r, unsigned flags)
{
	double t0 = now_ms();
	int rc;

	if (r->anon) {
		r->map = map_anon((size_t)r->pages_len);
		if (!r->map)
			return fail(r, STEP_MMAP, -errno);
	} else if ((rc = map_file(r, flags)) != 0) {
		return rc;
	}
	/* Whole pages, as the kernel locks them: the report and the mapping
	 * agree with VmLck. */
	rc = flags & LOCK_ONFAULT ? sys_mlock2(r->map, (size_t)r->pages_len, MLOCK_ONFAULT)
				  : sys_mlock(r->map, (size_t)r->pages_len);
	r->ms = (float)(now_ms() - t0);
	if (rc != 0) {
		rc = fail(r, flags & LOCK_ONFAULT ? STEP_MLOCK2 : STEP_MLOCK, -errno);
		/* Not held, so not kept mapped: a deleted file's blocks go. */
		munmap(r->map, (size_t)r->pages_len);
		r->map = NULL;
		return rc;
	}
	r->locked = true;
	return 0;
}

int locker_relock(struct region *r, unsigned flags)
{
	int rc;

	if (!r->locked || !r->map)
		return 0;
	rc = flags & LOCK_ONFAULT ? sys_mlock2(r->map, (size_t)r->pages_len, MLOCK_ONFAULT)
				  : sys_mlock(r->map, (size_t)r->pages_len);
	return rc ? -errno : 0;
}

void locker_unlock(struct region *r)
{
	if (r->locked && r->map) {
		sys_munlock(r->map, (size_t)r->pages_len);
		r->locked = false;
		r->released = true;
	}
}

void locker_release(struct region *r)
{
	/* munmap() unlocks as it unmaps: a munlock() first walks it twice. */
	if (r->map)
		munmap(r->map, (size_t)r->pages_len);
	r->map = NULL;
	r->locked = false;
}
