/*
 * Where `lock` finds the files to lock besides its arguments: a list
 * (--files-from, newline- or NUL-separated), the shared libraries a program
 * would load (--libs), and the files a running process maps (--pid).
 * Each gives paths; the caller adds them to its targets, which keep each
 * file once.  Never prints.
 */
#ifndef MEMLOCK_SOURCES_H
#define MEMLOCK_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

struct paths {
	char **v;
	size_t n, cap;
};

void paths_free(struct paths *p);

/* The paths in LIST ("-": standard input), one a line or (NUL) one a
 * NUL-terminated record; empty ones skipped.  0, or -errno. */
int sources_list(const char *list, bool nul, struct paths *out);

/*
 * PROG and the shared libraries the dynamic loader would load for it,
 * resolved by that loader (its PT_INTERP) tracing what it loads, as ldd
 * does (it maps the libraries and runs none of their code).  Libraries it
 * cannot find go to MISSING.  0; -ENOEXEC for a file that is not a
 * dynamic ELF program (PROG alone is given); -ELIBBAD when the loader
 * gives no list; -EPERM when PT_INTERP names no loader of the system's
 * (ld-*.so in /lib or /usr/lib, root's), which is then not run; -errno.
 */
int sources_libs(const char *prog, struct paths *out, struct paths *missing);

/* The regular files PID maps now (executable, libraries, dlopen'ed
 * modules, data files), each once; ones deleted since are in GONE.
 * 0, -ESRCH, or -errno (another user's maps without privilege). */
int sources_pid(int procfd, int pid, struct paths *out, struct paths *gone);

/* One line of a configuration (-c): what to lock, and where it was said. */
struct conf_entry {
	char *path;		/* an absolute path, or the NAME of pid:NAME */
	bool libs;		/* +PATH: with its libraries */
	bool optional;		/* ?PATH: no error when it is missing */
	bool by_name;		/* pid:NAME: the files of the processes so named */
	char *file;		/* the configuration file */
	int line;
};

struct conf {
	struct conf_entry *v;
	size_t n, cap;
};

/*
 * Reads a memlockd-style configuration: FILE, or every *.conf of a
 * directory in name order.  Lines: "PATH" (a file, or a directory: its
 * files), "+PATH" (a program and its libraries), "?PATH" (optional; "?+"
 * and "+?" both), "pid:NAME" (the files of every running process named
 * NAME), "%include FILE" (relative to the including file's directory),
 * "#" comments, blank lines.  Returns 0, or -errno; a bad line is
 * -EINVAL with "FILE:LINE: why" in ERR.
 */
int sources_config(const char *path, struct conf *c, char *err, size_t errlen);
void conf_free(struct conf *c);

/* The *.conf files of DIR, sorted by name, as systemd, pam_limits and
 * memlockd read them (malloc'd; free with sources_strs_free()). */
int sources_conf_files(const char *dir, char ***out, size_t *n);
void sources_strs_free(char **v, size_t n);

/* The pids of the processes whose command name (comm) is NAME. */
int sources_pids_named(int procfd, const char *name, int **pids, size_t *n);

#endif
