/* The command table, the exit-status policy, and helpers every command uses. */
#ifndef MEMLOCK_COMMANDS_H
#define MEMLOCK_COMMANDS_H

#include <argp.h>
#include <stdint.h>

/* Exit status, everywhere (SPEC "Common rules"). */
enum {
	EXIT_OK = 0,		/* done, or the check passed */
	EXIT_REFUSED = 1,	/* the kernel refused, or a check did not pass */
	EXIT_USAGE = 2,		/* bad usage or bad input */
	EXIT_UNKNOWN = 3,	/* could not find out */
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	uint64_t caps;		/* 1 << CAP_*: all it keeps; the rest are dropped */
};

int cmd_pages(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_limit(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_files(int argc, char **argv);

extern const struct command commands[];

/*
 * Runs argp_parse() for a command.  Unknown options, missing values and
 * errors raised with usage_error() end the program with one line on
 * stderr and EXIT_USAGE; --help and --version exit 0.
 */
void cli_parse(const struct argp *argp, int argc, char **argv, unsigned flags,
	       void *input);

/* One line "memlock: ..." on stderr, then exit(EXIT_USAGE). */
void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* The system's /proc, checked to be procfs; exit 3 with one line if not. */
int procfs_open_or_err(void);

/* Parsers for operands that end the program on bad input, naming WHAT. */
uint64_t size_arg_or_exit(const char *s, unsigned flags, const char *what);
int pid_arg_or_exit(const char *s);

#endif
