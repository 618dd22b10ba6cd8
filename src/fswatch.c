/*
 * Watching held files' directories: see fswatch.h.  The directory is
 * watched, not the file: a rename over the file changes what its name
 * means, and only the directory sees that (inotify(7)).  An event is
 * matched by base name only; a name held in another directory may wake a
 * reload that then finds nothing changed, which costs one walk and is
 * never wrong.
 */
#define _GNU_SOURCE
#include "fswatch.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define EVENTS (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
		IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

static size_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return (size_t)h;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Whether slot S holds the base name NAME (LEN bytes). */
static bool holds(const struct fswatch *w, uint32_t s, const char *name, size_t len)
{
	const char *base = base_of(w->t->v[s - 1].name);

	return strlen(base) == len && !memcmp(base, name, len);
}

/* The slot of the base name NAME (LEN bytes): where it is, or the empty one. */
static uint32_t *slot_of(const struct fswatch *w, const char *name, size_t len)
{
	size_t i = hash(name, len) & (w->nslots - 1);

	while (w->slots[i] && !holds(w, w->slots[i], name, len))
		i = (i + 1) & (w->nslots - 1);
	return &w->slots[i];
}

/* The directory part of PATH ("." for none), watched, unless it is
 * PREV's (the files of a tree come directory by directory).  The kernel
 * gives a directory named twice its first watch descriptor again: those
 * rise, so a new one is a directory not watched before.  A directory no
 * longer held stays watched (its events find no held name): what was
 * watched before a reload goes on queueing events while it runs. */
static void watch_dir(struct fswatch *w, const char *path, const char *prev)
{
	const char *base = base_of(path);
	size_t len = (size_t)(base - path);
	char dir[PATH_MAX];
	int wd;

	if (prev && (size_t)(base_of(prev) - prev) == len && !memcmp(prev, path, len))
		return;
	if (len == 0)
		strcpy(dir, ".");
	else if (len >= sizeof(dir))
		return;
	else {
		memcpy(dir, path, len);
		dir[len > 1 ? len - 1 : len] = '\0';	/* "/" stays */
	}
	if ((wd = inotify_add_watch(w->fd, dir, EVENTS)) >= 0) {
		if (wd > w->top) {
			w->top = wd;
			w->dirs++;
		}
	} else {
		if (!w->failed)
			w->err = -errno;
		w->failed++;
	}
}

int fswatch_update(struct fswatch *w, const struct targets *t)
{
	const char *prev = NULL;
	size_t n = 0;

	free(w->slots);
	w->slots = NULL;
	w->t = t;
	w->failed = 0;
	w->err = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].locked && !t->v[i].anon;
	if (n == 0)
		return 0;
	for (w->nslots = 16; w->nslots < n + n / 2; w->nslots *= 2)
		;
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	if (!w->slots)
		return -ENOMEM;
	if (w->fd < 0 && (w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -errno;
	for (size_t i = 0; i < t->n; i++) {
		const char *base;
		uint32_t *slot;

		if (!t->v[i].locked || t->v[i].anon)
			continue;
		base = base_of(t->v[i].name);
		slot = slot_of(w, base, strlen(base));
		if (!*slot)
			*slot = (uint32_t)(i + 1);
		watch_dir(w, t->v[i].name, prev);
		prev = t->v[i].name;
	}
	return 0;
}

int fswatch_read(struct fswatch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;

	if (w->fd < 0 || !w->slots)
		return 0;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0)
			return errno == EAGAIN ? changed : errno == EINTR ? changed : -errno;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			size_t len = ev->len ? strnlen(ev->name, ev->len) : 0;

			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW))
				changed = 1;
			else if (len && *slot_of(w, ev->name, len))
				changed = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
}

void fswatch_close(struct fswatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->slots);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}
