/* Column tables over libsmartcols, and the output options every listing shares. */
#ifndef MEMLOCK_OUTPUT_H
#define MEMLOCK_OUTPUT_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

struct libscols_table;
struct libscols_line;

/* What a column holds decides its JSON type and how it is formatted. */
enum out_kind {
	OUT_STR,	/* text; escaped when it came from elsewhere */
	OUT_NUM,	/* an integer */
	OUT_SIZE,	/* bytes: "8M" or exact with --bytes; a number in JSON
			 * ("unlimited", a string, for a limit) */
	OUT_BOOL,	/* true/false in JSON, "yes"/"no" in text */
};

struct out_col {
	const char *name;
	double whint;		/* libsmartcols width hint */
	int flags;		/* SCOLS_FL_* */
	enum out_kind kind;
	const char *help;
};

/* Filled by output_argp, an argp child; each command owns one, as the
 * first member of its argument struct, naming its columns for --help. */
struct out_opts {
	bool json, raw, pairs, noheadings, bytes, all;
	const char *list;	/* -o LIST, or NULL */
	const struct out_col *cols;
	int ncols;
	/* A second set (status --maps), named for --list-columns=NAME. */
	const char *alt_name;
	const struct out_col *alt_cols;
	int alt_ncols;
	/* A third (status --users). */
	const char *alt2_name;
	const struct out_col *alt2_cols;
	int alt2_ncols;
};

/* A table for a person: not JSON, raw or pairs, so titles, sentences and
 * totals may go around it. */
static inline bool out_for_people(const struct out_opts *o)
{
	return !o->json && !o->raw && !o->pairs;
}

extern const struct argp output_argp;
extern const struct argp output_argp_no_r;	/* --raw without -r */

#define OUT_MAXCOLS 32

struct out {
	struct libscols_table *tb;
	const struct out_col *cols;
	const struct out_opts *opts;
	int map[OUT_MAXCOLS];	/* column id -> libsmartcols column, or -1 */
	struct out_opts own;	/* a side table's copy of the options */
	const char *name;	/* the JSON key */
	bool single;		/* one result: a JSON object, not an array */
};

/*
 * Sets up a table with the columns that OPTS select (DEFAULTS is a
 * comma-separated list used without -o, or after -o +LIST).  NAME is the
 * JSON key.  On an unknown column returns -EINVAL and points *BAD at it
 * (a pointer into a buffer owned by OUT, valid until out_free()).
 */
int out_init(struct out *out, const struct out_opts *opts,
	     const struct out_col *cols, int ncols, const char *defaults,
	     const char *name, const char **bad);
/* out_init() for a command's listing: a bad -o is one line and exit 2
 * (naming 'memlock CMD --help'), anything else exit 3. */
void out_init_or_err(struct out *out, const struct out_opts *opts,
		     const struct out_col *cols, int ncols, const char *defaults,
		     const char *name, const char *cmd);
/* A table printed beside MAIN in JSON (a summary, a verdict): MAIN's
 * options, every column, -o aside.  SINGLE: it holds one result, printed
 * as an object rather than a one-element array. */
void out_init_side(struct out *side, const struct out *main,
		   const struct out_col *cols, int ncols, const char *name, bool single);
bool out_has(const struct out *out, int col);
struct libscols_line *out_line(struct out *out);
void out_str(struct out *out, struct libscols_line *ln, int col, const char *s);
void out_u64(struct out *out, struct libscols_line *ln, int col, uint64_t v);
/* An address or offset: hex in text when HEX is set, a number in JSON. */
void out_addr(struct out *out, struct libscols_line *ln, int col, uint64_t v,
	      bool hex);
/* A number with DECIMALS digits after the point (a JSON number too). */
void out_double(struct out *out, struct libscols_line *ln, int col, double v,
		int decimals);
void out_size(struct out *out, struct libscols_line *ln, int col, uint64_t v);
/* A limit: like out_size(); "unlimited" in text and in JSON. */
void out_limit(struct out *out, struct libscols_line *ln, int col, uint64_t v);
/* PART as a rounded percentage of WHOLE; empty when WHOLE is 0 or unlimited. */
void out_percent(struct out *out, struct libscols_line *ln, int col, uint64_t part,
		 uint64_t whole);
void out_bool(struct out *out, struct libscols_line *ln, int col, bool v);
int out_print(struct out *out);

/*
 * JSON: every command prints one object.  out_print_json() prints the
 * tables as its members, {"a": [...], "b": {...}}: a listing and its
 * summary.  For more, print '{', then each part (FIRST for the first one),
 * then "\n}\n": out_json_part() writes a table as "name": [...] (or {...}
 * when single), out_json_strings() N strings as "name": ["...", ...].
 */
int out_print_json(struct out **tables, int n);
int out_json_part(struct out *table, bool first);
void out_json_strings(const char *name, char *const *v, int n, bool first);
void out_json_pair(const char *name, const char *value, bool first);
/* JSON Lines: every object that follows on one line. */
void out_json_compact(bool on);

void out_free(struct out *out);

/* Help text listing COLS, for a command's --help (malloc'd). */
char *out_columns_help(const struct out_col *cols, int ncols);

#endif
