/* memlock lock: lock files or anonymous memory into RAM and hold them. */
#define _GNU_SOURCE
#include "commands.h"
#include "cmd-lock.h"
#include "msg.h"
#include "diagnose.h"
#include "caps.h"
#include "collect.h"
#include "fswatch.h"
#include "holder.h"
#include "sdnotify.h"
#include "locker.h"
#include "memguard.h"
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
#include <sys/capability.h>
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
	"memory into RAM, report what was locked, and hold it until SIGINT, SIGTERM or "
	"SIGQUIT, or the --timeout; SIGHUP, or a held file replaced on disk, collects "
	"everything again and locks what changed.  What MemAvailable or the memory cgroup "
	"cannot take, or what memlock cannot verify, is refused (--no-guard).\v",
	lock_children, NULL, NULL
};



void worse(struct lock_run *run, int status)
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

/* The size of PATH now, for a message. */
static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
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

/* What the collection could not take, worded; each sets the exit status. */
static void said(void *ctx, const struct collect_problem *p)
{
	struct lock_run *run = ctx;

	/*
	 * At a reload, what could not be collected is counted; and what says
	 * nothing of the files themselves (no descriptor or memory left, a
	 * list that cannot be read or is empty) keeps everything held as it
	 * is, rather than let go of what it could not look at.
	 */
	if (run->reloading && p->what != CP_NOT_DYNAMIC) {
		run->reload_problems++;
		if (p->err == -EMFILE || p->err == -ENFILE || p->err == -ENOMEM ||
		    p->what == CP_LIST_UNREAD || p->what == CP_LIST_EMPTY)
			run->reload_abort = true;
	}
	switch (p->what) {
	case CP_PATH:
		worse(run, path_failed(p->path, p->err, run->a, p->size));
		break;
	case CP_EMPTY_DIR:
		msg_warnx("'%s' holds no non-empty regular file: there is nothing to lock",
			  p->path);
		worse(run, EXIT_USAGE);
		break;
	case CP_LIBS_UNLISTED:
		msg_warnx("cannot list the libraries of '%s': %s", p->path, p->err == -EPERM ?
			  "the loader it names is not one of the system's, and is not run" :
			  "its loader gives no list");
		worse(run, p->err == -EPERM ? EXIT_USAGE : EXIT_REFUSED);
		break;
	case CP_NOT_DYNAMIC:
		msg_warnx("'%s' is no dynamically linked program: it alone is locked", p->path);
		break;
	case CP_LIB_MISSING:
		msg_warnx("cannot find '%s', which '%s' needs: the loader does not find it "
			  "either", p->path, p->other);
		worse(run, EXIT_REFUSED);
		break;
	case CP_PID_UNREAD:
		msg_warnx("cannot read the mappings of pid %d: %s", p->pid,
			  p->err == -ESRCH ? "no such process" : strerror(-p->err));
		worse(run, EXIT_UNKNOWN);
		break;
	case CP_PID_REPLACED:
		msg_warnx("pid %d maps '%s', deleted or replaced since: that copy is not locked",
			  p->pid, p->path);
		worse(run, EXIT_REFUSED);
		break;
	case CP_NAME_NONE:
		msg_warnx("%s:%d: no running process is named '%s'", p->other, p->line, p->path);
		worse(run, EXIT_REFUSED);
		break;
	case CP_LIST_UNREAD:
		msg_warnx("cannot read the list '%s': %s", p->path, strerror(-p->err));
		worse(run, p->err == -ENOENT ? EXIT_USAGE : EXIT_UNKNOWN);
		break;
	case CP_LIST_EMPTY:
		msg_warnx("the list '%s' names no file: there is nothing to lock", p->path);
		worse(run, EXIT_USAGE);
		break;
	}
}

/* Collects every target into T; nothing is opened or mapped yet.  A
 * configuration that cannot be used, or no memory: 0 is not returned, and
 * the reason is said (WHAT before it at a reload). */
int lock_collect(struct lock_run *run, struct targets *t, const char *what)
{
	char err[600];
	int rc = collect_targets(&run->spec, run->procfd, t, said, run, err, sizeof(err));

	if (rc == 0)
		return 0;
	if (rc == -ENOMEM || rc == -ERANGE)
		snprintf(err, sizeof(err), "out of memory");
	if (what)
		msg_warnx("%s; still holding what was held", err);
	else
		msg_warnx("%s", err);
	return rc == -EINVAL || rc == -ENODATA || rc == -ENOENT || rc == -ENOTDIR ?
	       EXIT_USAGE : EXIT_UNKNOWN;
}

/* The guard's refusal of NEED bytes (in N files, or anonymous), worded;
 * returns its exit status. */
static int guard_said(const struct lock_run *run, enum memguard_verdict v, struct memguard *g,
		      uint64_t need, size_t n)
{
	char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ], b3[SIZE_BUFSZ], b4[SIZE_BUFSZ];
	char b5[SIZE_BUFSZ], what[64], file[400];
	int err;

	if (run->a->anon)
		snprintf(what, sizeof(what), "of anonymous memory");
	else
		snprintf(what, sizeof(what), "in %zu file%s", n, n == 1 ? "" : "s");
	switch (v) {
	case GUARD_FITS:
		return EXIT_OK;
	case GUARD_OVER_AVAILABLE:
		msg_warnx("refusing to lock %s %s: only %s is available (MemAvailable), and "
			  "faulting in more would set off the OOM killer; --no-guard locks "
			  "anyway", size_format(need, false, b1), what,
			  size_format(g->mi.available, false, b2));
		return EXIT_REFUSED;
	case GUARD_OVER_CGROUP:
		msg_warnx("refusing to lock %s %s: memory cgroup %s can take %s more (limit "
			  "%s, %s used of which %s is reclaimable cache), and its OOM killer "
			  "would end a process in it; --no-guard locks anyway",
			  size_format(need, false, b1), what, g->cg.path,
			  size_format(procfs_memcg_room(&g->cg), false, b2),
			  size_format(g->cg.limit, false, b3), size_format(g->cg.usage, false, b4),
			  size_format(g->cg.reclaimable, false, b5));
		return EXIT_REFUSED;
	case GUARD_UNKNOWN:
	default:
		memguard_unreadable(g, file, sizeof(file), &err);
		msg_warnx("cannot verify that %s %s fits in memory: %s cannot be read (%s); "
			  "--no-guard locks anyway", size_format(need, false, b1), what, file,
			  err == -ENOTSUP ? "not a cgroup filesystem" : err == -ENODATA ?
			  "no MemAvailable in it" : strerror(-err));
		return EXIT_UNKNOWN;
	}
}

/*
 * The memory guard, before anything is faulted in: refuses what
 * MemAvailable or the memory cgroup cannot take, and what it cannot see.
 * At start all or nothing; at a reload (SOME), the new files that fit, in
 * order, and the rest are refused, in one line.
 */
int lock_guard(struct lock_run *run, struct targets *t, bool some)
{
	struct memguard g;
	enum memguard_verdict v;
	uint64_t need, refused;
	size_t n, nrefused;

	if (run->a->no_guard || run->a->onfault)
		return EXIT_OK;
	if (!targets_pending(t, &n, &need) && !some) {
		msg_warnx("refusing to lock more than 16E in %zu files: no machine has that "
			  "much memory", n);
		return EXIT_REFUSED;
	}
	if (n == 0)
		return EXIT_OK;
	memguard_read(run->procfd, 0, &g);
	v = targets_fit_memory(t, &g, some, &refused, &nrefused);
	return nrefused ? guard_said(run, v, &g, refused, nrefused) : EXIT_OK;
}

/* Room for memlock's own allocations, which may map memory too. */
#define OWN_MAPPINGS 32

/*
 * Each region is a mapping, and a process has at most vm.max_map_count of
 * them (mm/mmap.c, do_mmap(): a new one fails with ENOMEM once map_count
 * is over it).  More than fit: one line, and nothing is locked, or with
 * --keep-going the first ones that fit.
 */
int lock_check_maps(struct lock_run *run, struct targets *t, bool reloading)
{
	uint64_t have, max, fit, bytes;
	size_t n;

	targets_pending(t, &n, &bytes);
	if (procfs_count_maps(run->procfd, getpid(), &have) != 0 ||
	    procfs_read_sysctl(run->procfd, "sys/vm/max_map_count", &max) != 0)
		return EXIT_OK;	/* the kernel will say, and the failure is explained */
	fit = max + 1 > have + OWN_MAPPINGS ? max + 1 - have - OWN_MAPPINGS : 0;
	if (n <= fit)
		return EXIT_OK;
	msg_warnx("%zu files need %zu mappings, but vm.max_map_count is %llu and memlock "
		  "has %llu already and keeps %d for itself: %llu fit%s; raise it: "
		  "'sysctl -w vm.max_map_count=%llu'", n, n,
		  (unsigned long long)max, (unsigned long long)have, OWN_MAPPINGS,
		  (unsigned long long)fit,
		  run->a->keep_going || reloading ? " and are locked" : "",
		  (unsigned long long)(have + OWN_MAPPINGS + n));
	targets_skip_beyond(t, fit);
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
			  size_format(r->pages_len, false, b), locker_step_name(r->step),
			  strerror(-r->err), diag_errno_name(r->err));
	else
		msg_warnx("cannot lock '%s' (%s): %s: %s (%s)", r->name,
			  size_format(r->pages_len, false, b), locker_step_name(r->step),
			  strerror(-r->err), diag_errno_name(r->err));
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

/*
 * Locks every region of T not locked yet; stops at the first failure
 * unless --keep-going.  A reload goes on past failures (what is held stays
 * held), and stops short when it is told to end.
 */
void lock_all(struct lock_run *run, struct targets *t, bool reloading)
{
	const struct lock_args *a = run->a;

	for (size_t i = 0; i < t->n; i++) {
		struct region *r = &t->v[i];

		if (r->skipped || r->locked)	/* beyond vm.max_map_count: said already */
			continue;
		if (reloading && holder_stop_pending())
			break;
		if (locker_lock(r, a->onfault ? LOCK_ONFAULT : 0) == 0)
			continue;
		/* The file itself, not the lock: named, or gone, meanwhile. */
		if (r->step == STEP_OPEN || r->step == STEP_STAT || r->step == STEP_CHECK) {
			worse(run, path_failed(r->name, r->err, a, file_size(r->name)));
		} else {
			explain(run, r);
			worse(run, EXIT_REFUSED);
		}
		if (!a->keep_going && !reloading)
			break;
	}
}

/* memlock's own VmLck, as the kernel counts it; -errno if not read. */
int lock_own_vmlck(int procfd, uint64_t *v)
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
		out_size(&out, ln, COL_BYTES, r->locked ? r->pages_len : 0);
		out_u64(&out, ln, COL_PAGES, r->locked ? r->pages_len / ps : 0);
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
		snprintf(buf, len, "holding until SIGINT, SIGTERM or SIGQUIT (SIGHUP reloads)");
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
	bool have_vmlck = lock_own_vmlck(run->procfd, &vmlck) == 0;

	for (size_t i = 0; i < run->t.n; i++)
		if (run->t.v[i].locked) {
			total += run->t.v[i].pages_len;
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

/* What was asked, as a reload asks it again. */
static void spec_of(struct lock_run *run, const struct lock_args *a)
{
	run->spec = (struct lock_spec){
		.anon = a->anon, .recursive = a->recursive, .libs = a->libs, .nul = a->nul,
		.anon_size = a->anon_size, .range_off = a->range_off, .range_len = a->range_len,
		.files = a->files, .nfiles = a->nfiles, .pids = a->pids, .npids = a->npids,
		.configs = a->configs, .nconfigs = a->nconfigs, .files_from = a->files_from,
		/* With it, no file's read permission can refuse us: none is
		 * checked ahead (an LSM that refuses is said at open). */
		.read_any = caps_self_effective(CAP_DAC_READ_SEARCH),
		.stdin_list = &run->stdin_list,
	};
}

/* Collects, checks and locks; the report printed and checked.  The first
 * failure releases everything, unless --keep-going. */
static void lock_targets(struct lock_run *run)
{
	const struct lock_args *a = run->a;
	int rc;

	if ((rc = lock_collect(run, &run->t, NULL)) != 0)
		worse(run, rc);
	if (run->t.n == 0 || (run->status && !a->keep_going))
		return;
	worse(run, lock_check_maps(run, &run->t, false));
	if (run->status && !a->keep_going)
		return;
	if ((rc = lock_guard(run, &run->t, false)) != 0) {
		worse(run, rc);
		return;
	}
	lock_all(run, &run->t, false);
	if (run->status && !a->keep_going)
		for (size_t i = 0; i < run->t.n; i++)
			locker_unlock(&run->t.v[i]);
	report_and_check(run);
	/* --keep-going: whatever failed, "exit 1 at the end". */
	if (a->keep_going && run->status)
		run->status = EXIT_REFUSED;
}

int cmd_lock(int argc, char **argv)
{
	struct lock_args a = { .out = { .cols = lock_cols, .ncols = NCOLS } };
	struct lock_run run = { .a = &a, .facts_rc = 1, .watch = FSWATCH_INIT };
	struct pidfile pf = { .path = NULL, .fd = -1 };
	sigset_t set;
	int rc, notify = -1, sig = 0, holder = 0;
	bool holding;

	cli_parse(&lock_argp, argc, argv, 0, &a);
	spec_of(&run, &a);
	run.procfd = procfs_open_or_err();
	if ((rc = sdnotify_open(&run.sd)) != 0)
		msg_warnx("NOTIFY_SOCKET cannot be used (%s): the service manager is not told "
			  "when the locks are in place", strerror(-rc));
	holder_block_signals(&set);
	/* The kernel refused the fork (RLIMIT_NPROC, memory): nothing held. */
	if (a.daemon && (rc = holder_daemonize(&notify)) != 0)
		msg_errx(EXIT_REFUSED, "cannot start the holder: %s", strerror(-rc));
	/* Only relative names need it, and only at a reload. */
	if (a.daemon && !(run.cwd = getcwd(NULL, 0)))
		msg_warn("cannot tell the working directory: a reload finds relative names "
			 "from /");
	if (a.pidfile && (rc = pidfile_create(a.pidfile, &pf, &holder)) != 0) {
		run.status = pidfile_failed(rc, a.pidfile, holder);
		goto out;
	}
	if (pf.replaced)
		msg_warnx("replaced the stale pidfile '%s': pid %d is no longer a memlock holder",
			  a.pidfile, pf.replaced);
	lock_targets(&run);
	holding = targets_holds_any(&run.t) && !(a.have_timeout && a.timeout_ms == 0);
	/* Watched before --daemon's parent returns: what cannot be is said
	 * where the command was typed. */
	if (holding)
		lock_watch(&run, true);
	lock_notify_parent(&run, &notify, pf.fd);
	if (holding)
		sig = lock_hold(&run, &set);
out:
	lock_notify_parent(&run, &notify, pf.fd);
	fswatch_close(&run.watch);
	/* The kernel unmaps everything as the process exits. */
	targets_abandon(&run.t);
	pidfile_remove(&pf);
	close(run.procfd);
	sdnotify_close(&run.sd);
	paths_free(&run.stdin_list);
	free(run.cwd);
	/* A signal other than the three that end the hold as asked: passed
	 * on, now that nothing is left behind. */
	if (sig && !holder_is_stop_signal(sig)) {
		fflush(stdout);
		signal(sig, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
	return run.status;
}
