/* Collecting what `lock` will lock: see collect.h. */
#define _GNU_SOURCE
#include "collect.h"
#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct collect {
	struct lock_spec *spec;
	struct targets *t;
	int procfd;
	collect_say_fn *say;
	void *ctx;
	size_t problems;
};

static void say(struct collect *c, enum collect_what what, const char *path,
		const char *other, int err, int pid, int line)
{
	struct collect_problem p = { .what = what, .path = path, .other = other,
				     .err = err, .pid = pid, .line = line };

	if (what != CP_NOT_DYNAMIC)
		c->problems++;
	c->say(c->ctx, &p);
}

/* What the targets cannot take: a path, with its size when it was read. */
static void path_problem(void *ctx, const char *path, int err, uint64_t size)
{
	struct collect *c = ctx;
	struct collect_problem p = { .what = CP_PATH, .path = path, .err = err,
				     .size = size };

	c->problems++;
	c->say(c->ctx, &p);
}

/* One path: a file, or (RECURSIVE) a tree. */
static int add_path(struct collect *c, const char *path, bool recursive)
{
	size_t problems = c->problems, found;
	bool dir;
	int rc = targets_add_path(c->t, path, c->spec->range_off, c->spec->range_len,
				  recursive, &dir, &found);

	/* Nothing to lock is bad input, as for an empty file (unless what
	 * is under it could not be read, which was said). */
	if (rc == 0 && dir && found == 0 && c->problems == problems)
		say(c, CP_EMPTY_DIR, path, NULL, 0, 0, 0);
	return rc;
}

static int add_one(struct collect *c, const char *path)
{
	return add_path(c, path, c->spec->recursive);
}

/* PROG and every library its loader would load. */
static int add_libs(struct collect *c, const char *prog)
{
	struct paths libs = { 0 }, missing = { 0 };
	int rc = sources_libs(prog, &libs, &missing);

	if (rc == -ELIBBAD || rc == -EPERM) {
		say(c, CP_LIBS_UNLISTED, prog, NULL, rc, 0, 0);
		rc = 0;
	} else if (rc && rc != -ENOEXEC && rc != -ENOMEM) {
		path_problem(c, prog, rc, 0);
		rc = 0;
	} else if (rc != -ENOMEM) {
		/* A static program or a script: itself, said once. */
		if (rc == -ENOEXEC)
			say(c, CP_NOT_DYNAMIC, prog, NULL, 0, 0, 0);
		rc = 0;
		for (size_t i = 0; rc == 0 && i < libs.n; i++)
			rc = add_one(c, libs.v[i]);
		for (size_t i = 0; rc == 0 && i < missing.n; i++)
			say(c, CP_LIB_MISSING, missing.v[i], prog, 0, 0, 0);
	}
	paths_free(&libs);
	paths_free(&missing);
	return rc;
}

/* Every file PID maps now. */
static int add_pid(struct collect *c, int pid)
{
	struct paths files = { 0 }, gone = { 0 };
	int rc = sources_pid(c->procfd, pid, &files, &gone);

	if (rc && rc != -ENOMEM) {
		say(c, CP_PID_UNREAD, NULL, NULL, rc, pid, 0);
		rc = 0;
	}
	for (size_t i = 0; rc == 0 && i < files.n; i++)
		rc = add_one(c, files.v[i]);
	/* A file replaced since it was mapped (a package upgrade): what the
	 * process maps is no longer at that path, and is not locked. */
	for (size_t i = 0; rc == 0 && i < gone.n; i++)
		say(c, CP_PID_REPLACED, gone.v[i], NULL, 0, pid, 0);
	paths_free(&files);
	paths_free(&gone);
	return rc;
}

/* One configuration line's target. */
static int add_conf_entry(struct collect *c, const struct conf_entry *e)
{
	struct stat st;
	int *pids, rc;
	size_t n;

	if (e->by_name) {
		rc = sources_pids_named(c->procfd, e->path, &pids, &n);
		if (rc)
			return rc;
		if (n == 0 && !e->optional)
			say(c, CP_NAME_NONE, e->path, e->file, 0, 0, e->line);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = add_pid(c, pids[i]);
		free(pids);
		return rc;
	}
	/* ?PATH: a file that is not there is no error. */
	if (e->optional && lstat(e->path, &st) != 0 && errno == ENOENT)
		return 0;
	return e->libs ? add_libs(c, e->path) : add_path(c, e->path, true);
}

/* Every configuration, read before anything is added. */
static int read_configs(const struct lock_spec *s, struct conf *cf, char *err, size_t errlen)
{
	for (int i = 0; i < s->nconfigs; i++) {
		int rc = sources_config(s->configs[i], cf, err, errlen);

		/* What it says is wrong ("FILE:LINE: why", or a file of a
		 * directory it cannot read): bad input, unless not allowed. */
		if (rc && err[0])
			return rc == -EACCES || rc == -EPERM ? rc : -EINVAL;
		if (rc)
			snprintf(err, errlen, "cannot read the configuration '%s': %s",
				 s->configs[i], strerror(-rc));
		if (rc)
			return rc;
	}
	if (s->nconfigs && cf->n == 0) {
		snprintf(err, errlen, "the configuration names nothing to lock");
		return -ENODATA;
	}
	return 0;
}

/* --files-from LIST */
static int add_list(struct collect *c, const char *list)
{
	struct lock_spec *s = c->spec;
	struct paths v = { 0 };
	bool is_stdin = strcmp(list, "-") == 0 && s->stdin_list;
	int rc;

	if (is_stdin && s->stdin_read) {
		for (size_t k = 0; k < s->stdin_list->n; k++)
			if ((rc = add_one(c, s->stdin_list->v[k])) != 0)
				return rc;
		return 0;
	}
	rc = sources_list(list, s->nul, &v);

	if (rc && rc != -ENOMEM) {
		say(c, CP_LIST_UNREAD, list, NULL, rc, 0, 0);
		rc = 0;
	} else if (rc == 0 && v.n == 0) {
		say(c, CP_LIST_EMPTY, list, NULL, 0, 0, 0);
	}
	for (size_t k = 0; rc == 0 && k < v.n; k++)
		rc = add_one(c, v.v[k]);
	if (is_stdin && rc == 0) {
		*s->stdin_list = v;
		s->stdin_read = true;
		return 0;
	}
	paths_free(&v);
	return rc;
}

int collect_targets(struct lock_spec *s, int procfd, struct targets *t,
		    collect_say_fn *sayfn, void *ctx, char *err, size_t errlen)
{
	struct collect c = { .spec = s, .t = t, .procfd = procfd, .say = sayfn, .ctx = ctx };
	struct conf cf = { 0 };
	int rc;

	err[0] = '\0';
	t->read_any = s->read_any;
	t->problem = path_problem;
	t->ctx = &c;
	if (s->anon)
		return targets_add_anon(t, s->anon_size);
	rc = read_configs(s, &cf, err, errlen);
	for (int i = 0; rc == 0 && i < s->nfiles; i++)
		rc = s->libs ? add_libs(&c, s->files[i]) : add_one(&c, s->files[i]);
	for (int i = 0; rc == 0 && i < s->npids; i++)
		rc = add_pid(&c, s->pids[i]);
	for (size_t i = 0; rc == 0 && i < cf.n; i++)
		rc = add_conf_entry(&c, &cf.v[i]);
	if (rc == 0 && s->files_from)
		rc = add_list(&c, s->files_from);
	conf_free(&cf);
	t->problem = NULL;
	t->ctx = NULL;
	return rc;
}
