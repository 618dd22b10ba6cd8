/* memlock status: what processes have locked, and the system's totals. */
#define _GNU_SOURCE
#include "caps.h"
#include "msg.h"
#include "commands.h"
#include "output.h"
#include "procfs.h"
#include "procscan.h"
#include "rlimit.h"
#include "size.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <libsmartcols.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_PID, COL_USER, COL_UID, COL_COMMAND, COL_VMLCK, COL_VMPIN, COL_LIMIT,
       COL_HARD, COL_USE, COL_CAP, COL_VMSIZE, COL_VMRSS, NCOLS };

static const struct out_col status_cols[NCOLS] = {
	[COL_PID] = { "PID", 0, SCOLS_FL_RIGHT, OUT_NUM, "process ID" },
	[COL_USER] = { "USER", 0, 0, OUT_STR, "effective user" },
	[COL_UID] = { "UID", 0, SCOLS_FL_RIGHT, OUT_NUM, "effective user ID" },
	[COL_COMMAND] = { "COMMAND", 0, 0, OUT_STR, "command name" },
	[COL_VMLCK] = { "VMLCK", 0, SCOLS_FL_RIGHT, OUT_SIZE, "locked memory (VmLck)" },
	[COL_VMPIN] = { "VMPIN", 0, SCOLS_FL_RIGHT, OUT_SIZE, "pinned memory (VmPin)" },
	[COL_LIMIT] = { "LIMIT", 0, SCOLS_FL_RIGHT, OUT_SIZE, "soft RLIMIT_MEMLOCK" },
	[COL_HARD] = { "HARD", 0, SCOLS_FL_RIGHT, OUT_SIZE, "hard RLIMIT_MEMLOCK" },
	[COL_USE] = { "USE%", 0, SCOLS_FL_RIGHT, OUT_NUM, "VmLck as a percentage of the soft limit" },
	[COL_CAP] = { "CAP", 0, 0, OUT_BOOL, "CAP_IPC_LOCK effective" },
	[COL_VMSIZE] = { "VMSIZE", 0, SCOLS_FL_RIGHT, OUT_SIZE, "virtual size (what mlockall charges)" },
	[COL_VMRSS] = { "VMRSS", 0, SCOLS_FL_RIGHT, OUT_SIZE, "resident memory" },
};

#define DEFAULT_COLS "PID,USER,COMMAND,VMLCK,VMPIN,LIMIT,USE%,CAP"

enum { MCOL_START, MCOL_END, MCOL_PERMS, MCOL_SIZE, MCOL_RSS, MCOL_LOCKED,
       MCOL_ONFAULT, MCOL_FLAGS, MCOL_PATH, NMCOLS };

static const struct out_col map_cols[NMCOLS] = {
	[MCOL_START] = { "START", 0, SCOLS_FL_RIGHT, OUT_NUM, "first address of the mapping" },
	[MCOL_END] = { "END", 0, SCOLS_FL_RIGHT, OUT_NUM, "end of the mapping (exclusive)" },
	[MCOL_PERMS] = { "PERMS", 0, 0, OUT_STR, "permissions" },
	[MCOL_SIZE] = { "SIZE", 0, SCOLS_FL_RIGHT, OUT_SIZE, "size of the mapping" },
	[MCOL_RSS] = { "RSS", 0, SCOLS_FL_RIGHT, OUT_SIZE, "resident in RAM" },
	[MCOL_LOCKED] = { "LOCKED", 0, SCOLS_FL_RIGHT, OUT_SIZE, "resident and locked (smaps Locked)" },
	[MCOL_ONFAULT] = { "ONFAULT", 0, 0, OUT_BOOL, "locked with MLOCK_ONFAULT" },
	[MCOL_FLAGS] = { "FLAGS", 0, 0, OUT_STR, "VmFlags" },
	[MCOL_PATH] = { "PATH", 0, 0, OUT_STR, "file or [name] of the mapping" },
};

#define DEFAULT_MAP_COLS "START,END,PERMS,SIZE,RSS,LOCKED,ONFAULT,PATH"

struct status_args {
	struct out_opts out;
	bool all, users;
	int maps_pid;
	bool have_min, have_max;
	uint64_t min, max;
	struct watch watch;		/* --interval, --count */
	bool prometheus;
	const char *prom_file;		/* --prometheus=FILE, or NULL: stdout */
	char **pids;
	int npids;
};

enum { OPT_MIN = 0x100, OPT_MAX, OPT_INTERVAL, OPT_COUNT, OPT_PROMETHEUS };

static const struct argp_option status_options[] = {
	{ "all", 'a', NULL, 0, "list every process (with --maps: every mapping)", 0 },
	{ "maps", 'm', "PID", 0, "show the mappings of PID from /proc/PID/smaps", 0 },
	{ "users", 'u', NULL, 0, "one row per user: VmLck, VmPin, SHM_LOCK and io_uring "
	  "memory summed, the smallest soft limit, the headroom", 0 },
	{ "min", OPT_MIN, "SIZE", 0, "exit 1 when a listed process has less locked", 0 },
	{ "max", OPT_MAX, "SIZE", 0, "exit 1 when a listed process has more locked", 0 },
	{ "interval", OPT_INTERVAL, "DURATION", 0, "sample again every DURATION (JSON: one "
	  "object a line; text: what changed)", 0 },
	{ "count", OPT_COUNT, "N", 0, "with --interval: N samples, then exit", 0 },
	{ "prometheus", OPT_PROMETHEUS, "FILE", OPTION_ARG_OPTIONAL, "the Prometheus text "
	  "format, to stdout or written atomically to FILE", 0 },
	{ 0 }
};

static error_t status_parse(int key, char *arg, struct argp_state *state)
{
	struct status_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->out;
		break;
	case 'a': a->all = true; break;
	case 'm': a->maps_pid = pid_arg_or_exit(arg); break;
	case OPT_MIN:
		a->min = size_arg_or_exit(arg, 0, "size");
		a->have_min = true;
		break;
	case OPT_MAX:
		a->max = size_arg_or_exit(arg, 0, "size");
		a->have_max = true;
		break;
	case 'u': a->users = true; break;
	case OPT_INTERVAL: watch_interval_arg(&a->watch, arg); break;
	case OPT_COUNT: watch_count_arg(&a->watch, arg); break;
	case OPT_PROMETHEUS:
		if (arg && !*arg)
			usage_error("invalid file '' for --prometheus: an empty name");
		a->prometheus = true;
		a->prom_file = arg;
		break;
	case ARGP_KEY_ARGS:
		a->pids = state->argv + state->next;
		a->npids = state->argc - state->next;
		state->next = state->argc;
		for (int i = 0; i < a->npids; i++)
			pid_arg_or_exit(a->pids[i]);
		break;
	case ARGP_KEY_END:
		if (a->maps_pid && a->npids)
			usage_error("--maps takes one pid; do not name others");
		if (a->have_min && a->have_max && a->min > a->max)
			usage_error("--min is above --max");
		if (a->users && (a->maps_pid || a->npids))
			usage_error("--users lists every user; it takes no pid and no --maps");
		watch_check(&a->watch);
		if (a->watch.on && a->maps_pid)
			usage_error("--interval does not repeat --maps");
		if (a->prometheus && (a->maps_pid || a->out.json || a->out.raw || a->out.pairs ||
				      a->out.list || a->out.all || a->out.noheadings))
			usage_error("--prometheus has its own format: no --maps, -J, -r, -P, -n "
				    "or -o");
		if (a->prometheus && (a->have_min || a->have_max))
			usage_error("--prometheus does not check --min or --max");
		if (a->users && (a->have_min || a->have_max))
			usage_error("--min and --max check processes; they do not go with --users");
		if (a->prometheus && a->users)
			usage_error("--prometheus writes the per-user metrics already; no --users");
		if (a->prometheus && !a->prom_file && a->watch.on)
			usage_error("--prometheus with --interval needs a FILE to rewrite: "
				    "--prometheus=FILE");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child status_children[] = {
	{ &output_argp, 0, "Output:", 0 },
	{ 0 }
};

static const struct argp status_argp = {
	status_options, status_parse, "[PID...]",
	"Show what processes have locked: VmLck and VmPin, the soft limit and "
	"CAP_IPC_LOCK.  Without PID: every process with locked or pinned memory "
	"(-a: every process), largest first, then the system's totals.  --users: "
	"the same per user, with what the kernel charges per user.\v",
	status_children, NULL, NULL
};

/* Whether /proc may hide processes from memlock (hidepid=invisible or
 * ptraceable, without CAP_SYS_PTRACE): then "no such process" may be
 * "not shown", and the totals may miss some. */
static bool hidden;

struct totals {
	uint64_t vmlck, vmpin, processes;
	uint64_t unreadable;	/* processes whose status could not be read */
	struct meminfo mi;
	bool have_mi;
	uint64_t shm_locked, shm_segs;
	bool have_shm;
};

/* A small cache: most systems have a handful of uids. */
static const char *user_name(uint32_t uid)
{
	static struct { uint32_t uid; char name[64]; } cache[64];
	static int n;
	struct passwd *pw;
	int i;

	for (i = 0; i < n; i++)
		if (cache[i].uid == uid)
			return cache[i].name;
	i = n < 64 ? n++ : (int)(uid % 64);
	cache[i].uid = uid;
	pw = getpwuid(uid);
	if (pw)
		snprintf(cache[i].name, sizeof(cache[i].name), "%s", pw->pw_name);
	else
		snprintf(cache[i].name, sizeof(cache[i].name), "%u", uid);
	return cache[i].name;
}

static uint64_t pages_up(uint64_t b)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);

	return (b + ps - 1) / ps * ps;
}

static int row_cmp(const void *x, const void *y)
{
	const struct scan_entry *a = x, *b = y;

	if (a->st.vmlck != b->st.vmlck)
		return a->st.vmlck > b->st.vmlck ? -1 : 1;
	if (a->st.vmpin != b->st.vmpin)
		return a->st.vmpin > b->st.vmpin ? -1 : 1;
	return (a->pid > b->pid) - (a->pid < b->pid);
}

static bool needs_limit(const struct out *out)
{
	return out_has(out, COL_LIMIT) || out_has(out, COL_HARD) || out_has(out, COL_USE);
}

static void out_size_or_dash(struct out *out, struct libscols_line *ln, int col,
			     bool have, uint64_t v)
{
	if (have)
		out_size(out, ln, col, v);
	else if (!out->opts->json)
		out_str(out, ln, col, "-");
}

static void status_row(struct out *out, const struct scan_entry *r)
{
	struct libscols_line *ln = out_line(out);
	const struct proc_status *st = &r->st;

	out_u64(out, ln, COL_PID, (uint64_t)r->pid);
	if (r->err) {
		/* Unreadable: "-" in text, null in JSON. */
		for (int c = COL_USER; c < NCOLS && !out->opts->json; c++)
			out_str(out, ln, c, "-");
		return;
	}
	out_str(out, ln, COL_USER, user_name(st->euid));
	out_u64(out, ln, COL_UID, st->euid);
	out_str(out, ln, COL_COMMAND, st->name);
	/* Only what the kernel wrote: a kernel thread or a zombie has no
	 * Vm* lines, and no figure stands for them ("-", null). */
	out_size_or_dash(out, ln, COL_VMLCK, st->have & PS_VMLCK, st->vmlck);
	out_size_or_dash(out, ln, COL_VMPIN, st->have & PS_VMPIN, st->vmpin);
	if (r->have_lim) {
		out_limit(out, ln, COL_LIMIT, r->lim.soft);
		out_limit(out, ln, COL_HARD, r->lim.hard);
		if (st->have & PS_VMLCK)
			out_percent(out, ln, COL_USE, st->vmlck, r->lim.soft);
	} else if (!out->opts->json) {
		out_str(out, ln, COL_LIMIT, "-");
		out_str(out, ln, COL_HARD, "-");
	}
	if (st->have & PS_CAPS) {
		struct cap_state cs;

		caps_from_masks(st->cap_eff, st->cap_prm, st->cap_bnd, &cs);
		out_bool(out, ln, COL_CAP, cs.ipc_lock.effective);
	}
	out_size_or_dash(out, ln, COL_VMSIZE, st->have & PS_VMSIZE, st->vmsize);
	out_size_or_dash(out, ln, COL_VMRSS, st->have & PS_VMRSS, st->vmrss);
}

static void read_totals(int procfd, struct totals *t)
{
	struct shm_seg *segs;
	size_t n;

	t->have_mi = procfs_read_meminfo(procfd, &t->mi) == 0;
	if (procfs_read_shm(procfd, &segs, &n) == 0) {
		t->have_shm = true;
		for (size_t i = 0; i < n; i++)
			if (segs[i].perms & SHM_LOCKED_BIT) {
				/* Locked, and charged, in whole pages. */
				t->shm_locked += pages_up(segs[i].size);
				t->shm_segs++;
			}
		free(segs);
	}
}

enum { SCOL_PROCESSES, SCOL_VMLCK, SCOL_VMPIN, SCOL_UNREADABLE, SCOL_MLOCKED,
       SCOL_UNEVICTABLE, SCOL_SHMLOCKED, SCOL_SHMSEGS, NSCOLS };

static const struct out_col summary_cols[NSCOLS] = {
	[SCOL_PROCESSES] = { "PROCESSES", 0, 0, OUT_NUM, "processes with locked or pinned memory" },
	[SCOL_VMLCK] = { "VMLCK", 0, 0, OUT_SIZE, "sum of VmLck" },
	[SCOL_VMPIN] = { "VMPIN", 0, 0, OUT_SIZE, "sum of VmPin" },
	[SCOL_UNREADABLE] = { "UNREADABLE", 0, 0, OUT_NUM, "processes that could not be read, not in the sums" },
	[SCOL_MLOCKED] = { "MLOCKED", 0, 0, OUT_SIZE, "Mlocked of /proc/meminfo" },
	[SCOL_UNEVICTABLE] = { "UNEVICTABLE", 0, 0, OUT_SIZE, "Unevictable of /proc/meminfo" },
	[SCOL_SHMLOCKED] = { "SHM_LOCKED", 0, 0, OUT_SIZE, "System V segments locked with SHM_LOCK" },
	[SCOL_SHMSEGS] = { "SHM_SEGMENTS", 0, 0, OUT_NUM, "how many such segments" },
};

static void print_summary_text(const struct totals *t, bool bytes)
{
	char a[SIZE_BUFSZ], b[SIZE_BUFSZ];

	printf("\nVmLck total  %8s in %llu process%s (VmPin %s)",
	       size_format(t->vmlck, bytes, a), (unsigned long long)t->processes,
	       t->processes == 1 ? "" : "es", size_format(t->vmpin, bytes, b));
	if (t->unreadable)
		printf("; %llu process%s could not be read, not counted",
		       (unsigned long long)t->unreadable, t->unreadable == 1 ? "" : "es");
	if (hidden)
		printf("; /proc hides the processes memlock may not trace (hidepid), "
		       "and theirs are not counted");
	putchar('\n');
	if (t->have_mi)
		printf("Mlocked      %8s   Unevictable %s (%s/meminfo)\n",
		       size_format(t->mi.mlocked, bytes, a),
		       size_format(t->mi.unevictable, bytes, b), PROCFS_ROOT);
	else
		printf("Mlocked      unknown: %s/meminfo cannot be read\n", PROCFS_ROOT);
	if (t->have_shm)
		printf("SHM_LOCK     %8s in %llu System V segment%s (never counted in VmLck)\n",
		       size_format(t->shm_locked, bytes, a), (unsigned long long)t->shm_segs,
		       t->shm_segs == 1 ? "" : "s");
	else
		printf("SHM_LOCK     unknown: %s/sysvipc/shm cannot be read\n", PROCFS_ROOT);
}

/* The system's totals, as a one-row table beside MAIN in JSON. */
static void summary_table(struct out *sum, const struct out *main_out, const struct totals *t)
{
	struct libscols_line *ln;

	out_init_side(sum, main_out, summary_cols, NSCOLS, "summary", true);
	ln = out_line(sum);
	out_u64(sum, ln, SCOL_PROCESSES, t->processes);
	out_size(sum, ln, SCOL_VMLCK, t->vmlck);
	out_size(sum, ln, SCOL_VMPIN, t->vmpin);
	/* Hidden processes cannot even be counted: not known. */
	if (!hidden)
		out_u64(sum, ln, SCOL_UNREADABLE, t->unreadable);
	if (t->have_mi) {
		out_size(sum, ln, SCOL_MLOCKED, t->mi.mlocked);
		out_size(sum, ln, SCOL_UNEVICTABLE, t->mi.unevictable);
	}
	if (t->have_shm) {
		out_size(sum, ln, SCOL_SHMLOCKED, t->shm_locked);
		out_u64(sum, ln, SCOL_SHMSEGS, t->shm_segs);
	}
}

/* --min/--max: one line on stderr for each process outside the range. */
static int check_bounds(const struct status_args *a, const struct scan_entry *rows, size_t n)
{
	char b1[SIZE_BUFSZ], b2[SIZE_BUFSZ];
	int status = EXIT_OK;

	/* A scan that lists nobody (named pids that cannot be read are said
	 * so already). */
	if (a->have_min && n == 0 && !a->npids) {
		msg_warnx("no process is listed, so none has --min %s locked",
		      size_format(a->min, false, b1));
		return EXIT_REFUSED;
	}
	for (size_t i = 0; i < n; i++) {
		const struct scan_entry *r = &rows[i];
		const char *name = r->st.name;

		if (r->err)
			;
		else if (a->have_min && !(r->st.have & PS_VMLCK)) {
			msg_warnx("pid %d (%s) has no address space (a kernel thread, or a "
				  "zombie): nothing locked, less than --min %s", r->pid, name,
				  size_format(a->min, false, b1));
			status = EXIT_REFUSED;
		} else if (a->have_min && r->st.vmlck < a->min) {
			size_format_apart(r->st.vmlck, a->min, b1, b2);
			msg_warnx("pid %d (%s) has %s locked, less than --min %s", r->pid,
				  name, b1, b2);
			status = EXIT_REFUSED;
		} else if (a->have_max && r->st.vmlck > a->max) {
			size_format_apart(r->st.vmlck, a->max, b1, b2);
			msg_warnx("pid %d (%s) has %s locked, more than --max %s", r->pid,
				  name, b1, b2);
			status = EXIT_REFUSED;
		}
	}
	return status;
}

static const char *read_error(int rc)
{
	if (rc == -ESRCH)
		return hidden ? "no such process, or hidden by /proc's hidepid" :
		       "no such process";
	return strerror(-rc);
}

static void map_row(struct out *out, const struct proc_map *m)
{
	struct libscols_line *ln = out_line(out);

	out_addr(out, ln, MCOL_START, m->start, true);
	out_addr(out, ln, MCOL_END, m->end, true);
	out_str(out, ln, MCOL_PERMS, m->perms);
	out_size(out, ln, MCOL_SIZE, m->size);
	out_size(out, ln, MCOL_RSS, m->rss);
	out_size(out, ln, MCOL_LOCKED, m->locked);
	out_bool(out, ln, MCOL_ONFAULT, m->vm_onfault);
	out_str(out, ln, MCOL_FLAGS, m->flags);
	out_str(out, ln, MCOL_PATH, m->path);
}

/* The process as a one-row table, heading --maps in JSON. */
static void maps_json(struct out *maps, int pid, const struct proc_status *st)
{
	struct out_opts o = *maps->opts;
	struct out proc;
	struct out *both[2] = { &proc, maps };
	struct libscols_line *ln;

	o.list = "PID,COMMAND,VMLCK,VMPIN";
	o.all = false;
	out_init_or_err(&proc, &o, status_cols, NCOLS, "", "process", "status");
	proc.single = true;
	ln = out_line(&proc);
	out_u64(&proc, ln, COL_PID, (uint64_t)pid);
	out_str(&proc, ln, COL_COMMAND, st->name);
	out_size(&proc, ln, COL_VMLCK, st->vmlck);
	out_size(&proc, ln, COL_VMPIN, st->vmpin);
	out_print_json(both, 2);
	out_free(&proc);
}

static int status_maps(int procfd, const struct status_args *a)
{
	struct scan_entry self = { .pid = a->maps_pid };
	struct proc_status st;
	struct proc_map *maps;
	struct out out;
	size_t n, shown = 0;
	char *title = NULL, b[SIZE_BUFSZ];
	int rc;

	rc = procfs_read_status(procfd, a->maps_pid, &st);
	if (rc == 0)
		rc = procfs_read_smaps(procfd, a->maps_pid, &maps, &n);
	if (rc) {
		msg_warnx("cannot read the mappings of pid %d: %s", a->maps_pid, read_error(rc));
		return EXIT_UNKNOWN;
	}
	out_init_or_err(&out, &a->out, map_cols, NMCOLS, DEFAULT_MAP_COLS, "maps", "status");
	for (size_t i = 0; i < n; i++)
		if (a->all || maps[i].vm_locked || maps[i].vm_onfault || maps[i].locked) {
			map_row(&out, &maps[i]);
			shown++;
		}
	if (a->out.json) {
		maps_json(&out, a->maps_pid, &st);
	} else {
		/* Printed here, escaped: libsmartcols prints no title above a
		 * table without rows, and "nothing locked" is an answer. */
		if (out_for_people(&a->out) && !a->out.noheadings &&
		    asprintf(&title, "pid %d (%s): VmLck %s in %zu %smapping%s", a->maps_pid,
			     st.name, size_format(st.vmlck, a->out.bytes, b), shown,
			     a->all ? "" : "locked ", shown == 1 ? "" : "s") > 0) {
			char *safe = msg_escape(title);

			printf("%s\n", safe ? safe : "?");
			free(safe);
		}
		out_print(&out);
	}
	free(title);
	out_free(&out);
	procfs_free_maps(maps, n);
	/* --min/--max hold for the process shown, as for a listed one. */
	self.st = st;
	return check_bounds(a, &self, 1);
}

/* The scan's choice of processes, and the totals over all it read. */
struct want_ctx {
	const struct status_args *a;
	unsigned more;		/* SCAN_LIMITS, SCAN_URING: what the output needs */
	bool named, every;	/* pids named; every process with an address space */
	struct totals *t;
	int *gone;		/* named pids with no such process (not rows) */
	size_t ngone;
};

static unsigned want_row(const struct scan_entry *e, void *arg)
{
	struct want_ctx *w = arg;
	bool locks = !e->err && (e->st.vmlck || e->st.vmpin);

	if (e->err != -ESRCH) {
		if (!e->err) {
			w->t->vmlck += e->st.vmlck;
			w->t->vmpin += e->st.vmpin;
			w->t->processes += locks;
		} else {
			w->t->unreadable++;
		}
	}
	if (w->named && e->err == -ESRCH) {
		w->gone[w->ngone++] = e->pid;
		return 0;
	}
	if (w->named)
		return SCAN_KEEP | (e->err ? 0 : w->more);
	if (w->every)
		return !e->err && (e->st.have & PS_VMSIZE) ? SCAN_KEEP | w->more : 0;
	if (!w->a->all && !locks)
		return 0;
	return SCAN_KEEP | (e->err ? 0 : w->more);
}

/* One row a user, summed over its processes (by real uid, whom the
 * kernel's per-user counters belong to). */
struct user_row {
	uint32_t uid;
	uint64_t procs, vmlck, vmpin, shm, uring;
	uint64_t min_soft;		/* SIZE_UNLIMITED when none is lower */
	uint64_t headroom;		/* the least room any of its charges has */
	bool limits_unread;		/* some process's limits could not be read */
	bool uring_unread;		/* some io_uring descriptor could not be */
	bool shm_unread;
};

enum { UCOL_USER, UCOL_UID, UCOL_PROCS, UCOL_VMLCK, UCOL_VMPIN, UCOL_SHM, UCOL_URING,
       UCOL_LIMIT, UCOL_HEADROOM, NUCOLS };

static const struct out_col user_cols[NUCOLS] = {
	[UCOL_USER] = { "USER", 0, 0, OUT_STR, "user (real uid)" },
	[UCOL_UID] = { "UID", 0, SCOLS_FL_RIGHT, OUT_NUM, "real user ID" },
	[UCOL_PROCS] = { "PROCS", 0, SCOLS_FL_RIGHT, OUT_NUM, "its processes" },
	[UCOL_VMLCK] = { "VMLCK", 0, SCOLS_FL_RIGHT, OUT_SIZE, "sum of their VmLck" },
	[UCOL_VMPIN] = { "VMPIN", 0, SCOLS_FL_RIGHT, OUT_SIZE, "sum of their VmPin" },
	[UCOL_SHM] = { "SHM_LOCKED", 0, SCOLS_FL_RIGHT, OUT_SIZE,
		       "its System V segments locked with SHM_LOCK" },
	[UCOL_URING] = { "IO_URING", 0, SCOLS_FL_RIGHT, OUT_SIZE,
			 "io_uring registered buffers and rings, charged to the user" },
	[UCOL_LIMIT] = { "LIMIT", 0, SCOLS_FL_RIGHT, OUT_SIZE,
			 "the smallest soft RLIMIT_MEMLOCK among its processes" },
	[UCOL_HEADROOM] = { "HEADROOM", 0, SCOLS_FL_RIGHT, OUT_SIZE,
			    "the least room left: a process's VmLck, or the user's SHM or "
			    "io_uring memory, against the soft limit" },
};

#define DEFAULT_USER_COLS "USER,UID,PROCS,VMLCK,VMPIN,SHM_LOCKED,IO_URING,LIMIT,HEADROOM"

/* Whether the running kernel charges io_uring's rings (6.14 on). */
static bool rings_charged(void)
{
	static int known = -1;
	struct utsname u;
	int maj, min;

	if (known < 0)
		known = uname(&u) == 0 && sscanf(u.release, "%d.%d", &maj, &min) == 2 &&
			(maj > 6 || (maj == 6 && min >= 14));
	return known;
}

static struct user_row *user_of(struct user_row **v, size_t *n, uint32_t uid)
{
	struct user_row *nv;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].uid == uid)
			return &(*v)[i];
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		msg_err(EXIT_UNKNOWN, "out of memory");
	*v = nv;
	nv[*n] = (struct user_row){ .uid = uid, .min_soft = SIZE_UNLIMITED,
				    .headroom = SIZE_UNLIMITED };
	return &nv[(*n)++];
}


static uint64_t room(uint64_t limit, uint64_t used)
{
	if (limit == SIZE_UNLIMITED)
		return SIZE_UNLIMITED;
	return limit > used ? limit - used : 0;
}

static int user_cmp(const void *x, const void *y)
{
	const struct user_row *a = x, *b = y;
	uint64_t ta = a->vmlck + a->vmpin + a->shm + a->uring;
	uint64_t tb = b->vmlck + b->vmpin + b->shm + b->uring;

	if (ta != tb)
		return ta > tb ? -1 : 1;
	return (a->uid > b->uid) - (a->uid < b->uid);
}

/* The per-user sums of a scan made with SCAN_LIMITS and SCAN_URING. */
static struct user_row *users_of(int procfd, const struct scan *s, bool have_shm, size_t *n)
{
	struct user_row *v = NULL;
	struct shm_seg *segs;
	size_t nsegs = 0;

	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct scan_entry *e = &s->e[i];
		struct user_row *u;

		if (e->err)
			continue;
		u = user_of(&v, n, e->st.uid);
		u->procs++;
		u->vmlck += e->st.vmlck;
		u->vmpin += e->st.vmpin;
		if (!scan_uring_uncharged(e)) {
			u->uring += e->uring.bufs + (rings_charged() ? e->uring.ring_bytes : 0);
			u->uring_unread |= e->uring.hidden != 0;
		}
		if (!e->have_lim) {
			u->limits_unread = true;
			continue;
		}
		if (e->lim.soft < u->min_soft)
			u->min_soft = e->lim.soft;
		if (room(e->lim.soft, e->st.vmlck) < u->headroom)
			u->headroom = room(e->lim.soft, e->st.vmlck);
	}
	/* SHM_LOCK is charged to the user who locked; /proc shows the
	 * owner, who may lock without CAP_IPC_LOCK. */
	if (have_shm && procfs_read_shm(procfd, &segs, &nsegs) == 0) {
		/* Charged in whole pages (mm/mlock.c user_shm_lock()). */
		for (size_t k = 0; k < nsegs; k++)
			if (segs[k].perms & SHM_LOCKED_BIT)
				user_of(&v, n, segs[k].uid)->shm += pages_up(segs[k].size);
		free(segs);
	} else {
		for (size_t i = 0; i < *n; i++)
			v[i].shm_unread = true;
	}
	for (size_t i = 0; i < *n; i++) {
		struct user_row *u = &v[i];

		if (room(u->min_soft, u->shm) < u->headroom)
			u->headroom = room(u->min_soft, u->shm);
		if (room(u->min_soft, u->uring) < u->headroom)
			u->headroom = room(u->min_soft, u->uring);
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), user_cmp);
	return v;
}

static void user_line(struct out *out, const struct user_row *u)
{
	struct libscols_line *ln = out_line(out);
	bool dash = !out->opts->json;

	out_str(out, ln, UCOL_USER, user_name(u->uid));
	out_u64(out, ln, UCOL_UID, u->uid);
	out_u64(out, ln, UCOL_PROCS, u->procs);
	out_size(out, ln, UCOL_VMLCK, u->vmlck);
	out_size(out, ln, UCOL_VMPIN, u->vmpin);
	/* What could not be read is "-" and null, never a partial sum. */
	if (!u->shm_unread)
		out_size(out, ln, UCOL_SHM, u->shm);
	else if (dash)
		out_str(out, ln, UCOL_SHM, "-");
	if (!u->uring_unread)
		out_size(out, ln, UCOL_URING, u->uring);
	else if (dash)
		out_str(out, ln, UCOL_URING, "-");
	if (!u->limits_unread || u->min_soft != SIZE_UNLIMITED)
		out_limit(out, ln, UCOL_LIMIT, u->min_soft);
	else if (dash)
		out_str(out, ln, UCOL_LIMIT, "-");
	if (!u->limits_unread && !u->uring_unread && !u->shm_unread)
		out_limit(out, ln, UCOL_HEADROOM, u->headroom);
	else if (dash)
		out_str(out, ln, UCOL_HEADROOM, "-");
}

/* ---- one sample: the scan, and what it is turned into ---- */

struct sample {
	struct scan scan;
	int *gone;		/* named pids that do not exist */
	size_t ngone;
	struct totals t;
	struct user_row *users;
	size_t nusers;
	char time[40];		/* ISO 8601, UTC, with milliseconds */
};

static void sample_free(struct sample *sm)
{
	procscan_free(&sm->scan);
	free(sm->users);
	free(sm->gone);
	memset(sm, 0, sizeof(*sm));
}

/* Takes a sample: the rows wanted, the totals; -errno when /proc cannot be
 * listed, or a named pid that could not be read (its entry has ERR). */
static int take(int procfd, const struct status_args *a, const int *pids, bool limits,
		struct sample *sm)
{
	struct want_ctx w = { .a = a, .t = &sm->t, .named = a->npids > 0,
			      .more = limits ? SCAN_LIMITS : 0 };
	int rc;

	memset(sm, 0, sizeof(*sm));
	watch_time(sm->time, sizeof(sm->time));
	sm->gone = w.gone = calloc((size_t)a->npids + 1, sizeof(int));
	if (!w.gone)
		return -ENOMEM;
	if (a->users || a->prometheus) {
		w.every = !a->npids;
		w.more = SCAN_LIMITS | SCAN_URING;
	}
	rc = procscan(procfd, a->npids ? pids : NULL, (size_t)a->npids, want_row, &w, &sm->scan);
	sm->ngone = w.ngone;
	if (rc)
		return rc;
	if (!a->npids) {
		read_totals(procfd, &sm->t);
		if (a->users || a->prometheus)
			sm->users = users_of(procfd, &sm->scan, sm->t.have_shm, &sm->nusers);
		if (sm->scan.n > 1)
			qsort(sm->scan.e, sm->scan.n, sizeof(*sm->scan.e), row_cmp);
	}
	return 0;
}

/* ---- Prometheus ---- */

/* A label value as the text format wants it (\\, \" and \n escaped),
 * after memlock's own escaping of control bytes and invalid UTF-8. */
static void prom_label(FILE *f, const char *name, const char *value, bool first)
{
	char *e = msg_escape(value);

	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = e ? e : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
	free(e);
}

static void prom_value(FILE *f, uint64_t v)
{
	if (v == SIZE_UNLIMITED)
		fputs(" +Inf\n", f);
	else
		fprintf(f, " %llu\n", (unsigned long long)v);
}

static void prom_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP memlock_%s %s\n# TYPE memlock_%s gauge\n", name, help, name);
}

static void prom_process(FILE *f, const char *metric, const struct scan_entry *e, uint64_t v)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", e->pid);
	fprintf(f, "memlock_%s{", metric);
	prom_label(f, "pid", pid, true);
	prom_label(f, "command", e->st.name, false);
	prom_label(f, "user", user_name(e->st.euid), false);
	fputc('}', f);
	prom_value(f, v);
}

static void prom_user(FILE *f, const char *metric, const struct user_row *u, uint64_t v)
{
	char uid[16];

	snprintf(uid, sizeof(uid), "%u", u->uid);
	fprintf(f, "memlock_%s{", metric);
	prom_label(f, "user", user_name(u->uid), true);
	prom_label(f, "uid", uid, false);
	fputc('}', f);
	prom_value(f, v);
}

static bool prom_listed(const struct status_args *a, const struct scan_entry *e)
{
	return !e->err && (a->all || a->npids || e->st.vmlck || e->st.vmpin);
}

static void prometheus(FILE *f, const struct status_args *a, const struct sample *sm)
{
	static const struct {
		const char *name, *help;
	} pm[] = {
		{ "process_locked_bytes", "Locked memory of the process (VmLck)." },
		{ "process_pinned_bytes", "Pinned memory of the process (VmPin)." },
		{ "process_limit_soft_bytes", "Soft RLIMIT_MEMLOCK of the process." },
		{ "process_limit_hard_bytes", "Hard RLIMIT_MEMLOCK of the process." },
	};

	for (size_t m = 0; m < 4; m++) {
		prom_head(f, pm[m].name, pm[m].help);
		for (size_t i = 0; i < sm->scan.n; i++) {
			const struct scan_entry *e = &sm->scan.e[i];

			if (!prom_listed(a, e))
				continue;
			if (m == 0 && (e->st.have & PS_VMLCK))
				prom_process(f, pm[m].name, e, e->st.vmlck);
			else if (m == 1 && (e->st.have & PS_VMPIN))
				prom_process(f, pm[m].name, e, e->st.vmpin);
			else if (m == 2 && e->have_lim)
				prom_process(f, pm[m].name, e, e->lim.soft);
			else if (m == 3 && e->have_lim)
				prom_process(f, pm[m].name, e, e->lim.hard);
		}
	}
	if (a->npids)
		return;
	prom_head(f, "user_locked_bytes", "Sum of VmLck over the user's processes.");
	for (size_t i = 0; i < sm->nusers; i++)
		prom_user(f, "user_locked_bytes", &sm->users[i], sm->users[i].vmlck);
	prom_head(f, "user_pinned_bytes", "Sum of VmPin over the user's processes.");
	for (size_t i = 0; i < sm->nusers; i++)
		prom_user(f, "user_pinned_bytes", &sm->users[i], sm->users[i].vmpin);
	prom_head(f, "user_shm_locked_bytes", "System V segments of the user locked with SHM_LOCK.");
	for (size_t i = 0; i < sm->nusers; i++)
		if (!sm->users[i].shm_unread)
			prom_user(f, "user_shm_locked_bytes", &sm->users[i], sm->users[i].shm);
	prom_head(f, "user_io_uring_bytes", "io_uring registered buffers and rings charged to the user.");
	for (size_t i = 0; i < sm->nusers; i++)
		if (!sm->users[i].uring_unread)
			prom_user(f, "user_io_uring_bytes", &sm->users[i], sm->users[i].uring);
	prom_head(f, "user_limit_soft_min_bytes", "The smallest soft RLIMIT_MEMLOCK among the user's processes.");
	for (size_t i = 0; i < sm->nusers; i++)
		if (!sm->users[i].limits_unread || sm->users[i].min_soft != SIZE_UNLIMITED)
			prom_user(f, "user_limit_soft_min_bytes", &sm->users[i], sm->users[i].min_soft);
	prom_head(f, "system_locked_bytes", "Sum of VmLck over every process read.");
	fprintf(f, "memlock_system_locked_bytes %llu\n", (unsigned long long)sm->t.vmlck);
	prom_head(f, "system_pinned_bytes", "Sum of VmPin over every process read.");
	fprintf(f, "memlock_system_pinned_bytes %llu\n", (unsigned long long)sm->t.vmpin);
	if (sm->t.have_mi) {
		prom_head(f, "system_mlocked_bytes", "Mlocked of /proc/meminfo.");
		fprintf(f, "memlock_system_mlocked_bytes %llu\n",
			(unsigned long long)sm->t.mi.mlocked);
		prom_head(f, "system_unevictable_bytes", "Unevictable of /proc/meminfo.");
		fprintf(f, "memlock_system_unevictable_bytes %llu\n",
			(unsigned long long)sm->t.mi.unevictable);
	}
	if (sm->t.have_shm) {
		prom_head(f, "system_shm_locked_bytes", "System V segments locked with SHM_LOCK.");
		fprintf(f, "memlock_system_shm_locked_bytes %llu\n",
			(unsigned long long)sm->t.shm_locked);
	}
	prom_head(f, "processes_unreadable", "Processes whose status could not be read, not in the sums.");
	fprintf(f, "memlock_processes_unreadable %llu\n", (unsigned long long)sm->t.unreadable);
}

/* FILE written whole or not at all: a temporary file beside it, renamed
 * over it (what node_exporter's textfile collector asks for). */
static int prometheus_file(const char *file, const struct status_args *a,
			   const struct sample *sm)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd, rc = 0;

	if (asprintf(&tmp, "%s.XXXXXX", file) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0 || fchmod(fd, 0644) != 0 || !(f = fdopen(fd, "w"))) {
		rc = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return rc;
	}
	prometheus(f, a, sm);
	if (fflush(f) != 0 || ferror(f) || fsync(fd) != 0)
		rc = -errno;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, file) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc ? rc : 0;
}

/* ---- printing a sample ---- */

static void print_sample(const struct status_args *a, struct sample *sm, bool limits)
{
	struct out out, sum;

	if (a->users) {
		out_init_or_err(&out, &a->out, user_cols, NUCOLS, DEFAULT_USER_COLS, "users",
				"status");
		for (size_t i = 0; i < sm->nusers; i++)
			user_line(&out, &sm->users[i]);
	} else {
		out_init_or_err(&out, &a->out, status_cols, NCOLS, DEFAULT_COLS, "processes",
				"status");
		for (size_t i = 0; i < sm->scan.n; i++)
			status_row(&out, &sm->scan.e[i]);
	}
	(void)limits;
	if (a->out.json) {
		putchar('{');
		if (a->watch.on)
			out_json_pair("time", sm->time, true);
		out_json_part(&out, !a->watch.on);
		if (!a->npids) {
			summary_table(&sum, &out, &sm->t);
			out_json_part(&sum, false);
			out_free(&sum);
		}
		puts(a->watch.on ? "}" : "\n}");
	} else {
		out_print(&out);
		if (out_for_people(&a->out) && !a->out.noheadings && !a->npids)
			print_summary_text(&sm->t, a->out.bytes);
	}
	out_free(&out);
}

/* --interval in text: what changed since PREV, a line each. */
static void print_changes(const struct status_args *a, const struct sample *prev,
			  const struct sample *cur)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ];
	bool any = false;

	for (size_t i = 0; i < cur->scan.n; i++) {
		const struct scan_entry *e = &cur->scan.e[i], *p = NULL;
		char *name;

		if (e->err)
			continue;
		for (size_t j = 0; j < prev->scan.n && !p; j++)
			if (prev->scan.e[j].pid == e->pid && !prev->scan.e[j].err)
				p = &prev->scan.e[j];
		if (p && p->st.vmlck == e->st.vmlck && p->st.vmpin == e->st.vmpin)
			continue;
		name = msg_escape(e->st.name);
		if (p && !a->out.bytes)
			size_format_apart(e->st.vmlck, p->st.vmlck, x, y);
		if (p)
			printf("%s  pid %d (%s): VmLck %s, was %s", cur->time, e->pid,
			       name ? name : "?", a->out.bytes ? size_format(e->st.vmlck, true, x) : x,
			       a->out.bytes ? size_format(p->st.vmlck, true, y) : y);
		else
			printf("%s  pid %d (%s): new, VmLck %s", cur->time, e->pid,
			       name ? name : "?", size_format(e->st.vmlck, a->out.bytes, x));
		printf(", VmPin %s\n", size_format(e->st.vmpin, a->out.bytes, x));
		free(name);
		any = true;
	}
	for (size_t j = 0; j < prev->scan.n; j++) {
		const struct scan_entry *p = &prev->scan.e[j];
		bool still = false;

		for (size_t i = 0; i < cur->scan.n && !still; i++)
			still = cur->scan.e[i].pid == p->pid && !cur->scan.e[i].err;
		if (!still && !p->err) {
			char *name = msg_escape(p->st.name);

			printf("%s  pid %d (%s): gone from the list (had VmLck %s)\n", cur->time,
			       p->pid, name ? name : "?", size_format(p->st.vmlck, a->out.bytes, x));
			free(name);
			any = true;
		}
	}
	if (!a->npids && (any || prev->t.vmlck != cur->t.vmlck)) {
		if (a->out.bytes) {
			size_format(cur->t.vmlck, true, x);
			size_format(prev->t.vmlck, true, y);
		} else {
			size_format_apart(cur->t.vmlck, prev->t.vmlck, x, y);
		}
		printf("%s  VmLck total %s, was %s\n", cur->time, x, y);
	}
	else if (!any)
		printf("%s  no change\n", cur->time);
}

/* A per-user figure for a change line: "-" when it was not read. */
static const char *user_fig(uint64_t v, bool unread, bool bytes, char buf[SIZE_BUFSZ])
{
	return unread ? "-" : size_format(v, bytes, buf);
}

static void print_user_changes(const struct status_args *a, const struct sample *prev,
			       const struct sample *cur)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ], p1[SIZE_BUFSZ], sh[SIZE_BUFSZ], ur[SIZE_BUFSZ];
	bool any = false, b = a->out.bytes;

	for (size_t i = 0; i < cur->nusers; i++) {
		const struct user_row *u = &cur->users[i], *p = NULL;

		for (size_t j = 0; j < prev->nusers && !p; j++)
			if (prev->users[j].uid == u->uid)
				p = &prev->users[j];
		if (p && p->vmlck == u->vmlck && p->vmpin == u->vmpin && p->shm == u->shm &&
		    p->uring == u->uring && p->shm_unread == u->shm_unread &&
		    p->uring_unread == u->uring_unread)
			continue;
		if (p && !b) {
			size_format_apart(u->vmlck, p->vmlck, x, y);
		} else {
			size_format(u->vmlck, b, x);
			size_format(p ? p->vmlck : 0, b, y);
		}
		printf("%s  user %s: %sVmLck %s%s%s; VmPin %s; SHM %s; io_uring %s\n", cur->time,
		       user_name(u->uid), p ? "" : "new, ", x, p ? ", was " : "", p ? y : "",
		       size_format(u->vmpin, b, p1), user_fig(u->shm, u->shm_unread, b, sh),
		       user_fig(u->uring, u->uring_unread, b, ur));
		any = true;
	}
	for (size_t j = 0; j < prev->nusers; j++) {
		bool still = false;

		for (size_t i = 0; i < cur->nusers && !still; i++)
			still = cur->users[i].uid == prev->users[j].uid;
		if (!still) {
			printf("%s  user %s: no process any more (had VmLck %s)\n", cur->time,
			       user_name(prev->users[j].uid), size_format(prev->users[j].vmlck, b, x));
			any = true;
		}
	}
	if (!any)
		printf("%s  no change\n", cur->time);
}

int cmd_status(int argc, char **argv)
{
	struct status_args a = { .out = { .cols = status_cols, .ncols = NCOLS,
					  .alt_name = "maps", .alt_cols = map_cols,
					  .alt_ncols = NMCOLS, .alt2_name = "users",
					  .alt2_cols = user_cols, .alt2_ncols = NUCOLS } };
	struct sample cur, prev = { 0 };
	int procfd, rc, status = EXIT_OK, *pids = NULL;
	bool limits;

	cli_parse(&status_argp, argc, argv, 0, &a);
	procfd = procfs_open_or_err();
	rc = procfs_hidepid(procfd);
	hidden = rc < 0 || (rc >= 2 && !caps_self_effective(CAP_SYS_PTRACE));
	if (a.maps_pid)
		return status_maps(procfd, &a);
	/* The columns decide whether limits are read at all. */
	{
		struct out probe;

		out_init_or_err(&probe, &a.out, a.users ? user_cols : status_cols,
				a.users ? NUCOLS : NCOLS, a.users ? DEFAULT_USER_COLS :
				DEFAULT_COLS, "processes", "status");
		limits = a.users || needs_limit(&probe);
		out_free(&probe);
	}
	if (a.npids) {
		int n = 0;

		pids = calloc((size_t)a.npids, sizeof(*pids));
		if (!pids)
			msg_err(EXIT_UNKNOWN, "out of memory");
		/* A pid named twice is listed once. */
		for (int i = 0; i < a.npids; i++) {
			int pid = pid_arg_or_exit(a.pids[i]);
			bool again = false;

			for (int j = 0; j < n && !again; j++)
				again = pids[j] == pid;
			if (!again)
				pids[n++] = pid;
		}
		a.npids = n;
	}
	if (a.watch.on && a.out.json)
		out_json_compact(true);
	watch_start(&a.watch);
	for (;;) {
		rc = take(procfd, &a, pids, limits, &cur);
		if (rc)
			msg_errx(EXIT_UNKNOWN, "cannot list %s: %s", PROCFS_ROOT, strerror(-rc));
		/* Named and not read: one line each, in the order named. */
		for (int k = 0; k < a.npids && a.watch.taken == 0; k++) {
			int err = 0;

			for (size_t i = 0; i < cur.ngone && !err; i++)
				err = cur.gone[i] == pids[k] ? -ESRCH : 0;
			for (size_t i = 0; i < cur.scan.n && !err; i++)
				if (cur.scan.e[i].pid == pids[k])
					err = cur.scan.e[i].err;
			if (err) {
				msg_warnx("cannot read pid %d: %s", pids[k], read_error(err));
				status = EXIT_UNKNOWN;
			}
		}
		if (a.prometheus && a.prom_file) {
			struct stat st;

			/* Renamed over: only a regular file may be replaced so,
			 * never a device, a FIFO or a symbolic link (the link,
			 * not its target, would be).  Each time (--interval). */
			if (lstat(a.prom_file, &st) == 0 && !S_ISREG(st.st_mode)) {
				msg_warnx("refusing to write '%s': it is not a regular file, and "
					  "--prometheus replaces FILE by renaming a new file over it",
					  a.prom_file);
				sample_free(&cur);
				sample_free(&prev);
				free(pids);
				return EXIT_USAGE;
			}
			rc = prometheus_file(a.prom_file, &a, &cur);
			if (rc) {
				msg_warnx("cannot write '%s': %s", a.prom_file, strerror(-rc));
				sample_free(&cur);
				sample_free(&prev);
				free(pids);
				return EXIT_REFUSED;
			}
		} else if (a.prometheus) {
			prometheus(stdout, &a, &cur);
		} else if (a.watch.taken == 0 || a.out.json || !out_for_people(&a.out)) {
			if (a.watch.on && out_for_people(&a.out) && !a.out.noheadings)
				printf("%s\n", cur.time);
			print_sample(&a, &cur, limits);
		} else if (a.users) {
			print_user_changes(&a, &prev, &cur);
		} else {
			print_changes(&a, &prev, &cur);
		}
		/* --min/--max: each sample's listed processes. */
		if (!a.prometheus && !a.users) {
			rc = check_bounds(&a, cur.scan.e, cur.scan.n);
			if (status == EXIT_OK)
				status = rc;
		}
		if (fflush(stdout) != 0)
			break;
		sample_free(&prev);
		prev = cur;
		if (!watch_next(&a.watch))
			break;
	}
	sample_free(&prev);
	free(pids);
	return status;
}
