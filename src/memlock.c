/* memlock: global options, the command table, dispatch, exit policy. */
#define _GNU_SOURCE
#include "caps.h"
#include "msg.h"
#include "commands.h"

#include <linux/capability.h>
#include <sys/auxv.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MEMLOCK_VERSION
#define MEMLOCK_VERSION "0.1.0"
#endif

const char *argp_program_version = "memlock " MEMLOCK_VERSION;

#define CAP(c) (UINT64_C(1) << (c))

/*
 * The capabilities each command keeps; every other one is dropped before it
 * runs.  Reading another user's /proc/PID/smaps, maps or root (lock --pid
 * too) needs CAP_SYS_PTRACE (and their fd/ and fdinfo/); reading files the user may
 * not needs CAP_DAC_READ_SEARCH; another user's limits through prlimit(2),
 * or a hard limit raised, CAP_SYS_RESOURCE; locking
 * beyond RLIMIT_MEMLOCK, CAP_IPC_LOCK (and a probe copying a process that
 * has it); doctor's probe as the target's user, CAP_SETUID and CAP_SETGID,
 * and in the target's IPC namespace (its SHM segments too), CAP_SYS_ADMIN.
 */
const struct command commands[] = {
	{ "lock", cmd_lock, "lock files or anonymous memory into RAM and hold them",
	  CAP(CAP_IPC_LOCK) | CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_SYS_PTRACE) },
	{ "pages", cmd_pages, "show the page-rounding math of mlock(ADDR, LEN)", 0 },
	{ "status", cmd_status, "show what processes have locked, and the totals",
	  CAP(CAP_SYS_PTRACE) | CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_SYS_RESOURCE) },
	{ "limit", cmd_limit, "read, set or raise RLIMIT_MEMLOCK, or run a command under it",
	  CAP(CAP_SYS_RESOURCE) },
	{ "doctor", cmd_doctor, "say whether a lock would succeed, why not, and how to fix it",
	  CAP(CAP_SYS_PTRACE) | CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_SYS_RESOURCE) |
	  CAP(CAP_IPC_LOCK) | CAP(CAP_SETUID) | CAP(CAP_SETGID) | CAP(CAP_SYS_ADMIN) },
	/* Physical pages need CAP_SYS_ADMIN (pagemap's PFNs, kpageflags);
	 * mincore() of another user's file, CAP_FOWNER. */
	{ "files", cmd_files, "show which files are locked in RAM, how much, and by whom",
	  CAP(CAP_SYS_PTRACE) | CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_SYS_ADMIN) |
	  CAP(CAP_FOWNER) },
	{ NULL, NULL, NULL, 0 }
};

static const struct command *command_find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Edit distance, for "did you mean". Names are short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static void __attribute__((noreturn)) unknown_command(const char *name)
{
	const struct command *best = NULL;
	size_t bd = 3;

	for (const struct command *c = commands; c->name; c++) {
		size_t d = distance(name, c->name);

		if (d < bd || strncmp(name, c->name, strlen(name)) == 0) {
			bd = d < bd ? d : bd;
			best = c;
		}
	}
	if (best && name[0])
		usage_error("unknown command '%s'; did you mean '%s'? see 'memlock --help'",
			    name, best->name);
	usage_error("unknown command '%s'; see 'memlock --help'", name);
}

struct global_args {
	int cmd_index;		/* argv index of the command, or 0 */
};

enum { OPT_LIST_COMMANDS = 0x100 };

static const struct argp_option global_options[] = {
	{ "list-commands", OPT_LIST_COMMANDS, NULL, OPTION_HIDDEN,
	  "print the command names, one a line (for the completions)", 0 },
	{ 0 }
};

static error_t global_parse(int key, char *arg, struct argp_state *state)
{
	struct global_args *g = state->input;

	(void)arg;
	switch (key) {
	case OPT_LIST_COMMANDS:
		for (const struct command *c = commands; c->name; c++)
			printf("%s\t%s\n", c->name, c->summary);
		exit(EXIT_OK);
	case ARGP_KEY_ARGS:
		g->cmd_index = state->next;
		state->next = state->argc;
		return 0;
	case ARGP_KEY_NO_ARGS:
		usage_error("no command given; see 'memlock --help'");
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static char *global_help(int key, const char *text, void *input)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("Commands:\n", f);
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fputs("\n'memlock COMMAND --help' shows the options of a command.\n"
	      "Exit status: 0 done or check passed, 1 the kernel refused or a check "
	      "failed, 2 bad usage, 3 could not find out.", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const struct argp global_argp = {
	global_options, global_parse, "COMMAND [OPTION...] [ARG...]",
	"Lock memory, show what is locked and within which limit, and explain "
	"why mlock() fails.\v",
	NULL, global_help, NULL
};

/* A full stdout must not pass for success. */
static void close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno != EPIPE)
			msg_warn("write error");
		_exit(EXIT_REFUSED);
	}
}

/*
 * Daemon hygiene at the start: a descriptor 0, 1 or 2 that is closed gets
 * /dev/null, or the next file or pipe opened would take its number and
 * receive what is printed (the --daemon notify pipe did).
 */
static void open_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EXIT_UNKNOWN);
}

int main(int argc, char **argv)
{
	struct global_args g = { 0 };
	const struct command *c;
	char *name;

	/* Messages say "memlock:" however it was called (a path, a copy). */
	program_invocation_name = program_invocation_short_name = (char *)"memlock";
	argv[0] = program_invocation_name;
	/* Set-user-ID would lend root's power to whoever runs it.  File
	 * capabilities also set AT_SECURE, and are the supported way. */
	if (getauxval(AT_SECURE) && (getuid() != geteuid() || getgid() != getegid())) {
		msg_warnx("refusing to run set-user-ID or set-group-ID; grant capabilities "
		      "instead (setcap cap_ipc_lock+ep), see memlock(1)");
		return EXIT_USAGE;
	}
	open_std_fds();
	/* argp reads its help layout from there, and echoes it raw in a
	 * complaint (a control byte) or loops on rmargin=0: help is ours. */
	unsetenv("ARGP_HELP_FMT");
	/* The locale's character set, for names and column widths; numbers are
	 * parsed and printed in C's (JSON has no "0,4"). */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	argp_err_exit_status = EXIT_USAGE;
	atexit(close_stdout);
	cli_parse(&global_argp, argc, argv, ARGP_IN_ORDER, &g);
	c = command_find(argv[g.cmd_index]);
	if (!c)
		unknown_command(argv[g.cmd_index]);
	if (asprintf(&name, "memlock %s", c->name) < 0)
		msg_err(EXIT_UNKNOWN, "out of memory");
	argv[g.cmd_index] = name;
	/* Least privilege: drop what the command does not need.  Failing to
	 * drop (no libcap support) leaves fewer guarantees, not a wrong answer. */
	caps_keep_only(c->caps);
	return c->fn(argc - g.cmd_index, argv + g.cmd_index);
}
