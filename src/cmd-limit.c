/* memlock limit: read, set or raise RLIMIT_MEMLOCK, or run a command under it. */
#define _GNU_SOURCE
#include "commands.h"
#include "msg.h"
#include "output.h"
#include "procfs.h"
#include "rlimit.h"
#include "size.h"

#include <errno.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { COL_PID, COL_COMMAND, COL_OLD_SOFT, COL_OLD_HARD, COL_SOFT, COL_HARD,
       COL_VMLCK, COL_USE, COL_SOURCE, NCOLS };

static const struct out_col limit_cols[NCOLS] = {
	[COL_PID] = { "PID", 0, SCOLS_FL_RIGHT, OUT_NUM, "process ID" },
	[COL_COMMAND] = { "COMMAND", 0, 0, OUT_STR, "command name" },
	[COL_OLD_SOFT] = { "OLD_SOFT", 0, SCOLS_FL_RIGHT, OUT_SIZE, "soft limit before --set or --raise" },
	[COL_OLD_HARD] = { "OLD_HARD", 0, SCOLS_FL_RIGHT, OUT_SIZE, "hard limit before --set or --raise" },
	[COL_SOFT] = { "SOFT", 0, SCOLS_FL_RIGHT, OUT_SIZE, "soft limit: what mlock() is held to" },
	[COL_HARD] = { "HARD", 0, SCOLS_FL_RIGHT, OUT_SIZE, "hard limit: how far the soft one may be raised" },
	[COL_VMLCK] = { "VMLCK", 0, SCOLS_FL_RIGHT, OUT_SIZE, "memory locked now (VmLck)" },
	[COL_USE] = { "USE%", 0, SCOLS_FL_RIGHT, OUT_NUM, "VmLck as a percentage of the soft limit" },
	[COL_SOURCE] = { "SOURCE", 0, 0, OUT_STR, "where the limit was read: prlimit or limits" },
};

#define READ_COLS "PID,COMMAND,SOFT,HARD,VMLCK"
#define SET_COLS "PID,COMMAND,OLD_SOFT,OLD_HARD,SOFT,HARD"

struct limit_args {
	struct out_opts out;
	int pid;			/* 0: memlock, or the shell when changing */
	bool set, raise, have_min;
	bool set_soft, set_hard;	/* which halves --set gives */
	uint64_t soft, hard, min;
	char **cmd;			/* -- COMMAND ARG... */
};

enum { OPT_SET = 0x100, OPT_RAISE, OPT_MIN };

static const struct argp_option limit_options[] = {
	{ "pid", 'p', "PID", 0, "the process to read or change (default: read memlock's "
	  "own limit, what your shell's children get; change your shell's)", 0 },
	{ "set", OPT_SET, "SOFT[:HARD]", 0,
	  "set the limits: SOFT:HARD, SOFT:, :HARD, or one VALUE for both; sizes or unlimited", 0 },
	{ "raise", OPT_RAISE, NULL, 0, "raise the soft limit to the hard one", 0 },
	{ "min", OPT_MIN, "SIZE", 0, "exit 1 when the soft limit is lower than SIZE", 0 },
	{ 0 }
};

/* --set: "SOFT:HARD", "SOFT:", ":HARD" or "VALUE". */
static void set_arg(struct limit_args *a, char *arg)
{
	char *colon = strchr(arg, ':');

	a->set = true;
	if (!colon) {
		a->soft = a->hard = size_arg_or_exit(arg, SIZE_ALLOW_UNLIMITED, "limit");
		a->set_soft = a->set_hard = true;
		return;
	}
	if (colon == arg && colon[1] == '\0')
		usage_error("invalid limit ':': give SOFT:HARD, SOFT:, :HARD or VALUE");
	*colon = '\0';
	if (colon > arg) {
		a->soft = size_arg_or_exit(arg, SIZE_ALLOW_UNLIMITED, "soft limit");
		a->set_soft = true;
	}
	if (colon[1]) {
		a->hard = size_arg_or_exit(colon + 1, SIZE_ALLOW_UNLIMITED, "hard limit");
		a->set_hard = true;
	}
	*colon = ':';
	if (a->set_soft && a->set_hard && a->soft > a->hard) {
		char s[SIZE_BUFSZ], h[SIZE_BUFSZ];

		usage_error("soft limit %s is above the hard limit %s",
			    limit_format(a->soft, false, s), limit_format(a->hard, false, h));
	}
}

static error_t limit_parse(int key, char *arg, struct argp_state *state)
{
	struct limit_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->out;
		break;
	case 'p': a->pid = pid_arg_or_exit(arg); break;
	case OPT_SET: set_arg(a, arg); break;
	case OPT_RAISE: a->raise = true; break;
	case OPT_MIN:
		a->min = size_arg_or_exit(arg, 0, "size");
		a->have_min = true;
		break;
	case ARGP_KEY_ARGS:
		/* A command only after "--": 'memlock limit 64M' is a slip for
		 * --set 64M, not a program to run. */
		if (state->next < 1 || strcmp(state->argv[state->next - 1], "--") != 0)
			usage_error("unexpected argument '%s': to set the limit, use --set %s; to "
				    "run a command under it, put the command after --",
				    state->argv[state->next], state->argv[state->next]);
		a->cmd = state->argv + state->next;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (a->set && a->raise)
			usage_error("--set and --raise do not go together");
		if (a->cmd && a->pid)
			usage_error("-p and a COMMAND do not go together: the COMMAND runs under the new limit");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child limit_children[] = {
	{ &output_argp, 0, "Output:", 0 },
	{ 0 }
};

static const struct argp limit_argp = {
	limit_options, limit_parse, "[-- COMMAND [ARG...]]",
	"Show RLIMIT_MEMLOCK as a program started from this shell gets it (memlock's "
	"own), change it for the shell (as 'ulimit -l'), read or change it for PID, "
	"or run COMMAND under a new limit.\v",
	limit_children, NULL, NULL
};

struct target {
	int pid;		/* 0 for memlock itself */
	char who[96];		/* "pid 123 (bash)", for messages */
	struct proc_status st;
	bool have_st;
	struct memlock_limit old, now;
};

static void target_name(int procfd, struct target *t)
{
	t->have_st = procfs_read_status(procfd, t->pid ? t->pid : getpid(), &t->st) == 0;
	if (t->pid == 0)
		snprintf(t->who, sizeof(t->who), "memlock");
	else
		snprintf(t->who, sizeof(t->who), "pid %d (%s)", t->pid,
			 t->have_st ? t->st.name : "?");
}

/* The values --set or --raise ask for, filled in from the current ones. */
static int wanted(const struct limit_args *a, const struct target *t,
		  uint64_t *soft, uint64_t *hard)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ];

	*soft = a->raise ? t->old.hard : a->set_soft ? a->soft : t->old.soft;
	*hard = a->set_hard ? a->hard : t->old.hard;
	if (*soft <= *hard)
		return 0;
	if (a->set_hard)
		msg_warnx("cannot lower the hard limit of %s to %s: its soft limit is %s; "
		      "lower both with --set VALUE", t->who, limit_format(*hard, false, x),
		      limit_format(*soft, false, y));
	else
		msg_warnx("cannot set the soft limit of %s to %s: its hard limit is %s; "
		      "raise both with --set SOFT:HARD (raising a hard limit needs "
		      "CAP_SYS_RESOURCE)", t->who, limit_format(*soft, false, x),
		      limit_format(*hard, false, y));
	return -EINVAL;
}

/* Says why the kernel refused, and the way out. */
static int set_failed(int rc, const struct target *t, uint64_t hard)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ];
	bool other = t->have_st && t->pid && t->st.uid != getuid();

	if (rc == -ESRCH) {
		msg_warnx("cannot change the limits of %s: no such process", t->who);
		return EXIT_UNKNOWN;
	}
	if (rc == -EPERM && hard > t->old.hard)
		msg_warnx("cannot raise the hard limit of %s from %s to %s: that needs "
		      "CAP_SYS_RESOURCE (run as root with it, or set it where the "
		      "process starts: limits.conf, LimitMEMLOCK=, --ulimit)", t->who,
		      limit_format(t->old.hard, false, x), limit_format(hard, false, y));
	else if (rc == -EPERM && other)
		msg_warnx("cannot change the limits of %s: it belongs to another user "
		      "(uid %u), which needs CAP_SYS_RESOURCE", t->who, t->st.uid);
	else
		msg_warnx("cannot change the limits of %s: %s", t->who, strerror(-rc));
	return EXIT_REFUSED;
}

static int apply(const struct limit_args *a, struct target *t)
{
	uint64_t soft, hard;
	int rc;

	if (wanted(a, t, &soft, &hard) != 0)
		return EXIT_REFUSED;
	rc = rlimit_set(t->pid, soft, hard);
	return rc ? set_failed(rc, t, hard) : EXIT_OK;
}

static int check_min(const struct limit_args *a, const struct target *t)
{
	char x[SIZE_BUFSZ], y[SIZE_BUFSZ];

	if (!a->have_min || t->now.soft >= a->min)
		return EXIT_OK;
	size_format_apart(t->now.soft, a->min, x, y);
	msg_warnx("the soft limit of %s is %s, less than --min %s", t->who, x, y);
	return EXIT_REFUSED;
}

/* Whether a directory on PATH holds NAME as something other than a
 * directory: a file that could be a program. */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *cand;
	struct stat st;
	bool found = false;

	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		if (asprintf(&cand, "%s/%s", *dir ? dir : ".", name) < 0)
			break;
		found = stat(cand, &st) == 0 && !S_ISDIR(st.st_mode);
		free(cand);
	}
	free(copy);
	return found;
}

/* -- COMMAND: change our own limit, then become COMMAND. */
static int run_command(int procfd, const struct limit_args *a)
{
	struct target t = { .pid = 0 };
	int rc;

	target_name(procfd, &t);
	if (rlimit_get(procfd, 0, &t.old) != 0)
		msg_err(EXIT_UNKNOWN, "cannot read RLIMIT_MEMLOCK");
	if ((a->set || a->raise) && (rc = apply(a, &t)) != EXIT_OK)
		return rc;
	rlimit_get(procfd, 0, &t.now);
	if ((rc = check_min(a, &t)) != EXIT_OK)
		return rc;
	fflush(stdout);
	execvp(a->cmd[0], a->cmd);
	/* As a shell says it: 127 when nothing of that name can be a program
	 * (execvp's EACCES may come from a directory on PATH), else 126. */
	if (errno == ENOENT && strchr(a->cmd[0], '/')) {
		msg_warn("cannot run '%s'", a->cmd[0]);
		return 127;
	}
	if (errno == ENOENT || (errno == EACCES && !strchr(a->cmd[0], '/') &&
				!on_path(a->cmd[0]))) {
		msg_warnx("cannot run '%s': command not found", a->cmd[0]);
		return 127;
	}
	msg_warn("cannot run '%s'", a->cmd[0]);
	return 126;
}

/* --set/--raise without -p act on the shell; say so when memlock itself
 * runs under other limits (a wrapper between them changed them). */
static void note_wrapper(int procfd, const struct target *shell)
{
	struct memlock_limit own;
	char a[SIZE_BUFSZ], b[SIZE_BUFSZ], c[SIZE_BUFSZ], d[SIZE_BUFSZ];

	if (rlimit_get(procfd, 0, &own) != 0 ||
	    (own.soft == shell->old.soft && own.hard == shell->old.hard))
		return;
	msg_warnx("note: this changes the shell, %s, whose limits are %s:%s; memlock "
		  "itself runs under %s:%s, set by something between them (a wrapper "
		  "such as prlimit)", shell->who, limit_format(shell->old.soft, false, a),
		  limit_format(shell->old.hard, false, b), limit_format(own.soft, false, c),
		  limit_format(own.hard, false, d));
}

static void limit_row(struct out *out, const struct target *t, bool changed)
{
	struct libscols_line *ln = out_line(out);

	out_u64(out, ln, COL_PID, (uint64_t)(t->pid ? t->pid : getpid()));
	if (t->have_st)
		out_str(out, ln, COL_COMMAND, t->st.name);
	if (changed) {
		out_limit(out, ln, COL_OLD_SOFT, t->old.soft);
		out_limit(out, ln, COL_OLD_HARD, t->old.hard);
	}
	out_limit(out, ln, COL_SOFT, t->now.soft);
	out_limit(out, ln, COL_HARD, t->now.hard);
	if (t->have_st) {
		out_size(out, ln, COL_VMLCK, t->st.vmlck);
		out_percent(out, ln, COL_USE, t->st.vmlck, t->now.soft);
	}
	out_str(out, ln, COL_SOURCE, rlimit_source_name(t->now.source));
}

int cmd_limit(int argc, char **argv)
{
	struct limit_args a = { .out = { .cols = limit_cols, .ncols = NCOLS } };
	struct target t = { .pid = 0 };
	struct out out;
	bool change;
	int procfd, rc, status;

	cli_parse(&limit_argp, argc, argv, ARGP_IN_ORDER, &a);
	change = a.set || a.raise;
	procfd = procfs_open_or_err();
	if (a.cmd)
		return run_command(procfd, &a);
	out_init_or_err(&out, &a.out, limit_cols, NCOLS, change ? SET_COLS : READ_COLS,
			"limit", "limit");
	out.single = true;
	/* Reading: memlock's own limit, which is what the caller's children
	 * get (a prlimit or other wrapper in between included).  Changing:
	 * the calling shell's, as 'ulimit -l' would. */
	t.pid = a.pid ? a.pid : change ? getppid() : 0;
	/* The shell is outside memlock's pid namespace: it cannot be named
	 * from here, and changing memlock's own limit would change nothing. */
	if (t.pid == 0 && change) {
		msg_warnx("cannot change the limits of the shell that ran memlock: it is "
			  "outside memlock's pid namespace; give -p PID, or -- COMMAND");
		status = EXIT_UNKNOWN;
		goto out;
	}
	target_name(procfd, &t);
	rc = rlimit_get(procfd, t.pid, &t.old);
	if (rc) {
		msg_warnx("cannot read the limits of %s: %s", t.who,
		      rc == -ESRCH ? "no such process" : strerror(-rc));
		status = EXIT_UNKNOWN;
		goto out;
	}
	t.now = t.old;
	if (change && !a.pid)
		note_wrapper(procfd, &t);
	if (change) {
		if ((status = apply(&a, &t)) != EXIT_OK)
			goto out;
		if ((rc = rlimit_get(procfd, t.pid, &t.now)) != 0) {
			msg_warnx("changed the limits of %s, but cannot read them back: %s",
				  t.who, strerror(-rc));
			status = EXIT_UNKNOWN;
			goto out;
		}
	}
	limit_row(&out, &t, change);
	out_print(&out);
	status = check_min(&a, &t);
out:
	out_free(&out);
	close(procfd);
	return status;
}
