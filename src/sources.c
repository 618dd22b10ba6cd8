/* See sources.h. */
#define _GNU_SOURCE
#include "sources.h"
#include "procfs.h"
#include "child.h"
#include "procscan.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void paths_free(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* Adds S (LEN bytes); with ONCE, not when it is there already (a few
 * libraries or mappings; a list's duplicates are left to the targets,
 * which find them in O(1)). */
static int paths_put(struct paths *p, const char *s, size_t len, bool once)
{
	char *c;

	for (size_t i = 0; once && i < p->n; i++)
		if (strlen(p->v[i]) == len && memcmp(p->v[i], s, len) == 0)
			return 0;
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		char **nv = realloc(p->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		p->v = nv;
		p->cap = ncap;
	}
	c = strndup(s, len);
	if (!c)
		return -ENOMEM;
	p->v[p->n++] = c;
	return 0;
}

static int paths_add(struct paths *p, const char *s, size_t len)
{
	return paths_put(p, s, len, true);
}

int sources_list(const char *list, bool nul, struct paths *out)
{
	FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	if (!f)
		return -errno;
	while ((len = getdelim(&line, &cap, nul ? '\0' : '\n', f)) > 0) {
		if (line[len - 1] == (nul ? '\0' : '\n'))
			len--;
		if (len > 0 && (rc = paths_put(out, line, (size_t)len, false)) != 0)
			break;
	}
	if (!rc && ferror(f))
		rc = -EIO;
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* PROG's PT_INTERP (its dynamic loader) into INTERP; -ENOEXEC for a file
 * that is no 64-bit ELF or has none (static). */
static int interp_of(const char *prog, char *interp, size_t len)
{
	Elf64_Ehdr eh;
	int fd = open(prog, O_RDONLY | O_CLOEXEC), rc = -ENOEXEC;

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		goto out;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			break;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz >= len ||
		    pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			break;
		interp[ph.p_filesz] = '\0';
		rc = strlen(interp) ? 0 : -ENOEXEC;
		break;
	}
out:
	close(fd);
	return rc;
}

/*
 * The loader's list: "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)",
 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)", "\tlinux-vdso.so.1 (0x...)" (no
 * file), "\tlibfoo.so => not found".
 */
static int parse_list(const char *text, struct paths *out, struct paths *missing)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *end = strchr(l, '\n'), *arrow, *p;
		size_t n = end ? (size_t)(end - l) : strlen(l);
		int rc = 0;

		while (n && (*l == '\t' || *l == ' ')) {
			l++;
			n--;
		}
		arrow = memmem(l, n, " => ", 4);
		if (arrow) {
			p = arrow + 4;
			if ((size_t)(p - l) + 9 <= n && strncmp(p, "not found", 9) == 0)
				rc = paths_add(missing, l, (size_t)(arrow - l));
			else if (*p == '/')
				rc = paths_add(out, p, strcspn(p, " \n"));
		} else if (*l == '/') {
			rc = paths_add(out, l, strcspn(l, " \n"));
		}
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Whether INTERP is the system's loader: a program names its own in
 * PT_INTERP, and memlock (often root) runs it, so only a loader of the
 * system is: ld-*.so* in /lib*, /usr/lib*, owned by root, writable by no
 * one else.
 */
static bool system_loader(const char *interp)
{
	char *real = realpath(interp, NULL);
	const char *base;
	struct stat st;
	bool ok;

	if (!real)
		return false;
	base = strrchr(real, '/') + 1;
	ok = (strncmp(real, "/lib", 4) == 0 || strncmp(real, "/usr/lib", 8) == 0) &&
	     strncmp(base, "ld-", 3) == 0 && strstr(base, ".so") &&
	     stat(real, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	     !(st.st_mode & (S_IWGRP | S_IWOTH));
	free(real);
	return ok;
}

/* In the child: the loader traces PROG's loads into FD, as ldd has it do
 * (it stops before the program's code); a library it cannot find is
 * "not found". */
struct trace {
	char *interp;
	const char *prog;
};

static int trace_child(void *arg, int fd)
{
	const struct trace *t = arg;
	char *const argv[] = { t->interp, (char *)t->prog, NULL };
	char *const envp[] = { (char *)"LD_TRACE_LOADED_OBJECTS=1", (char *)"LC_ALL=C", NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (dup2(fd, 1) < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 2) < 0)
		return 127;
	execve(t->interp, argv, envp);
	return 127;
}

int sources_libs(const char *prog, struct paths *out, struct paths *missing)
{
	char interp[256], *text = NULL;
	struct trace t = { .interp = interp, .prog = prog };
	size_t len = 0;
	int status, rc;

	rc = interp_of(prog, interp, sizeof(interp));
	if (rc == -ENOEXEC) {
		struct stat st;

		/* A static program, or a script: itself alone, if a file. */
		if (stat(prog, &st) != 0)
			return -errno;
		rc = paths_add(out, prog, strlen(prog));
		return rc ? rc : -ENOEXEC;
	}
	if (rc)
		return rc;
	if (!system_loader(interp))
		return -EPERM;
	rc = child_run(trace_child, &t, &text, &len, &status);
	/* No list: the loader could not make sense of it. */
	if (!rc && (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && len == 0)))
		rc = -ELIBBAD;
	if (!rc) {
		rc = paths_add(out, prog, strlen(prog));
		if (!rc)
			rc = parse_list(text, out, missing);
	}
	free(text);
	return rc;
}

int sources_pid(int procfd, int pid, struct paths *out, struct paths *gone)
{
	struct proc_map *maps;
	size_t n;
	int rc = procfs_read_smaps(procfd, pid, &maps, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		const char *p = maps[i].path;
		size_t len = strlen(p), dl = strlen(" (deleted)");

		if (p[0] != '/')
			continue;	/* anonymous, [heap], [stack], [vdso] */
		if (len > dl && strcmp(p + len - dl, " (deleted)") == 0)
			rc = paths_add(gone, p, len - dl);
		else if (strncmp(p, "/dev/", 5) != 0 && strncmp(p, "/SYSV", 5) != 0 &&
			 strncmp(p, "/memfd:", 7) != 0)
			rc = paths_add(out, p, len);
	}
	procfs_free_maps(maps, n);
	return rc;
}

void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].path);
		free(c->v[i].file);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int conf_add(struct conf *c, const struct conf_entry *e)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct conf_entry *nv = realloc(c->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n] = *e;
	c->v[c->n].path = strdup(e->path);
	c->v[c->n].file = strdup(e->file);
	if (!c->v[c->n].path || !c->v[c->n].file) {
		free(c->v[c->n].path);
		free(c->v[c->n].file);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

static int conf_file(const char *file, struct conf *c, int depth, char *err, size_t errlen);

/* One line of FILE (number LN), without its new line. */
static int conf_line(const char *file, int ln, char *l, struct conf *c, int depth,
		     char *err, size_t errlen)
{
	struct conf_entry e = { .file = (char *)file, .line = ln };
	char *end;

	while (*l == ' ' || *l == '\t')
		l++;
	end = l + strlen(l);
	while (end > l && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	if (!*l || *l == '#')
		return 0;
	if (strncmp(l, "%include", 8) == 0 && (l[8] == ' ' || l[8] == '\t')) {
		char *inc = l + 9, *dir, *full = NULL;
		int rc;

		while (*inc == ' ' || *inc == '\t')
			inc++;
		if (!*inc) {
			snprintf(err, errlen, "%s:%d: %%include names no file", file, ln);
			return -EINVAL;
		}
		dir = strdup(file);
		if (!dir)
			return -ENOMEM;
		if (*inc != '/' && asprintf(&full, "%s/%s", strrchr(dir, '/') ?
					    (*strrchr(dir, '/') = '\0', dir) : ".", inc) < 0)
			full = NULL;
		rc = conf_file(*inc == '/' ? inc : full ? full : inc, c, depth + 1, err, errlen);
		if (rc && rc != -EINVAL && rc != -ELOOP)
			snprintf(err, errlen, "%s:%d: cannot read '%s': %s", file, ln,
				 *inc == '/' ? inc : full ? full : inc, strerror(-rc));
		free(full);
		free(dir);
		return rc == -EINVAL || rc == -ELOOP ? rc : rc ? -EINVAL : 0;
	}
	if (*l == '%') {
		snprintf(err, errlen, "%s:%d: unknown directive '%s'", file, ln, l);
		return -EINVAL;
	}
	for (;; l++) {
		if (*l == '+' && !e.libs)
			e.libs = true;
		else if (*l == '?' && !e.optional)
			e.optional = true;
		else
			break;
	}
	if (strncmp(l, "pid:", 4) == 0) {
		l += 4;
		e.by_name = true;
		if (!*l || strchr(l, '/')) {
			snprintf(err, errlen, "%s:%d: pid: needs a command name (as ps shows it)",
				 file, ln);
			return -EINVAL;
		}
		if (e.libs) {
			snprintf(err, errlen, "%s:%d: '+' goes with a PATH, not with pid:", file, ln);
			return -EINVAL;
		}
	} else if (!*l) {
		snprintf(err, errlen, "%s:%d: '+' and '?' need a PATH after them", file, ln);
		return -EINVAL;
	} else if (*l != '/') {
		snprintf(err, errlen, "%s:%d: '%s' is not an absolute path", file, ln, l);
		return -EINVAL;
	}
	e.path = l;
	return conf_add(c, &e);
}

static int conf_file(const char *file, struct conf *c, int depth, char *err, size_t errlen)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	int ln = 0, rc = 0;

	if (depth > 16) {
		snprintf(err, errlen, "%s: %%include nested more than 16 deep (a loop?)", file);
		return -ELOOP;
	}
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		rc = conf_line(file, ++ln, line, c, depth, err, errlen);
		if (rc)
			break;
	}
	free(line);
	fclose(f);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sources_conf_files(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	*out = NULL;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char **nv;

		if (l < 6 || strcmp(e->d_name + l - 5, ".conf") != 0 || e->d_name[0] == '.')
			continue;
		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		if (asprintf(&v[*n], "%s/%s", dir, e->d_name) >= 0)
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	*out = v;
	return 0;
}

void sources_strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sources_config(const char *path, struct conf *c, char *err, size_t errlen)
{
	struct stat st;
	char **names;
	size_t n;
	int rc;

	err[0] = '\0';
	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return conf_file(path, c, 0, err, errlen);
	rc = sources_conf_files(path, &names, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = conf_file(names[i], c, 0, err, errlen);
		/* A file of the directory that cannot be read is named (a
		 * dangling link among the *.conf files, say). */
		if (rc && !err[0])
			snprintf(err, errlen, "cannot read the configuration '%s': %s", names[i],
				 strerror(-rc));
	}
	sources_strs_free(names, n);
	return rc;
}

/* Kernel threads have no files to lock (no VmSize). */
static unsigned want_named(const struct scan_entry *e, void *name)
{
	return !e->err && (e->st.have & PS_VMSIZE) && strcmp(e->st.name, name) == 0 ?
	       SCAN_KEEP : 0;
}

int sources_pids_named(int procfd, const char *name, int **out, size_t *nout)
{
	struct scan s;
	int rc = procscan(procfd, NULL, 0, want_named, (void *)name, &s);

	*nout = 0;
	if (rc)
		return rc;
	*out = calloc(s.n ? s.n : 1, sizeof(**out));
	if (!*out) {
		procscan_free(&s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s.n; i++)
		(*out)[(*nout)++] = s.e[i].pid;
	procscan_free(&s);
	return 0;
}
