/* memlock lock: lock files or anonymous memory into RAM and hold them. */
#define _GNU_SOURCE
#include "commands.h"
#include "msg.h"
#include "diagnose.h"
#include "locker.h"
#include "output.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
	bool have_timeout;
	uint64_t anon_size, range_off, range_len, timeout_ms;
	const char *pidfile;
	char **files;
	int nfiles;
};

enum { OPT_ANON = 0x100, OPT_ONFAULT, OPT_RANGE, OPT_PIDFILE };

static const struct argp_option lock_options[] = {
	{ "anon", OPT_ANON, "SIZE", 0, "lock SIZE bytes of anonymous memory", 0 },
	{ "range", OPT_RANGE, "OFFSET:LENGTH", 0, "lock only these bytes of the one FILE", 0 },
	{ "recursive", 'r', NULL, 0, "lock the regular files in directories, recursively", 0 },
	{ "onfault", OPT_ONFAULT, NULL, 0, "mlock2(MLOCK_ONFAULT): lock pages as they are touched", 0 },
	{ "timeout", 't', "DURATION", 0, "hold for DURATION, then release (0: lock, report, release)", 0 },
	{ "daemon", 'd', NULL, 0, "hold in the background; return once every lock is in place", 0 },
	{ "pidfile", OPT_PIDFILE, "FILE", 0, "write the holder's pid to FILE, removed on exit", 0 },
	{ "keep-going", 'k', NULL, 0, "on a failure keep what locked, and exit 1 at the end", 0 },
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
	case ARGP_KEY_ARGS:
		a->files = state->argv + state->next;
		a->nfiles = state->argc - state->next;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!a->anon && !a->nfiles)
			usage_error("lock needs a FILE or --anon SIZE; see 'memlock lock --help'");
		if (a->anon && a->nfiles)
			usage_error("--anon and FILE do not go together");
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
	"memory into RAM, report what was locked, and hold it until SIGINT, SIGTERM "
	"or SIGHUP, or the --timeout.\v",
	lock_children, NULL, NULL
};

struct regions {
	struct region *v;
	size_t n, cap;
};

static struct region *regions_add(struct regions *rs)
{
	if (rs->n == rs->cap) {
		struct region *nv = realloc(rs->v, (rs->cap = rs->cap ? rs->cap * 2 : 16) *
					    sizeof(*rs->v));

		if (!nv)
			msg_err(EXIT_UNKNOWN, "out of memory");
		rs->v = nv;
	}
	return &rs->v[rs->n++];
}

/* The same bytes of the same file already collected (named twice, reached
 * through overlapping directories, or a hard link)? */
static bool regions_have(const struct regions *rs, const struct region *r)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].fd >= 0 && rs->v[i].dev == r->dev && rs->v[i].ino == r->ino &&
		    rs->v[i].offset == r->offset && rs->v[i].len == r->len)
			return true;
	return false;
}

/* Keeps R unless it is already there, which would lock and charge it twice. */
static void regions_keep(struct regions *rs, struct region *r)
{
	if (regions_have(rs, r))
		locker_release(r);
	else
		*regions_add(rs) = *r;
}

static void regions_release(struct regions *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		locker_release(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
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

/* One line for a FILE that cannot be locked; returns its exit status. */
static int open_failed(const struct region *r, const char *path, const struct lock_args *a)
{
	const char *q = path;
	char s1[SIZE_BUFSZ], s2[SIZE_BUFSZ], s3[SIZE_BUFSZ];
	int status = EXIT_USAGE;

	switch (-r->err) {
	case EISDIR:
		msg_warnx("'%s' is a directory: use -r (--recursive) to lock the files in it", q);
		break;
	case EINVAL:
		msg_warnx("'%s' is %s: only regular files can be locked", q, file_kind(path));
		break;
	case ENODATA:
		msg_warnx("'%s' is empty: there is nothing to lock", q);
		break;
	case ERANGE:
		msg_warnx("range %s:%s of '%s' goes past its end (%s): pages past the end of a "
		      "file cannot be locked (mlock fails with ENOMEM)",
		      size_format(a->range_off, true, s1), size_format(a->range_len, true, s2), q,
		      size_format(r->file_size, true, s3));
		break;
	case EACCES:
	case EPERM:
		status = EXIT_UNKNOWN;
		/* fall through */
	default:
		msg_warnx("cannot open '%s': %s", q, strerror(-r->err));
	}
	return status;
}

/* The walk of -r: every non-empty regular file below a directory. */
static struct regions *walk_regions;
static int walk_status;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct region r;

	(void)ftw;
	if (type == FTW_DNR || type == FTW_NS) {
		const char *q = path;

		msg_warnx("cannot read '%s': %s", q, strerror(EACCES));
			walk_status = EXIT_UNKNOWN;
		return 0;
	}
	if (type != FTW_F || !S_ISREG(st->st_mode) || st->st_size == 0)
		return 0;
	if (locker_open(path, 0, 0, &r) != 0) {
		struct lock_args none = { .range_off = 0 };

		walk_status = open_failed(&r, path, &none);
		locker_release(&r);
		return 0;
	}
	regions_keep(walk_regions, &r);
	return 0;
}

/* Opens every FILE (walking directories with -r); returns the worst status. */
static int collect(const struct lock_args *a, struct regions *rs)
{
	int status = EXIT_OK;

	if (a->anon) {
		struct meminfo mi;
		int procfd = procfs_open(PROCFS_ROOT);
		char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ];

		/* Past what is free, mlock() faults memory in until the OOM
		 * killer picks victims, anywhere on the machine: refuse.  With
		 * --onfault nothing is faulted in now. */
		if (!a->onfault && procfd >= 0 && procfs_read_meminfo(procfd, &mi) == 0 &&
		    (mi.have & MI_AVAILABLE) && a->anon_size > mi.available) {
			msg_warnx("refusing to lock %s of anonymous memory: only %s is available "
			      "(MemAvailable), and faulting in more would set off the OOM "
			      "killer; see 'memlock doctor %s'", size_format(a->anon_size, false, b1),
			      size_format(mi.available, false, b2), size_format(a->anon_size, false, b1));
			close(procfd);
			return EXIT_REFUSED;
		}
		if (procfd >= 0)
			close(procfd);
		locker_anon(a->anon_size, regions_add(rs));
		return EXIT_OK;
	}
	for (int i = 0; i < a->nfiles; i++) {
		struct region r;
		int rc = locker_open(a->files[i], a->range_off, a->range_len, &r);

		if (rc == -EISDIR && a->recursive) {
			locker_release(&r);
			walk_regions = rs;
			walk_status = EXIT_OK;
			if (nftw(a->files[i], walk_one, 32, FTW_PHYS) != 0)
				walk_status = EXIT_UNKNOWN;
			if (walk_status > status)
				status = walk_status;
			continue;
		}
		if (rc) {
			int s = open_failed(&r, a->files[i], a);

			status = s > status ? s : status;
			locker_release(&r);
			continue;
		}
		regions_keep(rs, &r);
	}
	return status;
}

/* Sentences that may hold names of units and cgroups: escaped. */
static void warn_escaped(const char *prefix, const char *text)
{
	msg_warnx("%s%s", prefix, text);
}

/* The errno, its cause and the remedy, from the engine behind `doctor`. */
static void explain(const struct region *r, bool onfault)
{
	struct diag_facts f;
	struct diag_report rep;
	const char *q = r->name;
	char b[SIZE_BUFSZ];
	int procfd, n = 0;

	msg_warnx("cannot lock '%s' (%s): %s: %s (%s)", q, size_format(r->len, false, b),
	      r->step, strerror(-r->err), diag_errno_name(r->err));
	procfd = procfs_open(PROCFS_ROOT);
	if (procfd < 0 || diag_gather(procfd, 0, &f) != 0)
		return;
	diag_evaluate(&f, onfault ? MODE_ONFAULT : MODE_MLOCK, true, r->map_len, &rep);
	for (int i = 0; i < rep.nchecks; i++)
		if (rep.checks[i].result == DIAG_FAIL)
			warn_escaped("why: ", rep.checks[i].detail);
	if (rep.err == 0 && r->err == -ENOMEM)
		msg_warnx("why: the limit allows it, so the kernel could not map or populate the "
		      "range (a file truncated meanwhile, or no memory)");
	else if (rep.err == 0 && r->err == -EAGAIN)
		msg_warnx("why: some pages could not be locked: memory is short");
	for (int i = 0; i < rep.nremedies && n < 3; i++, n++)
		warn_escaped("fix: ", rep.remedies[i]);
	close(procfd);
}

static uint64_t own_vmlck(void)
{
	struct proc_status st;
	int procfd = procfs_open(PROCFS_ROOT);
	uint64_t v = 0;

	if (procfd >= 0 && procfs_read_status(procfd, getpid(), &st) == 0)
		v = st.vmlck;
	if (procfd >= 0)
		close(procfd);
	return v;
}

/* Locks every region; stops at the first failure unless --keep-going. */
static int lock_all(const struct lock_args *a, struct regions *rs)
{
	int status = EXIT_OK;

	for (size_t i = 0; i < rs->n; i++) {
		if (locker_lock(&rs->v[i], a->onfault ? LOCK_ONFAULT : 0) == 0)
			continue;
		explain(&rs->v[i], a->onfault);
		status = EXIT_REFUSED;
		if (!a->keep_going)
			break;
	}
	return status;
}

static void report(const struct lock_args *a, const struct regions *rs, const char *holding)
{
	struct out out, sum;
	struct out *both[2] = { &out, &sum };
	static const struct out_col sum_cols[] = {
		{ "PID", 0, 0, OUT_NUM, "" }, { "REGIONS", 0, 0, OUT_NUM, "" },
		{ "BYTES", 0, 0, OUT_SIZE, "" }, { "TIME", 0, 0, OUT_NUM, "" },
		{ "VMLCK", 0, 0, OUT_SIZE, "" }, { "HOLDING", 0, 0, OUT_STR, "" },
	};
	uint64_t total = 0, ps = (uint64_t)sysconf(_SC_PAGESIZE), locked = 0;
	double ms = 0;
	char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ];
	struct libscols_line *ln;

	out_init_or_err(&out, &a->out, lock_cols, NCOLS, DEFAULT_COLS, "locked", "lock");
	for (size_t i = 0; i < rs->n; i++) {
		const struct region *r = &rs->v[i];

		ln = out_line(&out);
		out_str(&out, ln, COL_TARGET, r->name);
		if (r->map && r->name && strcmp(r->name, "anonymous") != 0)
			out_u64(&out, ln, COL_OFFSET, r->offset);
		out_size(&out, ln, COL_BYTES, r->locked ? r->map_len : 0);
		out_u64(&out, ln, COL_PAGES, r->locked ? r->map_len / ps : 0);
		out_double(&out, ln, COL_TIME, r->ms, 1);
		out_str(&out, ln, COL_RESULT, r->locked ? "locked" : r->released ? "released" :
			r->err ? diag_errno_name(r->err) : "not tried");
		if (r->locked) {
			total += r->map_len;
			locked++;
		}
		ms += r->ms;
	}
	if (!a->out.json) {
		out_print(&out);
		if (!a->out.raw && !a->out.noheadings)
			printf("\nlocked %s in %llu region%s in %.1f ms; VmLck of memlock (pid %d) "
			       "is %s; %s\n", size_format(total, a->out.bytes, b1),
			       (unsigned long long)locked, locked == 1 ? "" : "s", ms, getpid(),
			       size_format(own_vmlck(), a->out.bytes, b2), holding);
	} else {
		out_init_side(&sum, &out, sum_cols, 6, "summary", true);
		ln = out_line(&sum);
		out_u64(&sum, ln, 0, (uint64_t)getpid());
		out_u64(&sum, ln, 1, locked);
		out_size(&sum, ln, 2, total);
		out_double(&sum, ln, 3, ms, 1);
		out_size(&sum, ln, 4, own_vmlck());
		out_str(&sum, ln, 5, holding);
		out_print_json(both, 2);
		out_free(&sum);
	}
	out_free(&out);
	/* Also into a pipe or a file: the reader must not wait for our exit. */
	fflush(stdout);
}

/*
 * The pidfile: made with O_EXCL|O_NOFOLLOW (never through a planted link,
 * never over a file), with our pid in it, then closed; remembered by its
 * absolute path and inode, so that the daemon, having left its directory and
 * closed every descriptor, removes it at exit only if it is still ours.
 */
struct pidfile {
	char *path;
	dev_t dev;
	ino_t ino;
};

static int pidfile_create(const char *path, struct pidfile *p)
{
	char *copy = strdup(path), *slash, *dir = NULL, buf[32];
	const char *base;
	struct stat st;
	int dirfd = -1, fd = -1, rc = 0, n;

	memset(p, 0, sizeof(*p));
	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (slash)
		*(slash == copy ? slash + 1 : slash) = '\0';
	if (!*base)
		rc = -EINVAL;
	else if (!(dir = realpath(slash ? copy : ".", NULL)) ||
		 (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = -errno;
	else if ((fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			      O_CLOEXEC, 0644)) < 0)
		rc = -errno;
	else if (asprintf(&p->path, "%s/%s", strcmp(dir, "/") ? dir : "", base) < 0)
		rc = -ENOMEM, p->path = NULL;
	if (fd >= 0) {
		n = snprintf(buf, sizeof(buf), "%d\n", getpid());
		if (rc == 0 && (write(fd, buf, (size_t)n) != n || fstat(fd, &st) != 0))
			rc = -errno;
		if (rc == 0) {
			p->dev = st.st_dev;
			p->ino = st.st_ino;
		} else {
			unlinkat(dirfd, base, 0);
		}
		close(fd);
	}
	if (dirfd >= 0)
		close(dirfd);
	if (rc) {
		free(p->path);
		p->path = NULL;
	}
	free(dir);
	free(copy);
	return rc;
}

static void pidfile_remove(struct pidfile *p)
{
	struct stat now;

	if (p->path && lstat(p->path, &now) == 0 && now.st_ino == p->ino &&
	    now.st_dev == p->dev)
		unlink(p->path);
	free(p->path);
	p->path = NULL;
}

static int pidfile_failed(int rc, const char *path)
{
	const char *q = path;

	if (rc == -EEXIST)
		msg_warnx("pidfile '%s' exists (another memlock, or a link): remove it first", q);
	else
		msg_warnx("cannot create pidfile '%s': %s", q, strerror(-rc));
	return rc == -EACCES || rc == -EPERM ? EXIT_UNKNOWN : EXIT_USAGE;
}

/* Holds until SIGINT, SIGTERM or SIGHUP (blocked since the start), or the
 * timeout.  A second signal finds us releasing already. */
static void hold(const struct lock_args *a, const sigset_t *set)
{
	struct timespec ts = { (time_t)(a->timeout_ms / 1000),
			       (long)(a->timeout_ms % 1000) * 1000000 };

	if (a->have_timeout && a->timeout_ms == 0)
		return;
	for (;;) {
		int sig = a->have_timeout ? sigtimedwait(set, NULL, &ts) : sigwaitinfo(set, NULL);

		if (sig > 0 || errno == EAGAIN)
			return;
	}
}

static const char *holding_text(const struct lock_args *a, char *buf, size_t len)
{
	if (a->have_timeout && a->timeout_ms == 0)
		snprintf(buf, len, "released (--timeout 0)");
	else if (a->have_timeout)
		snprintf(buf, len, "holding for %llu ms", (unsigned long long)a->timeout_ms);
	else
		snprintf(buf, len, "holding until SIGINT, SIGTERM or SIGHUP");
	return buf;
}

/* --daemon: the child locks and holds; the parent returns its outcome. */
static int daemonize(int *notify)
{
	int fds[2];
	unsigned char status = EXIT_UNKNOWN;
	pid_t pid;

	fflush(stdout);
	if (pipe2(fds, O_CLOEXEC) != 0)
		msg_err(EXIT_UNKNOWN, "pipe");
	pid = fork();
	if (pid < 0)
		msg_err(EXIT_UNKNOWN, "fork");
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &status, 1) != 1)
			status = EXIT_REFUSED;
		_exit(status);
	}
	close(fds[0]);
	setsid();
	*notify = fds[1];
	return 0;
}

/* The daemon, once its report is out: tell the parent, leave the terminal,
 * and close every descriptor it inherited, so that it holds no one's pipe
 * open (a caller's $(...) would wait for it). */
static void detach(int notify, int status)
{
	unsigned char s = (unsigned char)status;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	fflush(stdout);
	fflush(stderr);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(notify, &s, 1) != 1)
		_exit(EXIT_UNKNOWN);
	close_range(3, ~0U, 0);
	if (chdir("/") != 0)
		_exit(EXIT_UNKNOWN);
}

int cmd_lock(int argc, char **argv)
{
	struct lock_args a = { .out = { .cols = lock_cols, .ncols = NCOLS } };
	struct regions rs = { 0 };
	struct pidfile pf = { .path = NULL };
	sigset_t set;
	char holding[64];
	int status, rc, notify = -1;
	bool any = false;

	cli_parse(&lock_argp, argc, argv, 0, &a);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (a.daemon)
		daemonize(&notify);
	if (a.pidfile && (rc = pidfile_create(a.pidfile, &pf)) != 0) {
		status = pidfile_failed(rc, a.pidfile);
		goto out;
	}
	status = collect(&a, &rs);
	if (status && !a.keep_going)
		goto out;
	rc = lock_all(&a, &rs);
	status = rc > status ? rc : status;
	if (rc && !a.keep_going) {
		/* The first failure releases everything. */
		for (size_t i = 0; i < rs.n; i++)
			locker_unlock(&rs.v[i]);
	}
	for (size_t i = 0; i < rs.n; i++)
		any |= rs.v[i].locked;
	report(&a, &rs, any ? holding_text(&a, holding, sizeof(holding)) : "nothing to hold");
	if (notify >= 0) {
		/* What failed to lock has no more use for its descriptor. */
		for (size_t i = 0; i < rs.n; i++)
			locker_close_failed(&rs.v[i]);
		detach(notify, any || status == EXIT_OK ? EXIT_OK : status);
		notify = -1;
	}
	if (any)
		hold(&a, &set);
	/* --keep-going: whatever failed, "exit 1 at the end". */
	if (a.keep_going && status != EXIT_OK)
		status = EXIT_REFUSED;
out:
	if (notify >= 0) {
		unsigned char s = (unsigned char)status;

		fflush(stdout);
		if (write(notify, &s, 1) != 1)
			status = EXIT_UNKNOWN;
	}
	regions_release(&rs);
	pidfile_remove(&pf);
	return status;
}
