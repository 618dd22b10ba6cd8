/* memlock lock: lock files or anonymous memory into RAM and hold them. */
#define _GNU_SOURCE
#include "commands.h"
#include "msg.h"
#include "diagnose.h"
#include "holder.h"
#include "locker.h"
#include "memguard.h"
#include "sources.h"
#include "targets.h"
#include "output.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <libsmartcols.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { COL_TARGET, COL_OFFSET, COL_BYTES, COL_PAGES, COL_TIME, COL_RESULT, NCOLS };

static const struct out_col lock_cols[NCOLS] = {
	[COL_TARGET] = { "TARGET", 0, 0, OUT_STR, "file, or anonymous memory" },
	[COL_OFFSET] = { "OFFSET", 0, SCOLS_FL_RIGHT, OUT_NUM, "first byte of the file locked" },
	[COL_BYTES] = { "BYTES", 0, SCOLS_FL_RIGHT, OUT_SIZE, "bytes locked (whole pages)" },
	[COL_PAGES] = { "PAGES", 0, SCOLS_FL_RIGHT, OUT_NUM, "pages locked" },
	[COL_TIME] = { "TIME", 0, SCOLS_FL_RIGHT, OUT_NUM, "milliseconds it took" },
	[COL_RESULT] = { "RESULT", 0, 0, OUT_STR, "locked, or the errno of the failure" },
};

#define DEFAULT_COLS "TARGET,BYTES,PAGES,TIME,RESULT"

struct lock_args {
	struct out_opts out;
	bool anon, onfault, recursive, keep_going, daemon, have_range;
	bool have_timeout, no_guard;
	uint64_t anon_size, range_off, range_len, timeout_ms;
	const char *pidfile;
	char **files;
	int nfiles;
	bool libs, nul;			/* --libs; -0 for --files-from */
	const char *files_from;		/* --files-from LIST, or NULL */
	int pids[64];			/* --pid, each */
	int npids;
	const char *configs[16];	/* -c, each */
	int nconfigs;
};

enum { OPT_ANON = 0x100, OPT_ONFAULT, OPT_RANGE, OPT_PIDFILE, OPT_NO_GUARD, OPT_LIBS,
       OPT_PID, OPT_FILES_FROM };

static const struct argp_option lock_options[] = {
	{ "anon", OPT_ANON, "SIZE", 0, "lock SIZE bytes of anonymous memory", 0 },
	{ "range", OPT_RANGE, "OFFSET:LENGTH", 0, "lock only these bytes of the one FILE", 0 },
	{ "recursive", 'r', NULL, 0, "lock the regular files in directories, recursively", 0 },
	{ "onfault", OPT_ONFAULT, NULL, 0, "mlock2(MLOCK_ONFAULT): lock pages as they are touched", 0 },
	{ "timeout", 't', "DURATION", 0, "hold for DURATION, then release (0: lock, report, release)", 0 },
	{ "daemon", 'd', NULL, 0, "hold in the background; return once every lock is in place", 0 },
	{ "pidfile", OPT_PIDFILE, "FILE", 0, "write the holder's pid to FILE, removed on exit", 0 },
	{ "keep-going", 'k', NULL, 0, "on a failure keep what locked, and exit 1 at the end", 0 },
	{ "no-guard", OPT_NO_GUARD, NULL, 0, "lock even what MemAvailable or the memory cgroup "
	  "cannot take, or when they cannot be read", 0 },
	{ "libs", OPT_LIBS, NULL, 0, "each FILE is a program: lock it and the shared libraries "
	  "the loader would load for it", 0 },
	{ "pid", OPT_PID, "PID", 0, "lock every file PID maps now (repeatable)", 0 },
	{ "files-from", OPT_FILES_FROM, "LIST", 0, "lock the files named in LIST, one a line "
	  "(-: standard input)", 0 },
	{ "null", '0', NULL, 0, "with --files-from: NUL-separated names (find -print0)", 0 },
	{ "config", 'c', "FILE", 0, "lock what a memlockd-style FILE names (a directory: its "
	  "*.conf files; repeatable)", 0 },
	{ 0 }
};

/* --range OFFSET:LENGTH */
static void range_arg(struct lock_args *a, char *arg)
{
	char *colon = strchr(arg, ':');

	if (!colon)
		usage_error("invalid range '%s': give OFFSET:LENGTH", arg);
	*colon = '\0';
	a->range_off = size_arg_or_exit(arg, 0, "range offset");
	a->range_len = size_arg_or_exit(colon + 1, 0, "range length");
	*colon = ':';
	if (a->range_len == 0)
		usage_error("invalid range '%s': the length is 0", arg);
	if (a->range_off > UINT64_MAX - a->range_len)
		usage_error("invalid range '%s': it ends past 2^64", arg);
	a->have_range = true;
}

static error_t lock_parse(int key, char *arg, struct argp_state *state)
{
	struct lock_args *a = state->input;
	int rc;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->out;
		break;
	case OPT_ANON:
		a->anon_size = size_arg_or_exit(arg, 0, "size");
		if (a->anon_size == 0)
			usage_error("invalid size '%s': nothing to lock", arg);
		if (a->anon_size >= SIZE_MAX_MAPPING)
			usage_error("invalid size '%s': no address space holds 2^63 bytes or "
				    "more, so nothing that large can be locked", arg);
		a->anon = true;
		break;
	case OPT_RANGE: range_arg(a, arg); break;
	case 'r': a->recursive = true; break;
	case OPT_ONFAULT: a->onfault = true; break;
	case 't':
		rc = duration_parse(arg, &a->timeout_ms);
		if (rc)
			usage_error("invalid duration '%s': %s (use N, Ns, Nms, Nm or Nh)", arg,
				    size_strerror(rc));
		a->have_timeout = true;
		break;
	case 'd': a->daemon = true; break;
	case OPT_PIDFILE:
		if (!*arg)
			usage_error("invalid pidfile '': an empty name");
		a->pidfile = arg;
		break;
	case 'k': a->keep_going = true; break;
	case OPT_NO_GUARD: a->no_guard = true; break;
	case OPT_LIBS: a->libs = true; break;
	case OPT_PID:
		if (a->npids == (int)(sizeof(a->pids) / sizeof(a->pids[0])))
			usage_error("too many --pid: %zu at most",
				    sizeof(a->pids) / sizeof(a->pids[0]));
		a->pids[a->npids++] = pid_arg_or_exit(arg);
		break;
	case OPT_FILES_FROM:
		if (!*arg)
			usage_error("invalid list '': an empty name");
		a->files_from = arg;
		break;
	case '0': a->nul = true; break;
	case 'c':
		if (!*arg)
			usage_error("invalid configuration '': an empty name");
		if (a->nconfigs == (int)(sizeof(a->configs) / sizeof(a->configs[0])))
			usage_error("too many -c: %zu at most",
				    sizeof(a->configs) / sizeof(a->configs[0]));
		a->configs[a->nconfigs++] = arg;
		break;
	case ARGP_KEY_ARGS:
		a->files = state->argv + state->next;
		a->nfiles = state->argc - state->next;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!a->anon && !a->nfiles && !a->npids && !a->files_from && !a->nconfigs)
			usage_error("lock needs a FILE, --pid, --files-from, -c or --anon SIZE; see "
				    "'memlock lock --help'");
		if (a->anon && (a->nfiles || a->npids || a->files_from || a->nconfigs))
			usage_error("--anon and files do not go together");
		if (a->libs && !a->nfiles)
			usage_error("--libs needs a program: FILE");
		if (a->nul && !a->files_from)
			usage_error("-0 (--null) goes with --files-from");
		if (a->have_range && (a->npids || a->files_from || a->libs || a->nconfigs))
			usage_error("--range takes exactly one FILE");
		if (a->have_range && (a->nfiles != 1 || a->recursive))
			usage_error("--range takes exactly one FILE");
		if (a->daemon && a->have_timeout && a->timeout_ms == 0)
			usage_error("--daemon with --timeout 0 would hold nothing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child lock_children[] = {
	{ &output_argp_no_r, 0, "Output:", 0 },
	{ 0 }
};

static const struct argp lock_argp = {
	lock_options, lock_parse, "FILE...\n--anon SIZE",
	"Lock files (or part of one, or the files under directories) or anonymous "
	"memory into RAM, report what was locked, and hold it until SIGINT, SIGTERM, "
	"SIGQUIT or SIGHUP, or the --timeout.  What MemAvailable or the memory cgroup "
	"cannot take, or what memlock cannot verify, is refused (--no-guard).\v",
	lock_children, NULL, NULL
};

/* One run of `lock`: what it collects, and the worst status so far. */
struct lock_run {
	const struct lock_args *a;
	struct targets t;
	int status;
	size_t problems;		/* paths that could not be locked */
	int procfd;
	struct diag_facts facts;	/* for explaining a failure, read once */
	int facts_rc;			/* 1 until read */
};

static void worse(struct lock_run *run, int status)
{
	if (status > run->status)
		run->status = status;
}

static const char *file_kind(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return "not a regular file";
	return S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device" :
	       S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" :
	       "not a regular file";
}

/* One line for a path that cannot be locked; returns its exit status:
 * 3 for what may not be read, 2 for anything else (bad input). */
static int path_failed(const char *path, int err, const struct lock_args *a,
		       uint64_t file_size)
{
	char s1[SIZE_BUFSZ], s2[SIZE_BUFSZ], s3[SIZE_BUFSZ];

	switch (-err) {
	case EISDIR:
		msg_warnx("'%s' is a directory: use -r (--recursive) to lock the files in it",
			  path);
		return EXIT_USAGE;
	case EINVAL:
		msg_warnx("'%s' is %s: only regular files can be locked", path, file_kind(path));
		return EXIT_USAGE;
	case ENODATA:
		msg_warnx("'%s' is empty: there is nothing to lock", path);
		return EXIT_USAGE;
	case ERANGE:
		msg_warnx("range %s:%s of '%s' goes past its end (%s): pages past the end of a "
			  "file cannot be locked (mlock fails with ENOMEM)",
			  size_format(a->range_off, true, s1), size_format(a->range_len, true, s2),
			  path, size_format(file_size, true, s3));
		return EXIT_USAGE;
	case EACCES:
	case EPERM:
		msg_warnx("cannot open '%s': %s", path, strerror(-err));
		return EXIT_UNKNOWN;
	default:
		msg_warnx("cannot open '%s': %s", path, strerror(-err));
		return EXIT_USAGE;
	}
}

static void problem(void *ctx, const char *path, int err, uint64_t file_size)
{
	struct lock_run *run = ctx;

	run->problems++;
	worse(run, path_failed(path, err, run->a, file_size));
}

/* Adds one path (a file, or a tree with -r or from a configuration). */
static void add_path(struct lock_run *run, const char *path, bool recursive)
{
	const struct lock_args *a = run->a;
	size_t problems = run->problems, found;
	bool dir;

	if (targets_add_path(&run->t, path, a->range_off, a->range_len, recursive, &dir,
			     &found) != 0)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	/* Nothing to lock is bad input, as for an empty file (unless what
	 * is under it could not be read, which was said). */
	if (dir && found == 0 && run->problems == problems) {
		msg_warnx("'%s' holds no non-empty regular file: there is nothing to lock", path);
		worse(run, EXIT_USAGE);
	}
}

static void add_one(struct lock_run *run, const char *path)
{
	add_path(run, path, run->a->recursive);
}

/* --libs: PROG and every library its loader would load. */
static void add_libs(struct lock_run *run, const char *prog)
{
	struct paths libs = { 0 }, missing = { 0 };
	int rc = sources_libs(prog, &libs, &missing);

	if (rc == -ENOMEM)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	if (rc == -ELIBBAD || rc == -EPERM) {
		msg_warnx("cannot list the libraries of '%s': %s", prog, rc == -EPERM ?
			  "the loader it names is not one of the system's, and is not run" :
			  "its loader gives no list");
		worse(run, rc == -EPERM ? EXIT_USAGE : EXIT_REFUSED);
		run->problems++;
	} else if (rc && rc != -ENOEXEC) {
		problem(run, prog, rc, 0);
	} else {
		/* A static program or a script: itself, said once. */
		if (rc == -ENOEXEC)
			msg_warnx("'%s' is no dynamically linked program: it alone is locked", prog);
		for (size_t i = 0; i < libs.n; i++)
			add_one(run, libs.v[i]);
		for (size_t i = 0; i < missing.n; i++) {
			msg_warnx("cannot find '%s', which '%s' needs: the loader does not find it "
				  "either", missing.v[i], prog);
			worse(run, EXIT_REFUSED);
			run->problems++;
		}
	}
	paths_free(&libs);
	paths_free(&missing);
}

/* --pid: every file PID maps now. */
static void add_pid(struct lock_run *run, int pid)
{
	struct paths files = { 0 }, gone = { 0 };
	int rc = sources_pid(run->procfd, pid, &files, &gone);

	if (rc == -ENOMEM)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	if (rc) {
		msg_warnx("cannot read the mappings of pid %d: %s", pid,
			  rc == -ESRCH ? "no such process" : strerror(-rc));
		worse(run, EXIT_UNKNOWN);
		run->problems++;
	}
	for (size_t i = 0; i < files.n; i++)
		add_one(run, files.v[i]);
	/* A file replaced since it was mapped (a package upgrade): what the
	 * process maps is no longer at that path, and is not locked. */
	for (size_t i = 0; i < gone.n; i++) {
		msg_warnx("pid %d maps '%s', deleted or replaced since: that copy is not locked",
			  pid, gone.v[i]);
		worse(run, EXIT_REFUSED);
		run->problems++;
	}
	paths_free(&files);
	paths_free(&gone);
}

/* One configuration line's target. */
static void add_conf_entry(struct lock_run *run, const struct conf_entry *e)
{
	struct stat st;

	if (e->by_name) {
		int *pids;
		size_t n;
		int rc = sources_pids_named(run->procfd, e->path, &pids, &n);

		if (rc == -ENOMEM)
			msg_errx(EXIT_UNKNOWN, "out of memory");
		if (rc == 0 && n == 0 && !e->optional) {
			msg_warnx("%s:%d: no running process is named '%s'", e->file, e->line,
				  e->path);
			worse(run, EXIT_REFUSED);
			run->problems++;
		}
		for (size_t i = 0; rc == 0 && i < n; i++)
			add_pid(run, pids[i]);
		if (rc == 0)
			free(pids);
		return;
	}
	/* ?PATH: a file that is not there is no error. */
	if (e->optional && lstat(e->path, &st) != 0 && errno == ENOENT)
		return;
	if (e->libs)
		add_libs(run, e->path);
	else
		add_path(run, e->path, true);
}

/* -c: every configuration read first; a bad line locks nothing. */
static void add_configs(struct lock_run *run)
{
	const struct lock_args *a = run->a;
	struct conf c = { 0 };
	char err[600];

	for (int i = 0; i < a->nconfigs; i++) {
		int rc = sources_config(a->configs[i], &c, err, sizeof(err));

		if (rc == -ENOMEM)
			msg_errx(EXIT_UNKNOWN, "out of memory");
		if (rc && err[0])
			msg_errx(EXIT_USAGE, "%s", err);
		if (rc)
			msg_errx(rc == -ENOENT || rc == -ENOTDIR ? EXIT_USAGE : EXIT_UNKNOWN,
				 "cannot read the configuration '%s': %s", a->configs[i],
				 strerror(-rc));
	}
	if (c.n == 0)
		msg_errx(EXIT_USAGE, "the configuration names nothing to lock");
	for (size_t i = 0; i < c.n; i++)
		add_conf_entry(run, &c.v[i]);
	conf_free(&c);
}

/* Collects every target; nothing is opened or mapped yet. */
static void collect(struct lock_run *run)
{
	const struct lock_args *a = run->a;

	run->t.problem = problem;
	run->t.ctx = run;
	if (a->anon) {
		if (targets_add_anon(&run->t, a->anon_size) != 0)
			msg_errx(EXIT_UNKNOWN, "out of memory");
		return;
	}
	for (int i = 0; i < a->nfiles; i++) {
		if (a->libs)
			add_libs(run, a->files[i]);
		else
			add_one(run, a->files[i]);
	}
	for (int i = 0; i < a->npids; i++)
		add_pid(run, a->pids[i]);
	if (a->nconfigs)
		add_configs(run);
	if (a->files_from) {
		struct paths list = { 0 };
		int rc = sources_list(a->files_from, a->nul, &list);

		if (rc == -ENOMEM)
			msg_errx(EXIT_UNKNOWN, "out of memory");
		if (rc) {
			msg_warnx("cannot read the list '%s': %s", a->files_from, strerror(-rc));
			worse(run, rc == -ENOENT ? EXIT_USAGE : EXIT_UNKNOWN);
			run->problems++;
		}
		for (size_t k = 0; k < list.n; k++)
			add_one(run, list.v[k]);
		if (!rc && list.n == 0) {
			msg_warnx("the list '%s' names no file: there is nothing to lock",
				  a->files_from);
			worse(run, EXIT_USAGE);
		}
		paths_free(&list);
	}
}

/* The memory guard, before anything is faulted in: refuses what
 * MemAvailable or the memory cgroup cannot take, and what it cannot see. */
static int guard(struct lock_run *run)
{
	const struct lock_args *a = run->a;
	struct memguard g;
	char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ], b3[SIZE_BUFSZ], b4[SIZE_BUFSZ];
	char b5[SIZE_BUFSZ], what[64];
	char file[400];
	uint64_t need = run->t.bytes;
	int err;

	if (a->no_guard || a->onfault)
		return EXIT_OK;
	if (a->anon)
		snprintf(what, sizeof(what), "of anonymous memory");
	else
		snprintf(what, sizeof(what), "in %zu file%s", run->t.n, run->t.n == 1 ? "" : "s");
	if (run->t.bytes_overflow) {
		msg_warnx("refusing to lock more than 16E %s: no machine has that much memory",
			  what);
		return EXIT_REFUSED;
	}
	memguard_read(run->procfd, 0, &g);
	switch (memguard_check(&g, need)) {
	case GUARD_FITS:
		return EXIT_OK;
	case GUARD_OVER_AVAILABLE:
		msg_warnx("refusing to lock %s %s: only %s is available (MemAvailable), and "
			  "faulting in more would set off the OOM killer; --no-guard locks "
			  "anyway", size_format(need, false, b1), what,
			  size_format(g.mi.available, false, b2));
		return EXIT_REFUSED;
	case GUARD_OVER_CGROUP:
		msg_warnx("refusing to lock %s %s: memory cgroup %s can take %s more (limit "
			  "%s, %s used of which %s is reclaimable cache), and its OOM killer "
			  "would end a process in it; --no-guard locks anyway",
			  size_format(need, false, b1), what, g.cg.path,
			  size_format(procfs_memcg_room(&g.cg), false, b2),
			  size_format(g.cg.limit, false, b3), size_format(g.cg.usage, false, b4),
			  size_format(g.cg.reclaimable, false, b5));
		return EXIT_REFUSED;
	case GUARD_UNKNOWN:
	default:
		memguard_unreadable(&g, file, sizeof(file), &err);
		msg_warnx("cannot verify that %s %s fits in memory: %s cannot be read (%s); "
			  "--no-guard locks anyway", size_format(need, false, b1), what, file,
			  err == -ENOTSUP ? "not a cgroup filesystem" : err == -ENODATA ?
			  "no MemAvailable in it" : strerror(-err));
		return EXIT_UNKNOWN;
	}
}

/* Room for memlock's own allocations, which may map memory too. */
#define OWN_MAPPINGS 32

/*
 * Each region is a mapping, and a process has at most vm.max_map_count of
 * them (mm/mmap.c, do_mmap(): a new one fails with ENOMEM once map_count
 * is over it).  More than fit: one line, and nothing is locked, or with
 * --keep-going the first ones that fit.
 */
static int check_map_count(struct lock_run *run)
{
	uint64_t have, max, fit;

	if (procfs_count_maps(run->procfd, getpid(), &have) != 0 ||
	    procfs_read_sysctl(run->procfd, "sys/vm/max_map_count", &max) != 0)
		return EXIT_OK;	/* the kernel will say, and the failure is explained */
	fit = max + 1 > have + OWN_MAPPINGS ? max + 1 - have - OWN_MAPPINGS : 0;
	if (run->t.n <= fit)
		return EXIT_OK;
	msg_warnx("%zu files need %zu mappings, but vm.max_map_count is %llu and memlock "
		  "has %llu already and keeps %d for itself: %llu fit%s; raise it: "
		  "'sysctl -w vm.max_map_count=%llu'", run->t.n, run->t.n,
		  (unsigned long long)max, (unsigned long long)have, OWN_MAPPINGS,
		  (unsigned long long)fit, run->a->keep_going ? " and are locked" : "",
		  (unsigned long long)(have + OWN_MAPPINGS + run->t.n));
	for (size_t i = fit; i < run->t.n; i++)
		run->t.v[i].skipped = true;
	return EXIT_REFUSED;
}

/* The errno, its cause and the remedy, from the engine behind `doctor`. */
static void explain(struct lock_run *run, const struct region *r)
{
	struct diag_report rep;
	char b[SIZE_BUFSZ];
	int n = 0;

	if (r->anon)
		msg_warnx("cannot lock %s of anonymous memory: %s: %s (%s)",
			  size_format(r->pages_len, false, b), r->step, strerror(-r->err),
			  diag_errno_name(r->err));
	else
		msg_warnx("cannot lock '%s' (%s): %s: %s (%s)", r->name,
			  size_format(r->pages_len, false, b), r->step, strerror(-r->err),
			  diag_errno_name(r->err));
	if (run->facts_rc == 1)
		run->facts_rc = diag_gather(run->procfd, 0, &run->facts);
	if (run->facts_rc != 0)
		return;
	diag_evaluate(&run->facts, run->a->onfault ? MODE_ONFAULT : MODE_MLOCK, true,
		      r->pages_len, run->a->out.bytes, &rep);
	for (int i = 0; i < rep.nchecks; i++)
		if (rep.checks[i].result == DIAG_FAIL)
			msg_warnx("why: %s", rep.checks[i].detail);
	if (rep.err == 0 && r->err == -ENOMEM)
		msg_warnx("why: the limit allows it, so the kernel could not map or populate "
			  "the range (a file truncated meanwhile, or no memory)");
	else if (rep.err == 0 && r->err == -EAGAIN)
		msg_warnx("why: some pages could not be locked: memory is short");
	for (int i = 0; i < rep.nremedies && n < 3; i++, n++)
		msg_warnx("fix: %s", rep.remedies[i]);
}

/* Locks every region; stops at the first failure unless --keep-going. */
static void lock_all(struct lock_run *run)
{
	const struct lock_args *a = run->a;

	for (size_t i = 0; i < run->t.n; i++) {
		struct region *r = &run->t.v[i];

		if (r->skipped)	/* beyond vm.max_map_count: said already */
			continue;
		if (locker_lock(r, a->onfault ? LOCK_ONFAULT : 0) == 0)
			continue;
		/* The file itself, not the lock: named, or gone, meanwhile. */
		if (strcmp(r->step, "open") == 0 || strcmp(r->step, "stat") == 0 ||
		    strcmp(r->step, "check") == 0) {
			worse(run, path_failed(r->name, r->err, a, r->file_size));
		} else {
			explain(run, r);
			worse(run, EXIT_REFUSED);
		}
		if (!a->keep_going)
			break;
	}
}

/* memlock's own VmLck, as the kernel counts it; -errno if not read. */
static int own_vmlck(int procfd, uint64_t *v)
{
	struct proc_status st;
	int rc = procfs_read_status(procfd, getpid(), &st);

	if (rc == 0 && !(st.have & PS_VMLCK))
		rc = -ENODATA;
	if (rc == 0)
		*v = st.vmlck;
	return rc;
}

static void report(struct lock_run *run, const char *holding, uint64_t total,
		   uint64_t nlocked, bool have_vmlck, uint64_t vmlck)
{
	const struct lock_args *a = run->a;
	static const struct out_col sum_cols[] = {
		{ "PID", 0, 0, OUT_NUM, "" }, { "REGIONS", 0, 0, OUT_NUM, "" },
		{ "BYTES", 0, 0, OUT_SIZE, "" }, { "TIME", 0, 0, OUT_NUM, "" },
		{ "VMLCK", 0, 0, OUT_SIZE, "" }, { "HOLDING", 0, 0, OUT_STR, "" },
	};
	struct out out, sum;
	struct out *both[2] = { &out, &sum };
	struct libscols_line *ln;
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ];
	double ms = 0;

	out_init_or_err(&out, &a->out, lock_cols, NCOLS, DEFAULT_COLS, "locked", "lock");
	for (size_t i = 0; i < run->t.n; i++) {
		const struct region *r = &run->t.v[i];

		ln = out_line(&out);
		out_str(&out, ln, COL_TARGET, r->name);
		if (!r->anon)
			out_u64(&out, ln, COL_OFFSET, r->offset);
		out_size(&out, ln, COL_BYTES, r->locked ? r->map_len : 0);
		out_u64(&out, ln, COL_PAGES, r->locked ? r->map_len / ps : 0);
		out_double(&out, ln, COL_TIME, r->ms, 1);
		out_str(&out, ln, COL_RESULT, r->locked ? "locked" : r->released ? "released" :
			r->err ? diag_errno_name(r->err) : "not tried");
		ms += r->ms;
	}
	if (!a->out.json) {
		out_print(&out);
		if (out_for_people(&a->out) && !a->out.noheadings) {
			printf("\nlocked %s in %llu region%s in %.1f ms; ",
			       size_format(total, a->out.bytes, b1), (unsigned long long)nlocked,
			       nlocked == 1 ? "" : "s", ms);
			if (have_vmlck)
				printf("VmLck of memlock (pid %d) is %s; %s\n", getpid(),
				       size_format(vmlck, a->out.bytes, b2), holding);
			else
				printf("VmLck of memlock (pid %d) could not be read; %s\n",
				       getpid(), holding);
		}
	} else {
		out_init_side(&sum, &out, sum_cols, 6, "summary", true);
		ln = out_line(&sum);
		out_u64(&sum, ln, 0, (uint64_t)getpid());
		out_u64(&sum, ln, 1, nlocked);
		out_size(&sum, ln, 2, total);
		out_double(&sum, ln, 3, ms, 1);
		if (have_vmlck)
			out_size(&sum, ln, 4, vmlck);
		out_str(&sum, ln, 5, holding);
		out_print_json(both, 2);
		out_free(&sum);
	}
	out_free(&out);
}

static const char *holding_text(const struct lock_args *a, char *buf, size_t len)
{
	if (a->have_timeout && a->timeout_ms == 0)
		snprintf(buf, len, "released (--timeout 0)");
	else if (a->have_timeout)
		snprintf(buf, len, "holding for %llu ms", (unsigned long long)a->timeout_ms);
	else
		snprintf(buf, len, "holding until SIGINT, SIGTERM, SIGQUIT or SIGHUP");
	return buf;
}

/*
 * Prints the report, also into a pipe or a file (the reader must not wait
 * for our exit), and checks that the kernel agrees: VmLck is read back.  A
 * report that could not be written is a failure: nothing is held.
 */
static void report_and_check(struct lock_run *run)
{
	uint64_t total = 0, nlocked = 0, vmlck = 0;
	char holding[64], b1[SIZE_BUFSZ], b2[SIZE_BUFSZ];
	bool have_vmlck = own_vmlck(run->procfd, &vmlck) == 0;

	for (size_t i = 0; i < run->t.n; i++)
		if (run->t.v[i].locked) {
			total += run->t.v[i].map_len;
			nlocked++;
		}
	report(run, nlocked ? holding_text(run->a, holding, sizeof(holding)) :
	       "nothing to hold", total, nlocked, have_vmlck, vmlck);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			msg_warn("write error");
		/* Nothing more goes there, nor is it said again at exit. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(EXIT_REFUSED);
		worse(run, EXIT_REFUSED);
		for (size_t i = 0; i < run->t.n; i++)
			locker_unlock(&run->t.v[i]);
		return;
	}
	if (have_vmlck && vmlck < total) {
		msg_warnx("the kernel counts %s locked (VmLck), less than the %s locked here: "
			  "not holding what it does not confirm", size_format(vmlck, false, b1),
			  size_format(total, false, b2));
		worse(run, EXIT_UNKNOWN);
		for (size_t i = 0; i < run->t.n; i++)
			locker_unlock(&run->t.v[i]);
	}
}

static bool holds_any(const struct targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].locked)
			return true;
	return false;
}

static int pidfile_failed(int rc, const char *path, int holder)
{
	if (rc == -EEXIST && holder)
		msg_warnx("pidfile '%s' belongs to memlock pid %d, which is running: stop it "
			  "first, or choose another pidfile", path, holder);
	else if (rc == -EEXIST)
		msg_warnx("pidfile '%s' belongs to a memlock holder that is starting: stop "
			  "it first, or choose another pidfile", path);
	else if (rc == -ELOOP)
		msg_warnx("pidfile '%s' exists and is a link: remove it first", path);
	else if (rc == -EBADMSG)
		msg_warnx("pidfile '%s' exists and holds no pid: remove it first", path);
	else
		msg_warnx("cannot create pidfile '%s': %s", path, strerror(-rc));
	return rc == -EACCES || rc == -EPERM ? EXIT_UNKNOWN : EXIT_USAGE;
}

/* Sends the outcome to the --daemon parent, once. */
static void notify_parent(int *notify, int status, int keep)
{
	if (*notify < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	if (holder_detach(*notify, status, keep) != 0)
		_exit(EXIT_UNKNOWN);
	*notify = -1;
}

int cmd_lock(int argc, char **argv)
{
	struct lock_args a = { .out = { .cols = lock_cols, .ncols = NCOLS } };
	struct lock_run run = { .a = &a, .facts_rc = 1 };
	struct pidfile pf = { .path = NULL, .fd = -1 };
	sigset_t set;
	int rc, notify = -1, sig = 0, holder = 0;

	cli_parse(&lock_argp, argc, argv, 0, &a);
	run.procfd = procfs_open_or_err();
	holder_block_signals(&set);
	/* The kernel refused the fork (RLIMIT_NPROC, memory): nothing held. */
	if (a.daemon && (rc = holder_daemonize(&notify)) != 0)
		msg_errx(EXIT_REFUSED, "cannot start the holder: %s", strerror(-rc));
	if (a.pidfile && (rc = pidfile_create(a.pidfile, &pf, &holder)) != 0) {
		run.status = pidfile_failed(rc, a.pidfile, holder);
		goto out;
	}
	if (pf.replaced)
		msg_warnx("replaced the stale pidfile '%s': pid %d is no longer a memlock holder",
			  a.pidfile, pf.replaced);
	collect(&run);
	if (run.t.n == 0 || (run.status && !a.keep_going))
		goto out;
	worse(&run, check_map_count(&run));
	if (run.status && !a.keep_going)
		goto out;
	rc = guard(&run);
	if (rc) {
		worse(&run, rc);
		goto out;
	}
	lock_all(&run);
	/* The first failure releases everything, unless --keep-going. */
	if (run.status && !a.keep_going)
		for (size_t i = 0; i < run.t.n; i++)
			locker_unlock(&run.t.v[i]);
	report_and_check(&run);
	/* --keep-going: whatever failed, "exit 1 at the end". */
	if (a.keep_going && run.status)
		run.status = EXIT_REFUSED;
	notify_parent(&notify, run.status, pf.fd);
	if (holds_any(&run.t) && !(a.have_timeout && a.timeout_ms == 0))
		sig = holder_wait(&set, a.have_timeout, a.timeout_ms);
out:
	notify_parent(&notify, run.status, pf.fd);
	targets_free(&run.t);
	pidfile_remove(&pf);
	close(run.procfd);
	/* A signal other than the four that end the hold as asked: passed on,
	 * now that nothing is left behind. */
	if (sig && !holder_is_stop_signal(sig)) {
		fflush(stdout);
		signal(sig, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
	return run.status;
}
