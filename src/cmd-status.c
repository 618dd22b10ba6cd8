/* memlock status: what processes have locked, and the system's totals. */
#define _GNU_SOURCE
#include "caps.h"
#include "msg.h"
#include "commands.h"
#include "output.h"
#include "procfs.h"
#include "rlimit.h"
#include "size.h"

#include <errno.h>
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
	bool all;
	int maps_pid;
	bool have_min, have_max;
	uint64_t min, max;
	char **pids;
	int npids;
};

enum { OPT_MIN = 0x100, OPT_MAX };

static const struct argp_option status_options[] = {
	{ "all", 'a', NULL, 0, "list every process (with --maps: every mapping)", 0 },
	{ "maps", 'm', "PID", 0, "show the mappings of PID from /proc/PID/smaps", 0 },
	{ "min", OPT_MIN, "SIZE", 0, "exit 1 when a listed process has less locked", 0 },
	{ "max", OPT_MAX, "SIZE", 0, "exit 1 when a listed process has more locked", 0 },
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
	"(-a: every process), largest first, then the system's totals.\v",
	status_children, NULL, NULL
};

/* One row: a process as read, or one that could not be read. */
struct row {
	int pid;
	int err;		/* 0, or why its files could not be read */
	struct proc_status st;
	struct memlock_limit lim;
	bool have_lim;
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

static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

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

static void status_row(struct out *out, const struct row *r)
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
				t->shm_locked += segs[i].size;
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

static void print_summary_json(struct out *main_out, const struct totals *t)
{
	struct out sum;
	struct out *both[2] = { main_out, &sum };
	struct libscols_line *ln;

	out_init_side(&sum, main_out, summary_cols, NSCOLS, "summary", true);
	ln = out_line(&sum);
	out_u64(&sum, ln, SCOL_PROCESSES, t->processes);
	out_size(&sum, ln, SCOL_VMLCK, t->vmlck);
	out_size(&sum, ln, SCOL_VMPIN, t->vmpin);
	/* Hidden processes cannot even be counted: not known. */
	if (!hidden)
		out_u64(&sum, ln, SCOL_UNREADABLE, t->unreadable);
	if (t->have_mi) {
		out_size(&sum, ln, SCOL_MLOCKED, t->mi.mlocked);
		out_size(&sum, ln, SCOL_UNEVICTABLE, t->mi.unevictable);
	}
	if (t->have_shm) {
		out_size(&sum, ln, SCOL_SHMLOCKED, t->shm_locked);
		out_u64(&sum, ln, SCOL_SHMSEGS, t->shm_segs);
	}
	out_print_json(both, 2);
	out_free(&sum);
}

/* Adds a row for PID; for a scan, skips those that vanished or lock nothing. */
static int add_row(int procfd, int pid, bool named, const struct status_args *a,
		   struct row **rows, size_t *n, size_t *cap, struct totals *t)
{
	struct row r = { .pid = pid };

	r.err = procfs_read_status(procfd, pid, &r.st);
	if (r.err == -ESRCH)
		return named ? r.err : 0;
	if (r.err == 0) {
		t->vmlck += r.st.vmlck;
		t->vmpin += r.st.vmpin;
		if (r.st.vmlck || r.st.vmpin)
			t->processes++;
	} else {
		t->unreadable++;
	}
	if (!named && !a->all && (r.err || (!r.st.vmlck && !r.st.vmpin)))
		return 0;
	if (*n == *cap) {
		struct row *nr = realloc(*rows, (*cap = *cap ? *cap * 2 : 64) * sizeof(**rows));

		if (!nr)
			msg_err(EXIT_UNKNOWN, "out of memory");
		*rows = nr;
	}
	(*rows)[(*n)++] = r;
	return r.err;
}

/* --min/--max: one line on stderr for each process outside the range. */
static int check_bounds(const struct status_args *a, const struct row *rows, size_t n)
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
		const struct row *r = &rows[i];
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
	struct row self = { .pid = a->maps_pid };
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

int cmd_status(int argc, char **argv)
{
	struct status_args a = { .out = { .cols = status_cols, .ncols = NCOLS,
					  .alt_name = "maps", .alt_cols = map_cols,
					  .alt_ncols = NMCOLS } };
	struct row *rows = NULL;
	struct totals t = { 0 };
	struct out out;
	size_t n = 0, cap = 0;
	int procfd, rc, status = EXIT_OK;

	cli_parse(&status_argp, argc, argv, 0, &a);
	procfd = procfs_open_or_err();
	rc = procfs_hidepid(procfd);
	hidden = rc < 0 || (rc >= 2 && !caps_self_effective(CAP_SYS_PTRACE));
	if (a.maps_pid)
		return status_maps(procfd, &a);
	out_init_or_err(&out, &a.out, status_cols, NCOLS, DEFAULT_COLS, "processes", "status");
	if (a.npids) {
		for (int i = 0; i < a.npids; i++) {
			int pid = pid_arg_or_exit(a.pids[i]);
			bool again = false;

			/* A pid named twice is listed once. */
			for (int j = 0; j < i && !again; j++)
				again = pid_arg_or_exit(a.pids[j]) == pid;
			if (again)
				continue;

			rc = add_row(procfd, pid, true, &a, &rows, &n, &cap, &t);
			if (rc) {
				msg_warnx("cannot read pid %d: %s", pid, read_error(rc));
				status = EXIT_UNKNOWN;
			}
		}
	} else {
		int *pids;
		size_t np;

		rc = procfs_list_pids(procfd, &pids, &np);
		if (rc)
			msg_errx(EXIT_UNKNOWN, "cannot list %s: %s", PROCFS_ROOT, strerror(-rc));
		for (size_t i = 0; i < np; i++)
			add_row(procfd, pids[i], false, &a, &rows, &n, &cap, &t);
		free(pids);
		read_totals(procfd, &t);
		if (n > 1)
			qsort(rows, n, sizeof(*rows), row_cmp);
	}
	for (size_t i = 0; i < n; i++) {
		if (rows[i].err == 0 && needs_limit(&out))
			rows[i].have_lim = rlimit_get(procfd, rows[i].pid, &rows[i].lim) == 0;
		status_row(&out, &rows[i]);
	}
	if (a.out.json && !a.npids)
		print_summary_json(&out, &t);
	else
		out_print(&out);
	if (out_for_people(&a.out) && !a.out.noheadings && !a.npids)
		print_summary_text(&t, a.out.bytes);
	/* Each listed process is checked, whether or not another could be
	 * read; what could not be read decides the status. */
	rc = check_bounds(&a, rows, n);
	if (status == EXIT_OK)
		status = rc;
	out_free(&out);
	free(rows);
	return status;
}
