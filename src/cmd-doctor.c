/* memlock doctor: would a lock succeed, why not, and how to fix it. */
#define _GNU_SOURCE
#include "commands.h"
#include "msg.h"
#include "diagnose.h"
#include "output.h"
#include "size.h"

#include <errno.h>
#include <libsmartcols.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { COL_CHECK, COL_RESULT, COL_DETAIL, NCOLS };

static const struct out_col doctor_cols[NCOLS] = {
	[COL_CHECK] = { "CHECK", 0, 0, OUT_STR, "what is checked" },
	[COL_RESULT] = { "RESULT", 0, 0, OUT_STR, "ok, info, warn or fail" },
	[COL_DETAIL] = { "DETAIL", 0, SCOLS_FL_WRAP, OUT_STR, "the figures behind the result" },
};

enum { VCOL_RESULT, VCOL_ERRNO, VCOL_MODE, VCOL_PID, VCOL_COMMAND, VCOL_SIZE,
       VCOL_CHARGE, VCOL_HEADROOM, VCOL_PROBE, VCOL_AGREES, VCOL_TEXT, NVCOLS };

static const struct out_col verdict_cols[NVCOLS] = {
	[VCOL_RESULT] = { "RESULT", 0, 0, OUT_STR, "" },
	[VCOL_ERRNO] = { "ERRNO", 0, 0, OUT_STR, "" },
	[VCOL_MODE] = { "MODE", 0, 0, OUT_STR, "" },
	[VCOL_PID] = { "PID", 0, 0, OUT_NUM, "" },
	[VCOL_COMMAND] = { "COMMAND", 0, 0, OUT_STR, "" },
	[VCOL_SIZE] = { "SIZE", 0, 0, OUT_SIZE, "" },
	[VCOL_CHARGE] = { "CHARGE", 0, 0, OUT_SIZE, "" },
	[VCOL_HEADROOM] = { "HEADROOM", 0, 0, OUT_SIZE, "" },
	[VCOL_PROBE] = { "PROBE", 0, 0, OUT_STR, "" },
	[VCOL_AGREES] = { "PROBE_AGREES", 0, 0, OUT_BOOL, "" },
	[VCOL_TEXT] = { "TEXT", 0, 0, OUT_STR, "" },
};

struct doctor_args {
	struct out_opts out;
	bool has_size, probe;
	uint64_t size;
	int pid;
	enum diag_mode mode;
};

enum { OPT_MODE = 0x100, OPT_PROBE };

static const struct argp_option doctor_options[] = {
	{ "pid", 'p', "PID", 0, "the process that would lock (default: one started from this shell)", 0 },
	{ "mode", OPT_MODE, "MODE", 0, "how it would lock: mlock (default), onfault, mlockall, shm", 0 },
	{ "probe", OPT_PROBE, NULL, 0, "confirm for real: a child with the same limit and capabilities tries the lock", 0 },
	{ 0 }
};

static error_t doctor_parse(int key, char *arg, struct argp_state *state)
{
	struct doctor_args *a = state->input;
	static const char *const modes[] = { "mlock", "onfault", "mlockall", "shm" };
	uint64_t v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->out;
		break;
	case 'p': a->pid = pid_arg_or_exit(arg); break;
	case OPT_MODE:
		for (v = 0; v < 4 && strcmp(arg, modes[v]) != 0; v++)
			;
		if (v == 4)
			usage_error("invalid mode '%s': use mlock, onfault, mlockall or shm", arg);
		a->mode = (enum diag_mode)v;
		break;
	case OPT_PROBE: a->probe = true; break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			usage_error("doctor takes one SIZE; '%s' is one too many", arg);
		a->size = size_arg_or_exit(arg, 0, "size");
		if (a->size >= SIZE_MAX_MAPPING)
			usage_error("invalid size '%s': no address space holds 2^63 bytes or "
				    "more, so nothing that large can be locked", arg);
		a->has_size = true;
		break;
	case ARGP_KEY_END:
		if (a->probe && !a->has_size)
			usage_error("--probe needs a SIZE to try");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child doctor_children[] = {
	{ &output_argp, 0, "Output:", 0 },
	{ 0 }
};

static const struct argp doctor_argp = {
	doctor_options, doctor_parse, "[SIZE]",
	"Would locking SIZE more bytes succeed?  Every check that can explain a "
	"refusal, a verdict with the errno the kernel would return, and the "
	"remedies, most specific first.  Without SIZE: how much more can be locked.  "
	"Exit 0 would succeed, 1 would fail, 3 could not tell.\v",
	doctor_children, NULL, NULL
};

struct probe {
	bool ran, copied;
	struct diag_probe_result res;
};

/* "SIGKILL" */
static const char *sig_name(int signo, char buf[32])
{
	const char *abbrev = sigabbrev_np(signo);

	if (abbrev)
		snprintf(buf, 32, "SIG%s", abbrev);
	else
		snprintf(buf, 32, "signal %d", signo);
	return buf;
}

static void print_escaped(const char *prefix, const char *text)
{
	char *e = msg_escape(text);

	printf("%s%s\n", prefix, e ? e : "?");
	free(e);
}

static void print_text(const struct doctor_args *a, const struct diag_facts *f,
		       const struct diag_report *r, const struct probe *p, struct out *out)
{
	char title[256], b[SIZE_BUFSZ], *name = msg_escape(f->name);

	if (f->self)
		snprintf(title, sizeof(title), "%s%s with %s in a process started from this "
			 "shell (memlock, pid %d)", r->has_size ? "locking " : "headroom",
			 r->has_size ? size_format(r->size, false, b) : "",
			 diag_mode_name(r->mode), f->pid);
	else
		snprintf(title, sizeof(title), "%s%s with %s in pid %d (%s)",
			 r->has_size ? "locking " : "headroom", r->has_size ?
			 size_format(r->size, false, b) : "", diag_mode_name(r->mode),
			 f->pid, name ? name : "?");
	free(name);
	/* Printed here: libsmartcols cuts a title to the terminal's width. */
	if (out_for_people(&a->out) && !a->out.noheadings)
		printf("%s\n", title);
	out_print(out);
	if (!out_for_people(&a->out) || a->out.noheadings)
		return;
	/* Names of processes, units and cgroups are in these sentences:
	 * escaped, as in the table. */
	print_escaped("\nverdict: ", r->verdict);
	char sig[32];

	if (p->ran && p->copied && p->res.signo)
		printf("probe: a child with the same soft limit and capabilities was killed "
		       "by %s%s: %s\n", sig_name(p->res.signo, sig),
		       p->res.signo == SIGKILL ? " (the OOM killer's signal)" : "",
		       diag_probe_agrees(r, &p->res) ? "agrees" : "DISAGREES with the prediction");
	else if (p->ran && p->copied)
		printf("probe: a child with the same soft limit and capabilities got %s: %s\n",
		       diag_errno_name(p->res.err), diag_probe_agrees(r, &p->res) ? "agrees" :
		       "DISAGREES with the prediction");
	else if (p->ran)
		print_escaped("probe: not run: ", p->res.why);
	if (r->nremedies)
		printf("\nremedies, most specific first:\n");
	for (int i = 0; i < r->nremedies; i++) {
		char n[16];

		snprintf(n, sizeof(n), "  %d. ", i + 1);
		print_escaped(n, r->remedies[i]);
	}
}

static void print_json(const struct diag_facts *f, const struct diag_report *r,
		       const struct probe *p, struct out *checks)
{
	struct out v;
	struct libscols_line *ln;
	char *rem[DIAG_MAX_REMEDIES];

	out_init_side(&v, checks, verdict_cols, NVCOLS, "verdict", true);
	ln = out_line(&v);
	out_str(&v, ln, VCOL_RESULT, r->err ? "fail" : r->unknown ? "unknown" : "ok");
	/* Could not tell: no errno is known ("0" would read as success). */
	if (r->err || !r->unknown)
		out_str(&v, ln, VCOL_ERRNO, diag_errno_name(r->err));
	out_str(&v, ln, VCOL_MODE, diag_mode_name(r->mode));
	out_u64(&v, ln, VCOL_PID, (uint64_t)f->pid);
	out_str(&v, ln, VCOL_COMMAND, f->name);
	if (r->has_size) {
		out_size(&v, ln, VCOL_SIZE, r->size);
		out_size(&v, ln, VCOL_CHARGE, r->charge);
	}
	if (!r->headroom_unlimited)
		out_size(&v, ln, VCOL_HEADROOM, r->headroom);
	if (p->ran && p->copied) {
		char sig[32];

		out_str(&v, ln, VCOL_PROBE, p->res.signo ? sig_name(p->res.signo, sig) :
			diag_errno_name(p->res.err));
		out_bool(&v, ln, VCOL_AGREES, diag_probe_agrees(r, &p->res));
	} else if (p->ran) {
		out_str(&v, ln, VCOL_PROBE, p->res.why);
	}
	out_str(&v, ln, VCOL_TEXT, r->verdict);
	for (int i = 0; i < r->nremedies; i++)
		rem[i] = (char *)r->remedies[i];
	putchar('{');
	out_json_part(checks, true);
	out_json_part(&v, false);
	out_json_strings("remedies", rem, r->nremedies, false);
	puts("\n}");
	out_free(&v);
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_args a = { .out = { .cols = doctor_cols, .ncols = NCOLS } };
	struct diag_facts f;
	struct diag_report r;
	struct probe p = { 0 };
	struct out out;
	int procfd, rc;

	cli_parse(&doctor_argp, argc, argv, 0, &a);
	out_init_or_err(&out, &a.out, doctor_cols, NCOLS, "CHECK,RESULT,DETAIL", "checks",
			"doctor");
	procfd = procfs_open_or_err();
	rc = diag_gather(procfd, a.pid, &f);
	close(procfd);
	if (rc == -EFAULT) {
		msg_warnx("pid %d (%s) has no address space (a kernel thread, or a zombie): "
			  "there is nothing it could lock", a.pid, f.name);
		out_free(&out);
		return EXIT_UNKNOWN;
	}
	if (rc) {
		msg_warnx("cannot examine pid %d%s: %s", a.pid ? a.pid : getpid(),
			  a.pid ? "" : " (memlock itself)",
		      rc == -ESRCH ? "no such process" : strerror(-rc));
		out_free(&out);
		return EXIT_UNKNOWN;
	}
	diag_evaluate(&f, a.mode, a.has_size, a.size, a.out.bytes, &r);
	if (a.probe) {
		p.ran = true;
		p.copied = diag_probe(&f, a.mode, a.size, &p.res) == 0;
	}
	for (int i = 0; i < r.nchecks; i++) {
		struct libscols_line *ln = out_line(&out);

		out_str(&out, ln, COL_CHECK, r.checks[i].name);
		out_str(&out, ln, COL_RESULT, diag_result_name(r.checks[i].result));
		out_str(&out, ln, COL_DETAIL, r.checks[i].detail);
	}
	if (a.out.json)
		print_json(&f, &r, &p, &out);
	else
		print_text(&a, &f, &r, &p, &out);
	out_free(&out);
	if (p.ran && p.copied && !diag_probe_agrees(&r, &p.res))
		return EXIT_UNKNOWN;
	return r.err ? EXIT_REFUSED : r.unknown ? EXIT_UNKNOWN : EXIT_OK;
}
