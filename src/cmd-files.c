/* memlock files: which files are locked in RAM, how much, and by whom. */
#define _GNU_SOURCE
#include "caps.h"
#include "commands.h"
#include "watch.h"
#include "filemap.h"
#include "msg.h"
#include "output.h"
#include "procfs.h"
#include "procscan.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <libsmartcols.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <sys/sysmacros.h>
#include <unistd.h>

enum { COL_FILE, COL_SIZE, COL_LOCKED, COL_RESIDENT, COL_PROCS, COL_PIDS,
       COL_COMMANDS, COL_DEV, COL_INODE, COL_ESTIMATE, COL_UNEVICTABLE, NCOLS };

static const struct out_col files_cols[NCOLS] = {
	[COL_FILE] = { "FILE", 0, 0, OUT_STR, "the file (as the first process maps it, or as named)" },
	[COL_SIZE] = { "SIZE", 0, SCOLS_FL_RIGHT, OUT_SIZE, "size of the file" },
	[COL_LOCKED] = { "LOCKED", 0, SCOLS_FL_RIGHT, OUT_SIZE, "its pages locked in RAM (mlocked)" },
	[COL_RESIDENT] = { "RESIDENT", 0, SCOLS_FL_RIGHT, OUT_SIZE, "its pages in the page cache (mincore)" },
	[COL_PROCS] = { "PROCS", 0, SCOLS_FL_RIGHT, OUT_NUM, "how many processes lock it" },
	[COL_PIDS] = { "PIDS", 0, 0, OUT_STR, "the pids of those processes, comma-separated" },
	[COL_COMMANDS] = { "COMMANDS", 0, 0, OUT_STR, "their command names, comma-separated" },
	[COL_DEV] = { "DEV", 0, 0, OUT_STR, "device of the file (major:minor)" },
	[COL_INODE] = { "INODE", 0, SCOLS_FL_RIGHT, OUT_NUM, "inode of the file" },
	[COL_ESTIMATE] = { "ESTIMATE", 0, 0, OUT_BOOL, "LOCKED is estimated from smaps, not read from the pages" },
	[COL_UNEVICTABLE] = { "UNEVICTABLE", 0, SCOLS_FL_RIGHT, OUT_SIZE, "its pages the kernel will not evict" },
};

#define DEFAULT_COLS "FILE,SIZE,LOCKED,RESIDENT,PROCS,PIDS"

/* Beside the rows in JSON: what the text says under the table. */
enum { SCOL_FILES, SCOL_ESTIMATES, SCOL_RESIDENT_UNKNOWN, SCOL_UNREADABLE, NSCOLS };

static const struct out_col summary_cols[NSCOLS] = {
	[SCOL_FILES] = { "FILES", 0, 0, OUT_NUM, "" },
	[SCOL_ESTIMATES] = { "ESTIMATES", 0, 0, OUT_NUM, "files whose LOCKED is an estimate" },
	[SCOL_RESIDENT_UNKNOWN] = { "RESIDENT_UNKNOWN", 0, 0, OUT_NUM, "" },
	[SCOL_UNREADABLE] = { "UNREADABLE", 0, 0, OUT_NUM,
			      "processes that may lock files and could not be read; null "
			      "when /proc hides them" },
};

struct files_args {
	struct out_opts out;
	bool recursive;
	bool have_min, have_max;
	uint64_t min, max;
	struct watch watch;		/* --interval, --count */
	char **paths;
	int npaths;
};

enum { OPT_MIN = 0x100, OPT_MAX, OPT_INTERVAL, OPT_COUNT };

static const struct argp_option files_options[] = {
	{ "recursive", 'r', NULL, 0, "list the regular files in directories, recursively", 0 },
	{ "min", OPT_MIN, "SIZE", 0, "exit 1 when a listed file has less locked", 0 },
	{ "max", OPT_MAX, "SIZE", 0, "exit 1 when a listed file has more locked", 0 },
	{ "interval", OPT_INTERVAL, "DURATION", 0, "sample again every DURATION (JSON: one "
	  "object a line; text: what changed)", 0 },
	{ "count", OPT_COUNT, "N", 0, "with --interval: N samples, then exit", 0 },
	{ 0 }
};

static error_t files_parse(int key, char *arg, struct argp_state *state)
{
	struct files_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->out;
		break;
	case 'r': a->recursive = true; break;
	case OPT_MIN:
		a->min = size_arg_or_exit(arg, 0, "size");
		a->have_min = true;
		break;
	case OPT_MAX:
		a->max = size_arg_or_exit(arg, 0, "size");
		a->have_max = true;
		break;
	case OPT_INTERVAL: watch_interval_arg(&a->watch, arg); break;
	case OPT_COUNT: watch_count_arg(&a->watch, arg); break;
	case ARGP_KEY_ARGS:
		a->paths = state->argv + state->next;
		a->npaths = state->argc - state->next;
		state->next = state->argc;
		for (int i = 0; i < a->npaths; i++)
			if (!a->paths[i][0])
				usage_error("invalid path '': an empty name");
		break;
	case ARGP_KEY_END:
		if (a->recursive && !a->npaths)
			usage_error("--recursive needs a PATH; see 'memlock files --help'");
		if (a->have_min && a->have_max && a->min > a->max)
			usage_error("--min is above --max");
		watch_check(&a->watch);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* -r is --recursive, as in `lock`; raw output is --raw alone. */
static const struct argp_child files_children[] = {
	{ &output_argp_no_r, 0, "Output:", 0 },
	{ 0 }
};

static const struct argp files_argp = {
	files_options, files_parse, "[PATH...]",
	"Show which files are locked in RAM, how much of each, and by whom.  Without "
	"PATH: every file some process has locked, most locked first.  With PATH "
	"(-r: the files under directories): those files, locked or not.  LOCKED is "
	"read from the physical pages (pagemap and kpageflags) with CAP_SYS_ADMIN, "
	"else estimated from smaps and marked so.\v",
	files_children, NULL, NULL
};

/* One row: a file and what was found about it. */
struct row {
	const struct filemap_file *f;
	bool have_stat;		/* SIZE, DEV and INODE known */
	struct stat st;
	struct filemap_pages pg;
	uint64_t locked;	/* bytes: physical, or the estimate */
	bool estimate;
};

/* One run: what is gathered, and the worst exit status so far. */
struct files_run {
	const struct files_args *a;
	int procfd;
	struct scan scan;
	struct filemap_set set;
	struct filemap fm;
	struct row *rows;
	size_t nrows;
	bool hidden;		/* /proc hides processes memlock may not trace */
	int status;
};

static void worse(struct files_run *run, int status)
{
	if (status > run->status)
		run->status = status;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	return q;
}

/* The scan keeps only processes with locked memory, with their smaps. */
static unsigned want_lockers(const struct scan_entry *e, void *arg)
{
	(void)arg;
	if (e->err || !(e->st.have & PS_VMLCK) || e->st.vmlck == 0)
		return 0;
	return SCAN_KEEP | SCAN_SMAPS;
}

static const char *kind_of(mode_t mode)
{
	return S_ISFIFO(mode) ? "a FIFO" : S_ISCHR(mode) ? "a character device" :
	       S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" :
	       "not a regular file";
}

/* One line for a path that cannot be listed, as `lock` says it: exit 3 for
 * what may not be read, 2 for anything else (bad input). */
static void path_failed(struct files_run *run, const char *path, int err)
{
	msg_warnx("cannot open '%s': %s", path, strerror(-err));
	worse(run, err == -EACCES || err == -EPERM ? EXIT_UNKNOWN : EXIT_USAGE);
}

static void add_named(struct files_run *run, const char *path, const struct stat *st)
{
	bool again;

	if (!filemap_name(&run->set, path, st, &again))
		msg_errx(EXIT_UNKNOWN, "out of memory");
}

static int by_name(const FTSENT **x, const FTSENT **y)
{
	return strcmp((*x)->fts_name, (*y)->fts_name);
}

/* Every regular file below DIR; links inside it are not followed. */
static void walk(struct files_run *run, const char *dir)
{
	char *argv[] = { (char *)dir, NULL };
	FTS *fts = fts_open(argv, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR, by_name);
	FTSENT *e;

	if (!fts) {
		path_failed(run, dir, -errno);
		return;
	}
	while ((e = fts_read(fts))) {
		switch (e->fts_info) {
		case FTS_F:
			add_named(run, e->fts_path, e->fts_statp);
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			path_failed(run, e->fts_path, -e->fts_errno);
			break;
		default:	/* directories, links, devices, FIFOs, sockets */
			break;
		}
	}
	if (errno == ENOMEM)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	fts_close(fts);
}

/* The name of a filesystem whose files are made on reading (proc, sysfs,
 * cgroup, debugfs...), or NULL: they have no page cache. */
static const char *synthetic(const char *path)
{
	static const struct { unsigned long magic; const char *name; } fs[] = {
		{ PROC_SUPER_MAGIC, "proc" }, { SYSFS_MAGIC, "sysfs" },
		{ CGROUP_SUPER_MAGIC, "cgroup" }, { CGROUP2_SUPER_MAGIC, "cgroup2" },
		{ DEBUGFS_MAGIC, "debugfs" }, { TRACEFS_MAGIC, "tracefs" },
		{ SECURITYFS_MAGIC, "securityfs" }, { BPF_FS_MAGIC, "bpf" },
	};
	struct statfs sf;

	if (statfs(path, &sf) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if ((unsigned long)sf.f_type == fs[i].magic)
			return fs[i].name;
	return NULL;
}

static void add_path(struct files_run *run, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		path_failed(run, path, -errno);
	} else if (S_ISDIR(st.st_mode) && run->a->recursive) {
		walk(run, path);
	} else if (S_ISDIR(st.st_mode)) {
		msg_warnx("'%s' is a directory: use -r (--recursive) to list the files in it",
			  path);
		worse(run, EXIT_USAGE);
	} else if (!S_ISREG(st.st_mode)) {
		msg_warnx("'%s' is %s: only regular files have pages to lock", path,
			  kind_of(st.st_mode));
		worse(run, EXIT_USAGE);
	} else if (synthetic(path)) {
		msg_warnx("'%s' is on %s: its contents are made as they are read, with no "
			  "pages in the page cache to lock", path, synthetic(path));
		worse(run, EXIT_USAGE);
	} else {
		add_named(run, path, &st);
	}
}

/* Opens F, measures it and closes it again: no descriptor is kept. */
static void measure(struct files_run *run, const struct filemap_file *f, struct row *r)
{
	int fd = filemap_open(run->procfd, f, &r->st), rc;
	uint64_t ps = run->fm.page_size, cap = UINT64_MAX;

	r->f = f;
	/* Not opened: the lack of privilege, if that is all, says why. */
	r->pg.why = run->fm.why != FM_PHYSICAL ? run->fm.why : FM_NO_OPEN;
	if (fd >= 0) {
		uint64_t *locked;
		size_t n;

		r->have_stat = true;
		rc = filemap_locked_frames(&run->fm, run->procfd, f, &locked, &n);
		if (rc == 0)
			rc = filemap_measure(&run->fm, fd, &r->st, locked, n, &r->pg);
		if (rc == -ENOMEM)
			msg_errx(EXIT_UNKNOWN, "out of memory");
		free(locked);
		close(fd);
	}
	if (r->pg.why == FM_PHYSICAL) {
		r->locked = r->pg.mlocked * ps;
		return;
	}
	/* The estimate is in pages too: at most the file's. */
	if (r->have_stat || f->have_id)
		cap = size_units(r->have_stat ? (uint64_t)r->st.st_size : f->size, ps) * ps;
	r->locked = filemap_estimate(f, cap);
	r->estimate = true;
}

static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	if (a->locked != b->locked)
		return a->locked > b->locked ? -1 : 1;
	return strcmp(filemap_file_name(a->f), filemap_file_name(b->f));
}

/* A row for each file to list: every locked one, or the named ones. */
static void measure_all(struct files_run *run)
{
	run->rows = xrealloc(NULL, (run->set.n ? run->set.n : 1) * sizeof(*run->rows));
	for (size_t i = 0; i < run->set.n; i++) {
		const struct filemap_file *f = &run->set.v[i];

		if (run->a->npaths && !f->named)
			continue;
		memset(&run->rows[run->nrows], 0, sizeof(*run->rows));
		measure(run, f, &run->rows[run->nrows++]);
	}
	if (run->nrows > 1)
		qsort(run->rows, run->nrows, sizeof(*run->rows), row_cmp);
}

/* "123,456", or the command names the same way (malloc'd). */
static char *lockers(const struct files_run *run, const struct filemap_file *f, bool names)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	for (size_t i = 0; i < f->nlk; i++) {
		const struct scan_entry *e = &run->scan.e[f->lk[i].entry];

		if (names)
			fprintf(m, "%s%s", i ? "," : "", e->st.name);
		else
			fprintf(m, "%s%d", i ? "," : "", e->pid);
	}
	if (fclose(m) != 0 || !buf)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	return buf;
}

static void dash(struct out *out, struct libscols_line *ln, int col)
{
	if (!out->opts->json)
		out_str(out, ln, col, "-");
}

static void print_row(struct files_run *run, struct out *out, const struct row *r)
{
	struct libscols_line *ln = out_line(out);
	uint64_t ps = run->fm.page_size;
	char *s, dev[48];

	out_str(out, ln, COL_FILE, filemap_file_name(r->f));
	if (r->have_stat || r->f->have_id) {
		/* As opened, else as found (it could not be opened). */
		uint64_t size = r->have_stat ? (uint64_t)r->st.st_size : r->f->size;
		dev_t d = r->have_stat ? r->st.st_dev : (dev_t)r->f->dev;

		out_size(out, ln, COL_SIZE, size);
		snprintf(dev, sizeof(dev), "%u:%u", major(d), minor(d));
		out_str(out, ln, COL_DEV, dev);
		out_u64(out, ln, COL_INODE, r->have_stat ? (uint64_t)r->st.st_ino : r->f->ino);
	} else {
		dash(out, ln, COL_SIZE);
		dash(out, ln, COL_DEV);
		dash(out, ln, COL_INODE);
	}
	out_size(out, ln, COL_LOCKED, r->locked);
	if (r->pg.have_resident)
		out_size(out, ln, COL_RESIDENT, r->pg.resident * ps);
	else
		dash(out, ln, COL_RESIDENT);
	if (r->pg.why == FM_PHYSICAL)
		out_size(out, ln, COL_UNEVICTABLE, r->pg.unevictable * ps);
	else
		dash(out, ln, COL_UNEVICTABLE);
	out_u64(out, ln, COL_PROCS, r->f->nlk);
	s = lockers(run, r->f, false);
	out_str(out, ln, COL_PIDS, s);
	free(s);
	s = lockers(run, r->f, true);
	out_str(out, ln, COL_COMMANDS, s);
	free(s);
	out_bool(out, ln, COL_ESTIMATE, r->estimate);
}

/* Processes whose locks could not be seen: the estimates and PROCS may
 * miss what they lock. */
static uint64_t unseen(const struct files_run *run)
{
	return run->set.unreadable + run->scan.unreadable;
}

static const char *const why_text[FM_NWHY] = {
	[FM_NO_PRIV] = "reading physical pages needs CAP_SYS_ADMIN",
	[FM_NO_KPAGEFLAGS] = PROCFS_ROOT "/kpageflags or " PROCFS_ROOT
			     "/self/pagemap cannot be read",
	[FM_NO_OPEN] = "some cannot be opened",
	[FM_NO_MINCORE] = "the kernel shows a file's page cache only to its owner or to "
			  "who may write it",
	[FM_NO_POPULATE] = "the kernel lacks MADV_POPULATE_READ (Linux 5.14)",
};

/* Which rows have LOCKED estimated, and why; and RESIDENT unknown. */
struct note {
	size_t estimates, unknown, unopened;
	bool why[FM_NWHY];
};

static void print_estimates(const struct note *n)
{
	const char *sep = ": ";

	printf("LOCKED of %zu file%s is an estimate (the most one process has resident in "
	       "its locked mappings, from smaps)", n->estimates, n->estimates == 1 ? "" : "s");
	for (int w = FM_PHYSICAL + 1; w < FM_NWHY; w++)
		if (n->why[w]) {
			printf("%s%s", sep, why_text[w]);
			sep = "; ";
		}
}

/* RESIDENT is unknown where the file cannot be opened, or mincore()
 * would not tell. */
static void print_unknown(const struct note *n)
{
	printf("RESIDENT of %zu file%s is unknown", n->unknown, n->unknown == 1 ? "" : "s");
	if (n->unopened)
		printf(": %zu cannot be opened", n->unopened);
	if (n->unknown > n->unopened)
		printf("%s%s", n->unopened ? "; " : ": ", why_text[FM_NO_MINCORE]);
}

/* One line under the table: which figures are estimates or unknown, why,
 * and whether some lockers were out of sight. */
static void print_note(const struct files_run *run)
{
	struct note n = { 0 };
	bool any = false;

	for (size_t i = 0; i < run->nrows; i++) {
		const struct row *r = &run->rows[i];

		if (r->estimate) {
			n.why[r->pg.why] = true;
			n.estimates++;
		}
		n.unknown += !r->pg.have_resident;
		n.unopened += !r->have_stat;
	}
	if (n.estimates) {
		fputs("\n", stdout);
		print_estimates(&n);
		any = true;
	}
	if (n.unknown) {
		fputs(any ? "; " : "\n", stdout);
		print_unknown(&n);
		any = true;
	}
	if (run->hidden) {
		printf("%s%s hides the processes memlock may not trace (hidepid), so PROCS may "
		       "miss some", any ? "; " : "\n", PROCFS_ROOT);
		any = true;
	} else if (unseen(run)) {
		printf("%s%llu process%s that may lock files could not be read, so PROCS may "
		       "miss %s", any ? "; " : "\n", (unsigned long long)unseen(run),
		       unseen(run) == 1 ? "" : "es", unseen(run) == 1 ? "it" : "them");
		any = true;
	}
	if (any)
		putchar('\n');
}

/* Whether an estimate of R may be short: a locker may be out of sight. */
static bool may_miss(const struct files_run *run, const struct row *r)
{
	return r->estimate && (unseen(run) || run->hidden);
}

/* --min/--max for one row: 0, or the exit status with its line said. */
static int check_row(const struct files_run *run, const struct row *r)
{
	const struct files_args *a = run->a;
	const char *name = filemap_file_name(r->f);
	const char *est = r->estimate ? " (estimated from smaps)" : "";
	char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ];

	if (a->have_min && r->locked < a->min) {
		size_format_apart(r->locked, a->min, b1, b2);
		if (may_miss(run, r)) {
			msg_warnx("cannot tell whether %s has --min %s locked: %s locked is "
				  "estimated, and processes that may lock it could not be read",
				  name, b2, b1);
			return EXIT_UNKNOWN;
		}
		msg_warnx("%s has %s locked, less than --min %s%s", name, b1, b2, est);
		return EXIT_REFUSED;
	}
	if (a->have_max && r->locked > a->max) {
		size_format_apart(r->locked, a->max, b1, b2);
		msg_warnx("%s has %s locked, more than --max %s%s", name, b1, b2, est);
		return EXIT_REFUSED;
	}
	if (a->have_max && may_miss(run, r)) {
		msg_warnx("cannot tell whether %s has at most --max %s locked: its LOCKED is "
			  "estimated, and processes that may lock it could not be read", name,
			  size_format(a->max, false, b1));
		return EXIT_UNKNOWN;
	}
	return EXIT_OK;
}

/* --min/--max: one line on stderr for each file outside the range. */
static int check_bounds(const struct files_run *run)
{
	char b[SIZE_BUFSZ];
	int status = EXIT_OK, rc;

	if (!run->a->have_min && !run->a->have_max)
		return EXIT_OK;
	if (run->a->have_min && run->nrows == 0 && run->status == EXIT_OK) {
		msg_warnx("no file is listed, so none has --min %s locked",
			  size_format(run->a->min, false, b));
		return EXIT_REFUSED;
	}
	for (size_t i = 0; i < run->nrows; i++) {
		rc = check_row(run, &run->rows[i]);
		if (rc > status)
			status = rc;
	}
	return status;
}

static void summary_table(const struct files_run *run, struct out *sum, const struct out *main)
{
	struct libscols_line *ln;
	uint64_t est = 0, unk = 0;

	for (size_t i = 0; i < run->nrows; i++) {
		est += run->rows[i].estimate;
		unk += !run->rows[i].pg.have_resident;
	}
	out_init_side(sum, main, summary_cols, NSCOLS, "summary", true);
	ln = out_line(sum);
	out_u64(sum, ln, SCOL_FILES, run->nrows);
	out_u64(sum, ln, SCOL_ESTIMATES, est);
	out_u64(sum, ln, SCOL_RESIDENT_UNKNOWN, unk);
	if (!run->hidden)
		out_u64(sum, ln, SCOL_UNREADABLE, unseen(run));
}

/* --interval -J: {"time": ..., "files": [...]} on one line. */
static void print_rows_json_line(struct files_run *run, const char *time)
{
	struct out out;

	out_init_or_err(&out, &run->a->out, files_cols, NCOLS, DEFAULT_COLS, "files", "files");
	for (size_t i = 0; i < run->nrows; i++)
		print_row(run, &out, &run->rows[i]);
	struct out sum;

	summary_table(run, &sum, &out);
	putchar('{');
	out_json_pair("time", time, true);
	out_json_part(&out, false);
	out_json_part(&sum, false);
	puts("}");
	out_free(&sum);
	out_free(&out);
}

static void print_rows(struct files_run *run)
{
	struct out out;

	out_init_or_err(&out, &run->a->out, files_cols, NCOLS, DEFAULT_COLS, "files", "files");
	for (size_t i = 0; i < run->nrows; i++)
		print_row(run, &out, &run->rows[i]);
	if (run->a->out.json) {
		struct out sum;
		struct out *both[2] = { &out, &sum };

		/* What the text says under the table, for scripts too. */
		summary_table(run, &sum, &out);
		out_print_json(both, 2);
		out_free(&sum);
	} else {
		out_print(&out);
	}
	out_free(&out);
	if (out_for_people(&run->a->out) && !run->a->out.noheadings)
		print_note(run);
}

/* Every process with locked memory, and the files it locks. */
static void gather(struct files_run *run)
{
	int rc = procfs_hidepid(run->procfd);

	run->hidden = rc < 0 || (rc >= 2 && !caps_self_effective(CAP_SYS_PTRACE));
	rc = procscan(run->procfd, NULL, 0, want_lockers, NULL, &run->scan);
	if (rc == -ENOMEM)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	if (rc)
		msg_errx(EXIT_UNKNOWN, "cannot list %s: %s", PROCFS_ROOT, strerror(-rc));
	if (filemap_collect(run->procfd, &run->scan, &run->set) != 0)
		msg_errx(EXIT_UNKNOWN, "out of memory");
}

/* One sample, gathered and measured; path errors said the first time. */
static void sample(struct files_run *run, bool quiet)
{
	gather(run);
	for (int i = 0; i < run->a->npaths; i++) {
		if (quiet)
			msg_quiet(true);
		add_path(run, run->a->paths[i]);
		if (quiet)
			msg_quiet(false);
	}
	measure_all(run);
}

static void sample_free(struct files_run *run)
{
	free(run->rows);
	run->rows = NULL;
	run->nrows = 0;
	filemap_set_free(&run->set);
	procscan_free(&run->scan);
}

/* The key of a row across samples: its name. */
static const struct row *same_row(const struct files_run *run, const struct row *r)
{
	for (size_t i = 0; i < run->nrows; i++)
		if (strcmp(filemap_file_name(run->rows[i].f), filemap_file_name(r->f)) == 0)
			return &run->rows[i];
	return NULL;
}

/* --interval in text: what changed since PREV, a line each. */
static void print_changes(const struct files_run *prev, const struct files_run *cur,
			  const char *time)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ];
	bool any = false, bytes = cur->a->out.bytes;

	for (size_t i = 0; i < cur->nrows; i++) {
		const struct row *r = &cur->rows[i], *p = same_row(prev, r);
		char *name;

		if (p && p->locked == r->locked && p->f->nlk == r->f->nlk)
			continue;
		name = msg_escape(filemap_file_name(r->f));
		if (p)
			printf("%s  %s: LOCKED %s, was %s; %zu process%s\n", time, name ? name : "?",
			       size_format(r->locked, bytes, x), size_format(p->locked, bytes, y),
			       r->f->nlk, r->f->nlk == 1 ? "" : "es");
		else
			printf("%s  %s: new, LOCKED %s; %zu process%s\n", time, name ? name : "?",
			       size_format(r->locked, bytes, x), r->f->nlk,
			       r->f->nlk == 1 ? "" : "es");
		free(name);
		any = true;
	}
	for (size_t i = 0; i < prev->nrows; i++) {
		const struct row *p = &prev->rows[i];

		if (!same_row(cur, p)) {
			char *name = msg_escape(filemap_file_name(p->f));

			printf("%s  %s: no longer locked (had %s)\n", time, name ? name : "?",
			       size_format(p->locked, bytes, x));
			free(name);
			any = true;
		}
	}
	if (!any)
		printf("%s  no change\n", time);
}

int cmd_files(int argc, char **argv)
{
	struct files_args a = { .out = { .cols = files_cols, .ncols = NCOLS } };
	struct files_run run = { .a = &a }, prev = { .a = &a };
	char time[40];
	int rc;

	cli_parse(&files_argp, argc, argv, 0, &a);
	run.procfd = procfs_open_or_err();
	if (filemap_init(&run.fm, run.procfd) != 0)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	if (a.watch.on && a.out.json)
		out_json_compact(true);
	watch_start(&a.watch);
	for (;;) {
		sample(&run, a.watch.taken > 0);
		watch_time(time, sizeof(time));
		if (a.watch.on && a.out.json) {
			print_rows_json_line(&run, time);
		} else if (a.watch.taken == 0 || !out_for_people(&a.out)) {
			if (a.watch.on && out_for_people(&a.out) && !a.out.noheadings)
				printf("%s\n", time);
			/* Named files that all failed: their lines said it, and an
			 * empty table would add nothing. */
			if (!a.npaths || run.nrows || run.status == EXIT_OK)
				print_rows(&run);
		} else {
			print_changes(&prev, &run, time);
		}
		rc = check_bounds(&run);
		worse(&run, rc);
		if (fflush(stdout) != 0)
			break;
		sample_free(&prev);
		prev.rows = run.rows;
		prev.nrows = run.nrows;
		prev.set = run.set;
		prev.scan = run.scan;
		run.rows = NULL;
		run.nrows = 0;
		memset(&run.set, 0, sizeof(run.set));
		memset(&run.scan, 0, sizeof(run.scan));
		if (!watch_next(&a.watch))
			break;
	}
	sample_free(&prev);
	sample_free(&run);
	filemap_fini(&run.fm);
	close(run.procfd);
	return run.status;
}
