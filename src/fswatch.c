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
#include <sys/stat.h>
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

static bool same_name(const char *base, const char *name, size_t len)
{
	return strlen(base) == len && !memcmp(base, name, len);
}

/* The slot of the base name NAME (LEN bytes) among the held files' names
 * (LINKS false) or their links' targets' (true): where it is, or the empty
 * one where it would go. */
static uint32_t *slot_of(const struct fswatch *w, bool links, const char *name, size_t len)
{
	uint32_t *slots = links ? w->link_slots : w->slots;
	size_t mask = (links ? w->nlink_slots : w->nslots) - 1, i = hash(name, len) & mask;

	while (slots[i] && !same_name(links ? base_of(w->links[slots[i] - 1]) :
				      base_of(w->t->v[slots[i] - 1].name), name, len))
		i = (i + 1) & mask;
	return &slots[i];
}

/* The directory part of PATH ("." for none), watched, unless it is
 * PREV's (the files of a tree come directory by directory; the kernel
 * gives a directory named again its watch again).  A directory no longer
 * held stays watched (its events find no held name): what was watched
 * before a reload goes on queueing events while it runs. */
static void watch_dir(struct fswatch *w, const char *path, const char *prev)
{
	const char *base = base_of(path);
	size_t len = (size_t)(base - path);
	char dir[PATH_MAX];

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
	if (inotify_add_watch(w->fd, dir, EVENTS) < 0) {
		if (!w->failed) {
			w->err = -errno;
			size_t n = strlen(dir) < sizeof(w->first_failed) ?
				   strlen(dir) : sizeof(w->first_failed) - 1;

			memcpy(w->first_failed, dir, n);	/* cut short */
			w->first_failed[n] = '\0';
		}
		w->failed++;
	}
}

/* Forgets the names of the last update. */
static void forget(struct fswatch *w)
{
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i]);
	free(w->links);
	free(w->link_slots);
	free(w->slots);
	w->links = NULL;
	w->link_slots = w->slots = NULL;
	w->nlinks = w->nlink_slots = w->nslots = 0;
}

/* If PATH is a symbolic link: the file it leads to is watched too, by its
 * base name in its own directory. */
static int follow_link(struct fswatch *w, const char *path, size_t *cap)
{
	struct stat st;
	char *real;

	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode) || !(real = realpath(path, NULL)))
		return 0;
	watch_dir(w, real, NULL);
	if (w->nlinks == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		char **v = realloc(w->links, ncap * sizeof(*v));

		if (!v) {
			free(real);
			return -ENOMEM;
		}
		w->links = v;
		*cap = ncap;
	}
	w->links[w->nlinks++] = real;
	return 0;
}

/* The hash of the links' targets' base names. */
static int hash_links(struct fswatch *w)
{
	if (w->nlinks == 0)
		return 0;
	for (w->nlink_slots = 16; w->nlink_slots < 2 * w->nlinks; w->nlink_slots *= 2)
		;
	w->link_slots = calloc(w->nlink_slots, sizeof(*w->link_slots));
	if (!w->link_slots)
		return -ENOMEM;
	for (size_t i = 0; i < w->nlinks; i++) {
		const char *base = base_of(w->links[i]);
		uint32_t *slot = slot_of(w, true, base, strlen(base));

		if (!*slot)
			*slot = (uint32_t)(i + 1);
	}
	return 0;
}

int fswatch_update(struct fswatch *w, const struct targets *t)
{
	const char *prev = NULL;
	size_t n = 0, cap = 0;

	forget(w);
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
		slot = slot_of(w, false, base, strlen(base));
		if (!*slot)
			*slot = (uint32_t)(i + 1);
		watch_dir(w, t->v[i].name, prev);
		prev = t->v[i].name;
		if (follow_link(w, t->v[i].name, &cap) != 0)
			return -ENOMEM;
	}
	return hash_links(w);
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
			else if (len && (*slot_of(w, false, ev->name, len) ||
					 (w->nlinks && *slot_of(w, true, ev->name, len))))
				changed = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
}

void fswatch_close(struct fswatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	forget(w);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}
