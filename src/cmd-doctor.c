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
       VCOL_CHARGE, VCOL_HEADROOM, VCOL_PROBE, VCOL_AGREES, VCOL_PROBE_CONTEXT, VCOL_TRUST,
       VCOL_TEXT, NVCOLS };

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
	[VCOL_PROBE_CONTEXT] = { "PROBE_CONTEXT", 0, 0, OUT_STR, "" },
	[VCOL_TRUST] = { "BELIEVE", 0, 0, OUT_STR, "" },
	[VCOL_TEXT] = { "TEXT", 0, 0, OUT_STR, "" },
};

enum { PCOL_ORIGIN, PCOL_PID, PCOL_COMMAND, PCOL_UNIT, PCOL_RUNTIME, PCOL_CONFIG,
       PCOL_LINE, PCOL_WALK, NPCOLS };

static const struct out_col prov_cols[NPCOLS] = {
	[PCOL_ORIGIN] = { "ORIGIN", 0, 0, OUT_STR, "" },
	[PCOL_PID] = { "SET_AT_PID", 0, 0, OUT_NUM, "" },
	[PCOL_COMMAND] = { "SET_AT_COMMAND", 0, 0, OUT_STR, "" },
	[PCOL_UNIT] = { "UNIT", 0, 0, OUT_STR, "" },
	[PCOL_RUNTIME] = { "RUNTIME", 0, 0, OUT_STR, "" },
	[PCOL_CONFIG] = { "CONFIG", 0, 0, OUT_STR, "" },
	[PCOL_LINE] = { "CONFIG_LINE", 0, 0, OUT_NUM, "" },
	[PCOL_WALK] = { "WALK", 0, 0, OUT_STR, "" },
};

enum { LCOL_PID, LCOL_COMMAND, LCOL_UID, LCOL_SOFT, LCOL_HARD, LCOL_CHANGED, NLCOLS };

static const struct out_col link_cols[NLCOLS] = {
	[LCOL_PID] = { "PID", 0, 0, OUT_NUM, "" },
	[LCOL_COMMAND] = { "COMMAND", 0, 0, OUT_STR, "" },
	[LCOL_UID] = { "UID", 0, 0, OUT_NUM, "" },
	[LCOL_SOFT] = { "SOFT", 0, 0, OUT_SIZE, "" },
	[LCOL_HARD] = { "HARD", 0, 0, OUT_SIZE, "" },
	[LCOL_CHANGED] = { "CHANGED", 0, 0, OUT_BOOL, "" },
};

enum { UCOL_UID, UCOL_SHM, UCOL_SHM_SEGS, UCOL_BUFS, UCOL_RINGS, UCOL_RING_MEM,
       UCOL_PROCS, UCOL_HIDDEN, NUCOLS };

static const struct out_col user_cols[NUCOLS] = {
	[UCOL_UID] = { "UID", 0, 0, OUT_NUM, "" },
	[UCOL_SHM] = { "SHM_LOCKED", 0, 0, OUT_SIZE, "" },
	[UCOL_SHM_SEGS] = { "SHM_SEGMENTS", 0, 0, OUT_NUM, "" },
	[UCOL_BUFS] = { "IO_URING_BUFFERS", 0, 0, OUT_SIZE, "" },
	[UCOL_RINGS] = { "IO_URING_RINGS", 0, 0, OUT_NUM, "" },
	[UCOL_RING_MEM] = { "IO_URING_RING_MEMORY", 0, 0, OUT_SIZE, "" },
	[UCOL_PROCS] = { "PROCESSES", 0, 0, OUT_NUM, "" },
	[UCOL_HIDDEN] = { "UNREADABLE", 0, 0, OUT_NUM, "" },
};

enum { MCOL_NAME, MCOL_CALL, MCOL_CHARGED, MCOL_ERRNO, MCOL_PER_USER, MCOL_RULE, NMCOLS };

static const struct out_col mode_cols[NMCOLS] = {
	[MCOL_NAME] = { "NAME", 0, 0, OUT_STR, "" },
	[MCOL_CALL] = { "CALL", 0, 0, OUT_STR, "" },
	[MCOL_CHARGED] = { "CHARGED", 0, 0, OUT_STR, "" },
	[MCOL_ERRNO] = { "ERRNO_OVER_LIMIT", 0, 0, OUT_STR, "" },
	[MCOL_PER_USER] = { "PER_USER", 0, 0, OUT_BOOL, "" },
	[MCOL_RULE] = { "RULE", 0, 0, OUT_STR, "" },
};

struct doctor_args {
	struct out_opts out;
	bool has_size, probe, list_modes;
	uint64_t size;
	int pid;
	enum diag_mode mode;
};

enum { OPT_MODE = 0x100, OPT_PROBE, OPT_LIST_MODES };

static const struct argp_option doctor_options[] = {
	{ "pid", 'p', "PID", 0, "the process that would lock (default: one started from this shell)", 0 },
	{ "mode", OPT_MODE, "MODE", 0, "what would lock or pin: mlock (default), onfault, mlockall, mmap-locked, shm, io_uring, rdma, vfio, perf, bpf", 0 },
	{ "probe", OPT_PROBE, NULL, 0, "confirm for real: a child with the same limit, capabilities, cgroup and user tries the call", 0 },
	{ "list-modes", OPT_LIST_MODES, NULL, OPTION_HIDDEN, "the modes, one a line (for completions)", 0 },
	{ 0 }
};

static error_t doctor_parse(int key, char *arg, struct argp_state *state)
{
	struct doctor_args *a = state->input;
	int v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->out;
		break;
	case 'p': a->pid = pid_arg_or_exit(arg); break;
	case OPT_MODE:
		v = diag_mode_parse(arg);
		if (v < 0)
			usage_error("invalid mode '%s': use %s", arg, diag_mode_list());
		a->mode = (enum diag_mode)v;
		break;
	case OPT_PROBE: a->probe = true; break;
	case OPT_LIST_MODES: a->list_modes = true; break;
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

/* A limit that "4K"-style text would round (4095 bytes): written exactly. */
static bool odd(uint64_t v)
{
	return v != SIZE_UNLIMITED && v % 1024 != 0;
}

/* The ancestry, PID 1 first, with the process where the limit changed
 * marked; then the origin and its evidence. */
static void print_provenance(const struct diag_facts *f, bool exact)
{
	const struct diag_provenance *p = &f->prov;
	char s[SIZE_BUFSZ], h[SIZE_BUFSZ];

	if (!p->n)
		return;
	printf("\nwhere the limit came from (PID 1 first; * where it changed):\n");
	for (int i = p->n - 1; i >= 0; i--) {
		const struct diag_link *l = &p->link[i];
		char *name = msg_escape(l->name), line[200];

		if (l->have_lim)
			snprintf(line, sizeof(line), "%c pid %-7d %-16s soft %-9s hard %s",
				 i == p->set_at ? '*' : ' ', l->pid, name ? name : "?",
				 limit_format(l->lim.soft, exact || odd(l->lim.soft), s),
				 limit_format(l->lim.hard, exact || odd(l->lim.hard), h));
		else
			snprintf(line, sizeof(line), "  pid %-7d %-16s limits unreadable", l->pid,
				 name ? name : "?");
		printf("%s\n", line);
		free(name);
	}
	printf("origin: %s\n", diag_origin_name(p->origin));
	for (int i = 0; i < p->nevidence; i++)
		print_escaped("  evidence: ", p->evidence[i]);
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
	print_provenance(f, a->out.bytes);
	/* Names of processes, units and cgroups are in these sentences:
	 * escaped, as in the table. */
	print_escaped("\nverdict: ", r->verdict);
	char sig[32], trust[300];

	if (p->ran && p->copied && p->res.signo)
		printf("probe: a child with %s was killed by %s%s: %s\n", p->res.where,
		       sig_name(p->res.signo, sig), p->res.signo == SIGKILL ?
		       " (the OOM killer's signal)" : "", diag_probe_agrees(r, &p->res) ?
		       "agrees" : "DISAGREES with the prediction");
	else if (p->ran && p->copied)
		printf("probe: a child with %s got %s: %s\n", p->res.where,
		       diag_errno_name(p->res.err), diag_probe_agrees(r, &p->res) ? "agrees" :
		       "DISAGREES with the prediction");
	else if (p->ran)
		print_escaped("probe: not run: ", p->res.why);
	if (p->ran && p->copied && !diag_probe_agrees(r, &p->res))
		print_escaped("which to believe: ", diag_probe_trust(f, r, &p->res, trust,
								     sizeof(trust)));
	if (r->nremedies)
		printf("\nremedies, most specific first:\n");
	for (int i = 0; i < r->nremedies; i++) {
		char n[16];

		snprintf(n, sizeof(n), "  %d. ", i + 1);
		print_escaped(n, r->remedies[i]);
	}
}

static void json_provenance(const struct diag_facts *f, struct out *checks)
{
	const struct diag_provenance *p = &f->prov;
	struct out pv, ch;
	struct libscols_line *ln;
	char *ev[DIAG_MAX_EVIDENCE];
	static const char *const walks[] = {
		[CHAIN_TOP] = "complete", [CHAIN_VANISHED] = "an ancestor exited",
		[CHAIN_UNREADABLE] = "an ancestor unreadable", [CHAIN_LONG] = "too long",
	};

	out_init_side(&pv, checks, prov_cols, NPCOLS, "provenance", true);
	ln = out_line(&pv);
	out_str(&pv, ln, PCOL_ORIGIN, diag_origin_name(p->origin));
	if (p->set_at >= 0) {
		out_u64(&pv, ln, PCOL_PID, (uint64_t)p->link[p->set_at].pid);
		out_str(&pv, ln, PCOL_COMMAND, p->link[p->set_at].name);
	}
	if (p->unit[0])
		out_str(&pv, ln, PCOL_UNIT, p->unit);
	if (p->runtime[0])
		out_str(&pv, ln, PCOL_RUNTIME, p->runtime);
	if (p->config[0]) {
		out_str(&pv, ln, PCOL_CONFIG, p->config);
		out_u64(&pv, ln, PCOL_LINE, (uint64_t)p->config_line);
	}
	out_str(&pv, ln, PCOL_WALK, walks[p->end]);
	out_json_part(&pv, false);
	out_free(&pv);

	/* The chain, PID 1 first, as it is printed. */
	out_init_side(&ch, checks, link_cols, NLCOLS, "chain", false);
	for (int i = p->n - 1; i >= 0; i--) {
		const struct diag_link *l = &p->link[i];

		ln = out_line(&ch);
		out_u64(&ch, ln, LCOL_PID, (uint64_t)l->pid);
		out_str(&ch, ln, LCOL_COMMAND, l->name);
		out_u64(&ch, ln, LCOL_UID, l->uid);
		if (l->have_lim) {
			out_limit(&ch, ln, LCOL_SOFT, l->lim.soft);
			out_limit(&ch, ln, LCOL_HARD, l->lim.hard);
		}
		out_bool(&ch, ln, LCOL_CHANGED, l->changed);
	}
	out_json_part(&ch, false);
	out_free(&ch);
	for (int i = 0; i < p->nevidence; i++)
		ev[i] = (char *)p->evidence[i];
	out_json_strings("evidence", ev, p->nevidence, false);
}

static void json_user_mode(const struct diag_facts *f, const struct diag_report *r,
			   struct out *checks)
{
	const struct diag_user *u = &f->user;
	const struct diag_mode_info *m = &diag_modes[r->mode];
	struct out uo, mo;
	struct libscols_line *ln;

	out_init_side(&uo, checks, user_cols, NUCOLS, "user", true);
	ln = out_line(&uo);
	out_u64(&uo, ln, UCOL_UID, f->uid);
	if (u->have_shm) {
		out_size(&uo, ln, UCOL_SHM, u->shm_locked);
		out_u64(&uo, ln, UCOL_SHM_SEGS, u->shm_segs);
	}
	if (u->have_uring) {
		out_size(&uo, ln, UCOL_BUFS, u->uring_bufs);
		out_u64(&uo, ln, UCOL_RINGS, u->uring_rings);
		out_size(&uo, ln, UCOL_RING_MEM, u->uring_ring_bytes);
		out_u64(&uo, ln, UCOL_PROCS, u->uring_procs);
		out_u64(&uo, ln, UCOL_HIDDEN, u->uring_hidden);
	}
	out_json_part(&uo, false);
	out_free(&uo);

	out_init_side(&mo, checks, mode_cols, NMCOLS, "mode", true);
	ln = out_line(&mo);
	out_str(&mo, ln, MCOL_NAME, m->name);
	out_str(&mo, ln, MCOL_CALL, m->call);
	out_str(&mo, ln, MCOL_CHARGED, m->what);
	out_str(&mo, ln, MCOL_ERRNO, diag_errno_name(-m->over));
	out_bool(&mo, ln, MCOL_PER_USER, m->per_user);
	out_str(&mo, ln, MCOL_RULE, m->rule);
	out_json_part(&mo, false);
	out_free(&mo);
}

static void print_json(const struct diag_facts *f, const struct diag_report *r,
		       const struct probe *p, struct out *checks)
{
	struct out v;
	struct libscols_line *ln;
	char *rem[DIAG_MAX_REMEDIES], trust[300];

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
		out_str(&v, ln, VCOL_PROBE_CONTEXT, p->res.where);
		if (!diag_probe_agrees(r, &p->res))
			out_str(&v, ln, VCOL_TRUST, diag_probe_trust(f, r, &p->res, trust,
								     sizeof(trust)));
	} else if (p->ran) {
		out_str(&v, ln, VCOL_PROBE, p->res.why);
	}
	out_str(&v, ln, VCOL_TEXT, r->verdict);
	for (int i = 0; i < r->nremedies; i++)
		rem[i] = (char *)r->remedies[i];
	putchar('{');
	out_json_part(checks, true);
	out_json_part(&v, false);
	json_provenance(f, checks);
	json_user_mode(f, r, checks);
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
	if (a.list_modes) {
		for (int m = 0; m < MODE_COUNT; m++)
			printf("%s\t%s\n", diag_modes[m].name, diag_modes[m].call);
		return EXIT_OK;
	}
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
