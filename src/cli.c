/* Command-line plumbing shared by every command: argp with one-line errors. */
#define _GNU_SOURCE
#include "commands.h"
#include "msg.h"
#include "procfs.h"
#include "size.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarnx(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

int procfs_open_or_err(void)
{
	unsigned long type = 0;
	int fd = procfs_open_system(&type);
	const char *name;

	if (fd == -ENOTSUP) {
		name = procfs_fs_name(type);
		if (name)
			msg_errx(EXIT_UNKNOWN, "%s is not procfs but %s: what it shows is not "
				 "what the kernel says", PROCFS_ROOT, name);
		msg_errx(EXIT_UNKNOWN, "%s is not procfs (filesystem type 0x%lx): what it "
			 "shows is not what the kernel says", PROCFS_ROOT, type);
	}
	if (fd < 0)
		msg_errx(EXIT_UNKNOWN, "cannot open %s: %s", PROCFS_ROOT, strerror(-fd));
	return fd;
}

uint64_t size_arg_or_exit(const char *s, unsigned flags, const char *what)
{
	uint64_t v;
	int rc = size_parse(s, flags, &v);

	if (rc)
		usage_error("invalid %s '%s': %s", what, s, size_strerror(rc));
	return v;
}

int pid_arg_or_exit(const char *s)
{
	uint64_t v;

	if (number_parse(s, 1, INT32_MAX, &v) != 0)
		usage_error("invalid pid '%s': not a positive decimal number", s);
	return (int)v;
}

/* Every option of ARGP and its children, in order, to F. */
static void option_each(const struct argp *argp,
			void (*f)(const struct argp_option *o, void *data), void *data)
{
	for (const struct argp_option *o = argp->options;
	     o && (o->name || o->key || o->doc); o++)
		if (!(o->flags & OPTION_DOC))
			f(o, data);
	for (const struct argp_child *c = argp->children; c && c->argp; c++)
		option_each(c->argp, f, data);
}

struct option_query {
	const char *name;	/* a long name, LEN chars, or NULL */
	size_t len;
	int key;		/* a short option */
	const struct argp_option *exact, *prefix[8];
	int nprefix;
};

static void option_match(const struct argp_option *o, void *data)
{
	struct option_query *q = data;

	if (q->name && o->name && strncmp(o->name, q->name, q->len) == 0) {
		if (strlen(o->name) == q->len)
			q->exact = o;
		else if (q->nprefix < 8)
			q->prefix[q->nprefix++] = o;
	}
	if (!q->name && q->key && o->key == q->key && !q->exact)
		q->exact = o;
}

/* The option that NAME (or a prefix getopt would take) or KEY means; for
 * a prefix of several, NULL with Q->nprefix > 1. */
static const struct argp_option *option_find(const struct argp *argp,
					     struct option_query *q)
{
	option_each(argp, option_match, q);
	if (q->exact)
		return q->exact;
	return q->nprefix == 1 ? q->prefix[0] : NULL;
}

/* What is wrong with TOKEN as an option of ARGP, in BUF; NULL if nothing. */
static const char *option_problem(const struct argp *argp, const char *token,
				  char *buf, size_t len)
{
	const struct argp_option *o;

	if (strncmp(token, "--", 2) == 0 && token[2]) {
		const char *name = token + 2;
		size_t n = strcspn(name, "="), used;
		struct option_query q = { .name = name, .len = n };

		o = option_find(argp, &q);
		if (!o && q.nprefix > 1) {
			used = (size_t)snprintf(buf, len, "option '--%.*s' is ambiguous; "
						"possibilities:", (int)n, name);
			for (int i = 0; i < q.nprefix && used < len; i++)
				used += (size_t)snprintf(buf + used, len - used, " '--%s'",
							 q.prefix[i]->name);
		} else if (!o)
			snprintf(buf, len, "unknown option '--%.*s'", (int)n, name);
		else if (o->arg && name[n] != '=')
			snprintf(buf, len, "option '--%s' needs a value", o->name);
		else if (!o->arg && name[n] == '=')
			snprintf(buf, len, "option '--%s' takes no value", o->name);
		else
			return NULL;
		return buf;
	}
	if (token[0] != '-' || token[1] == '\0' || token[1] == '-')
		return NULL;
	if (token[1] >= '0' && token[1] <= '9') {
		snprintf(buf, len, "invalid value '%s': negative numbers are not accepted",
			 token);
		return buf;
	}
	for (const char *p = token + 1; *p; p++) {
		struct option_query q = { .key = (unsigned char)*p };

		o = option_find(argp, &q);
		if (!o) {
			snprintf(buf, len, "unknown option '-%c'", *p);
			return buf;
		}
		if (o->arg && p[1] == '\0') {
			snprintf(buf, len, "option '-%c' needs a value", *p);
			return buf;
		}
		if (o->arg)
			break;
	}
	return NULL;
}

struct cli_wrap {
	const struct argp *argp;
	void *input;
};

enum { OPT_USAGE = 0x7f00 };

/* argp's own -?/--help, --usage and -V/--version are off (ARGP_NO_HELP):
 * these stand for them, with -h for --help as in util-linux. */
static const struct argp_option wrap_options[] = {
	{ "help", 'h', NULL, 0, "give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "print program version", -1 },
	{ 0 }
};

/*
 * The parser above each command's: hands the input down, and turns an
 * argp failure into one line.  getopt has moved past the bad option, or
 * stays on it when it sits inside a cluster such as -xJ: look at both.
 */
static error_t wrap_parse(int key, char *arg, struct argp_state *state)
{
	struct cli_wrap *w = state->input;
	char buf[256];
	const char *why;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = w->input;
		return 0;
	case 'h':
	case OPT_USAGE:
		/* ARGP_NO_ERRS keeps getopt quiet but silences help too: lift
		 * it for the help output alone. */
		state->flags &= ~(unsigned)ARGP_NO_ERRS;
		argp_state_help(state, state->out_stream, key == 'h' ?
				ARGP_HELP_STD_HELP : ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		return 0;
	case 'V':
		printf("%s\n", argp_program_version);
		exit(EXIT_OK);
	case ARGP_KEY_ERROR:
		for (int i = state->next - 1; i <= state->next; i++) {
			if (i < 1 || i >= state->argc)
				continue;
			/* The root: --help, --usage and --version are ours. */
			why = option_problem(state->root_argp, state->argv[i], buf, sizeof(buf));
			if (why)
				usage_error("%s; see '%s --help'", why, state->name);
		}
		usage_error("bad arguments; see '%s --help'", state->name);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

void cli_parse(const struct argp *argp, int argc, char **argv, unsigned flags,
	       void *input)
{
	struct argp_child children[] = { { argp, 0, NULL, 0 }, { 0 } };
	struct argp wrap = { wrap_options, wrap_parse, NULL, NULL,
			     children, NULL, NULL };
	struct cli_wrap w = { argp, input };

	if (argp_parse(&wrap, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP | flags, NULL, &w) != 0)
		exit(EXIT_USAGE);
}
