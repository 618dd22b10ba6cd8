/* Collecting what `lock` will lock: see targets.h. */
#define _GNU_SOURCE
#include "targets.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t key_hash(const struct region *r)
{
	uint64_t h = (uint64_t)r->dev * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)r->ino + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= r->offset * 0xc2b2ae3d27d4eb4fULL + (h << 6) + (h >> 2);
	h ^= r->len + (h << 6) + (h >> 2);
	return (size_t)(h ^ (h >> 29));
}

static bool same(const struct region *a, const struct region *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->offset == b->offset &&
	       a->len == b->len;
}

/* The slot of R's key: where it is, or the empty one where it would go. */
static uint32_t *slot_of(const struct targets *t, const struct region *r)
{
	size_t i = key_hash(r) & (t->nslots - 1);

	while (t->slots[i] && !same(&t->v[t->slots[i] - 1], r))
		i = (i + 1) & (t->nslots - 1);
	return &t->slots[i];
}

/* Keeps the table at most half full. */
static int grow_slots(struct targets *t)
{
	size_t old = t->nslots;
	uint32_t *olds = t->slots;

	if (t->n + 1 <= t->nslots / 2)
		return 0;
	if (t->n + 1 >= UINT32_MAX / 2)
		return -ENOMEM;
	t->nslots = old ? old * 2 : 64;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = olds;
		t->nslots = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++)
		if (!t->v[i].anon)
			*slot_of(t, &t->v[i]) = (uint32_t)(i + 1);
	free(olds);
	return 0;
}

/*
 * The names, packed in chunks: a name costs its bytes and its NUL, not a
 * malloc() each; they live as long as the targets.
 */
struct name_chunk {
	struct name_chunk *next;
	size_t used, size;
	char text[];
};

#define CHUNK (64u << 10)

static const char *name_copy(struct targets *t, const char *name)
{
	size_t len = strlen(name) + 1;
	struct name_chunk *c = t->names;

	if (!c || c->size - c->used < len) {
		size_t size = len > CHUNK ? len : CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = t->names;
		c->used = 0;
		c->size = size;
		t->names = c;
	}
	memcpy(c->text + c->used, name, len);
	c->used += len;
	return c->text + c->used - len;
}

/* Keeps R, with a copy of its name, unless its bytes are already there. */
static int keep(struct targets *t, struct region *r)
{
	uint32_t *slot = NULL;

	if (!r->anon) {
		if (grow_slots(t) != 0)
			return -ENOMEM;
		slot = slot_of(t, r);
		if (*slot)
			return 0;
		if (!(r->name = name_copy(t, r->name)))
			return -ENOMEM;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct region *nv = realloc(t->v, cap * sizeof(*t->v));

		if (!nv)
			return -ENOMEM;
		t->v = nv;
		t->cap = cap;
	}
	if (slot)
		*slot = (uint32_t)(t->n + 1);
	t->v[t->n++] = *r;
	return 0;
}

static int add_file(struct targets *t, const char *path, const struct stat *st,
		    uint64_t offset, uint64_t len)
{
	struct region r;
	int rc = locker_file(path, st, offset, len, &r);

	/* What may not be read is refused now, before anything is locked:
	 * asked of the kernel with the effective ids and capabilities, as
	 * open() will be, without a descriptor made and closed for it. */
	if (rc == 0 && !t->read_any && faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) != 0)
		rc = -errno;
	if (rc) {
		t->problem(t->ctx, path, rc, (uint64_t)st->st_size);
		return 0;
	}
	return keep(t, &r);
}

/* One entry of a directory, as lstat() saw it (ERR: why it could not). */
struct dent {
	char *name;
	struct stat st;
	int err;
};

/* A directory being walked, and the one above it: a directory met again
 * among its own ancestors (a bind mount of one of them) is not entered. */
struct ancestor {
	dev_t dev;
	ino_t ino;
	const struct ancestor *up;
};

static int by_dent_name(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static void dents_free(struct dent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/*
 * The entries of the directory open as FD, each looked up relative to it
 * (one path component, not the whole path again), sorted by name.  The
 * descriptor is closed before anything below is entered: a tree of any
 * depth needs one at a time.
 */
static int read_dir(int fd, struct dent **out, size_t *n)
{
	DIR *d = fdopendir(fd);
	struct dent *v = NULL;

	*out = NULL;
	struct dirent *e;
	size_t cap = 0;
	int rc = 0;

	*n = 0;
	if (!d) {
		close(fd);
		return -errno;
	}
	while (rc == 0 && (errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == cap) {
			struct dent *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[*n].err = 0;
		if (!(v[*n].name = strdup(e->d_name))) {
			rc = -ENOMEM;
			break;
		}
		if (fstatat(dirfd(d), e->d_name, &v[*n].st, AT_SYMLINK_NOFOLLOW) != 0)
			v[*n].err = -errno;
		(*n)++;
	}
	if (rc == 0 && errno)
		rc = -errno;
	closedir(d);
	if (rc == 0 && *n > 1)
		qsort(v, *n, sizeof(*v), by_dent_name);
	*out = v;
	return rc;
}

/* DIR/NAME, malloc'd. */
static char *join(const char *dir, const char *name)
{
	size_t len = strlen(dir);
	char *p;

	if (asprintf(&p, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", name) < 0)
		return NULL;
	return p;
}

/* Every non-empty regular file below DIR (open as FD), in name order,
 * symbolic links not followed. */
static int walk(struct targets *t, const char *dir, int fd, const struct ancestor *up,
		size_t *found)
{
	struct ancestor self = { .up = up };
	struct stat st;
	struct dent *v = NULL;
	size_t n = 0;
	int rc;

	if (fstat(fd, &st) == 0) {
		self.dev = st.st_dev;
		self.ino = st.st_ino;
	}
	if ((rc = read_dir(fd, &v, &n)) != 0) {
		dents_free(v, n);
		if (rc == -ENOMEM)
			return rc;
		t->problem(t->ctx, dir, rc, 0);
		return 0;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct stat *e = &v[i].st;
		char *path;
		int sub;

		if (!v[i].err && !S_ISDIR(e->st_mode) && !(S_ISREG(e->st_mode) && e->st_size > 0))
			continue;	/* links, devices, FIFOs, sockets, empty files */
		if (!(path = join(dir, v[i].name))) {
			rc = -ENOMEM;
			break;
		}
		if (v[i].err) {
			t->problem(t->ctx, path, v[i].err, 0);
		} else if (S_ISREG(e->st_mode)) {
			rc = add_file(t, path, e, 0, 0);
			(*found)++;
		} else {
			bool loop = false;

			for (const struct ancestor *a = &self; a && !loop; a = a->up)
				loop = a->dev == e->st_dev && a->ino == e->st_ino;
			sub = loop ? -1 : open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = walk(t, path, sub, &self, found);
			else if (!loop)
				t->problem(t->ctx, path, -errno, 0);
		}
		free(path);
	}
	dents_free(v, n);
	return rc;
}

int targets_add_path(struct targets *t, const char *path, uint64_t offset,
		     uint64_t len, bool recursive, bool *walked, size_t *found)
{
	struct stat st;

	*found = 0;
	*walked = false;
	if (stat(path, &st) != 0) {
		t->problem(t->ctx, path, -errno, 0);
		return 0;
	}
	if (S_ISDIR(st.st_mode) && recursive) {
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		*walked = true;
		if (fd < 0) {
			t->problem(t->ctx, path, -errno, 0);
			return 0;
		}
		return walk(t, path, fd, NULL, found);
	}
	return add_file(t, path, &st, offset, len);
}

int targets_add_anon(struct targets *t, uint64_t size)
{
	struct region r;
	int rc = locker_anon(size, &r);

	return rc ? rc : keep(t, &r);
}

void targets_settle(struct targets *t)
{
	struct region *v = t->n ? realloc(t->v, t->n * sizeof(*t->v)) : NULL;

	if (v) {
		t->v = v;
		t->cap = t->n;
	}
	free(t->slots);
	t->slots = NULL;
	t->nslots = 0;
}

void targets_abandon(struct targets *t)
{
	while (t->names) {
		struct name_chunk *next = t->names->next;

		free(t->names);
		t->names = next;
	}
	free(t->v);
	free(t->slots);
	t->v = NULL;
	t->slots = NULL;
	t->n = t->cap = t->nslots = 0;
}

void targets_free(struct targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		locker_release(&t->v[i]);
	targets_abandon(t);
}

/* The next anonymous region of FRESH from *AT on, of LEN, not locked yet. */
static struct region *next_anon(struct targets *fresh, size_t *at, uint64_t len)
{
	for (; *at < fresh->n; (*at)++) {
		struct region *f = &fresh->v[*at];

		if (f->anon && !f->locked && f->pages_len == len) {
			(*at)++;
			return f;
		}
	}
	return NULL;
}

size_t targets_adopt(struct targets *fresh, struct targets *old)
{
	size_t moved = 0, anon_at = 0;
	uint32_t *slot;

	for (size_t i = 0; i < old->n; i++) {
		struct region *o = &old->v[i], *f = NULL;

		if (!o->locked)
			continue;
		if (o->anon)
			f = next_anon(fresh, &anon_at, o->pages_len);
		else if (fresh->nslots && *(slot = slot_of(fresh, o)))
			f = &fresh->v[*slot - 1];
		if (!f || f->locked)
			continue;
		f->map = o->map;
		f->locked = f->carried = true;
		o->map = NULL;
		o->locked = false;
		moved++;
	}
	return moved;
}

static int by_name_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct region *const *)a)->name,
		      (*(const struct region *const *)b)->name);
}

/* The regions OLD still holds (not anonymous), sorted by path; NULL
 * when there are none (or no memory: nothing is then matched). */
static const struct region **held_by_name(const struct targets *old, size_t *n)
{
	const struct region **v;

	*n = 0;
	for (size_t i = 0; i < old->n; i++)
		*n += old->v[i].locked && !old->v[i].anon;
	if (*n == 0 || !(v = malloc(*n * sizeof(*v))))
		return NULL;
	*n = 0;
	for (size_t i = 0; i < old->n; i++)
		if (old->v[i].locked && !old->v[i].anon)
			v[(*n)++] = &old->v[i];
	qsort(v, *n, sizeof(*v), by_name_ptr);
	return v;
}

/* The region of V (N, sorted) named as R, or NULL. */
static const struct region *find_name(const struct region **v, size_t n,
				      const struct region *r)
{
	const struct region **hit = v ? bsearch(&r, v, n, sizeof(*v), by_name_ptr) : NULL;

	return hit ? *hit : NULL;
}

size_t targets_keep_old(struct targets *fresh, struct targets *old)
{
	size_t n, kept = 0;
	const struct region **v = held_by_name(old, &n);

	for (size_t i = 0; v && i < fresh->n; i++) {
		struct region *f = &fresh->v[i], *o;

		if (f->locked || f->anon || !(o = (struct region *)find_name(v, n, f)) ||
		    !o->locked)
			continue;
		f->map = o->map;
		f->dev = o->dev;
		f->ino = o->ino;
		f->offset = o->offset;
		f->len = o->len;
		f->pages_len = o->pages_len;
		f->locked = f->carried = f->kept_old = true;
		o->map = NULL;
		o->locked = false;
		kept++;
	}
	free(v);
	return kept;
}

size_t targets_count_replaced(const struct targets *fresh, const struct targets *old)
{
	size_t n, count = 0;
	const struct region **v = held_by_name(old, &n);

	for (size_t i = 0; v && i < fresh->n; i++) {
		const struct region *f = &fresh->v[i];

		if (f->locked && !f->carried && !f->anon && find_name(v, n, f))
			count++;
	}
	free(v);
	return count;
}

bool targets_pending(const struct targets *t, size_t *n, uint64_t *bytes)
{
	bool ok = true;

	*n = 0;
	*bytes = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!t->v[i].locked) {
			(*n)++;
			ok = ok && size_add(*bytes, t->v[i].pages_len, bytes) == 0;
		}
	return ok;
}

bool targets_holds_any(const struct targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].locked)
			return true;
	return false;
}

void targets_skip_beyond(struct targets *t, uint64_t fit)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].locked)
			continue;
		if (fit)
			fit--;
		else
			t->v[i].skipped = true;
	}
}

enum memguard_verdict targets_fit_memory(struct targets *t, const struct memguard *g,
					 bool some, uint64_t *refused, size_t *nrefused)
{
	enum memguard_verdict v = GUARD_FITS, last = GUARD_FITS;
	uint64_t need, took = 0;
	size_t n;
	bool fits64 = targets_pending(t, &n, &need);

	*refused = need;
	*nrefused = n;
	if (fits64 && (v = memguard_check(g, need)) == GUARD_FITS)
		return GUARD_FITS;
	if (!some)
		return fits64 ? v : GUARD_OVER_AVAILABLE;
	*refused = 0;
	*nrefused = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct region *r = &t->v[i];
		uint64_t with;

		if (r->locked || r->skipped)
			continue;
		if (size_add(took, r->pages_len, &with) == 0 &&
		    (v = memguard_check(g, with)) == GUARD_FITS) {
			took = with;
			continue;
		}
		last = v;
		r->skipped = true;
		(*nrefused)++;
		if (size_add(*refused, r->pages_len, refused) != 0)
			*refused = UINT64_MAX;
	}
	return last;
}

void targets_change(const struct targets *fresh, const struct targets *old,
		    struct targets_change *c)
{
	*c = (struct targets_change){ .replaced = targets_count_replaced(fresh, old) };
	for (size_t i = 0; i < fresh->n; i++) {
		const struct region *r = &fresh->v[i];

		c->locked += r->locked && !r->carried;
		c->failed += (!r->locked && (r->err || r->skipped)) || r->kept_old;
		c->kept_old += r->kept_old;
	}
	for (size_t i = 0; i < old->n; i++)
		c->released += old->v[i].locked;
}
