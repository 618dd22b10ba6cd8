/* Column tables: one descriptor table per command feeds -o parsing, the
 * help text and libsmartcols at once. */
#define _GNU_SOURCE
#include "output.h"
#include "commands.h"
#include "msg.h"
#include "size.h"

#include <errno.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_OUTPUT_ALL = 0x1000, OPT_RAW_LONG, OPT_LIST_COLUMNS };

/* The output options; RAW_KEY is 'r', or a long-only key where -r means
 * something else. */
#define OUTPUT_OPTIONS(RAW_KEY) \
	{ "json", 'J', NULL, 0, "use JSON output format", 0 }, \
	{ "raw", RAW_KEY, NULL, 0, "use raw output format", 0 }, \
	{ "pairs", 'P', NULL, 0, "use key=\"value\" output format", 0 }, \
	{ "noheadings", 'n', NULL, 0, "don't print headings", 0 }, \
	{ "output", 'o', "LIST", 0, \
	  "define which output columns to use (+LIST adds to the default)", 0 }, \
	{ "output-all", OPT_OUTPUT_ALL, NULL, 0, "output all columns", 0 }, \
	{ "bytes", 'b', NULL, 0, "print sizes in bytes rather than 8M style", 0 }, \
	{ "list-columns", OPT_LIST_COLUMNS, "SET", OPTION_HIDDEN | OPTION_ARG_OPTIONAL, \
	  "print the column names, one a line (for the completions)", 0 }, \
	{ 0 }

static const struct argp_option output_options[] = { OUTPUT_OPTIONS('r') };

static error_t output_parse(int key, char *arg, struct argp_state *state)
{
	struct out_opts *o = state->input;

	switch (key) {
	case 'J': o->json = true; break;
	case 'r':
	case OPT_RAW_LONG: o->raw = true; break;
	case 'P': o->pairs = true; break;
	case 'n': o->noheadings = true; break;
	case 'o': o->list = arg; break;
	case OPT_OUTPUT_ALL: o->all = true; break;
	case 'b': o->bytes = true; break;
	case OPT_LIST_COLUMNS:
		/* The completions ask the binary, as git's ask git: no list of
		 * columns is kept twice. */
		if (!arg) {
			for (int i = 0; i < o->ncols; i++)
				puts(o->cols[i].name);
		} else if (o->alt_name && strcmp(arg, o->alt_name) == 0) {
			for (int i = 0; i < o->alt_ncols; i++)
				puts(o->alt_cols[i].name);
		} else if (o->alt2_name && strcmp(arg, o->alt2_name) == 0) {
			for (int i = 0; i < o->alt2_ncols; i++)
				puts(o->alt2_cols[i].name);
		} else if (o->alt2_name) {
			usage_error("invalid column set '%s': use --list-columns, "
				    "--list-columns=%s or --list-columns=%s", arg, o->alt_name,
				    o->alt2_name);
		} else {
			usage_error("invalid column set '%s': use --list-columns%s%s", arg,
				    o->alt_name ? " or --list-columns=" : "",
				    o->alt_name ? o->alt_name : "");
		}
		exit(EXIT_OK);
	case ARGP_KEY_END:
		/* As lsblk: one output format. */
		if (o->json + o->raw + o->pairs > 1)
			usage_error("%s and %s do not go together", o->json ? "--json" : "--raw",
				    o->pairs ? "--pairs" : "--raw");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The column list under a command's --help: its argument struct begins
 * with its struct out_opts, which names the columns. */
static char *output_help(int key, const char *text, void *input)
{
	const struct out_opts *o = input;

	char *a, *b, *s = NULL;

	if (key != ARGP_KEY_HELP_POST_DOC || !o || !o->cols)
		return (char *)text;
	a = out_columns_help(o->cols, o->ncols);
	if (!o->alt_cols)
		return a;
	/* "With --maps:" and the second set, without its heading. */
	b = out_columns_help(o->alt_cols, o->alt_ncols);
	if (a && b && asprintf(&s, "%s\nWith --%s:\n%s", a, o->alt_name,
			       b + strlen("Available output columns:\n")) < 0)
		s = NULL;
	free(a);
	free(b);
	if (s && o->alt2_cols) {
		char *c = out_columns_help(o->alt2_cols, o->alt2_ncols), *t = NULL;

		if (c && asprintf(&t, "%s\nWith --%s:\n%s", s, o->alt2_name,
				  c + strlen("Available output columns:\n")) > 0) {
			free(s);
			s = t;
		}
		free(c);
	}
	return s;
}

const struct argp output_argp = { output_options, output_parse, NULL, NULL,
				  NULL, output_help, NULL };

/* The same, with --raw only in its long form, for `lock`, whose -r means
 * --recursive as in cp, grep and vmtouch. */
static const struct argp_option output_options_no_r[] = { OUTPUT_OPTIONS(OPT_RAW_LONG) };

const struct argp output_argp_no_r = { output_options_no_r, output_parse, NULL, NULL,
				       NULL, output_help, NULL };

static int col_lookup(const struct out_col *cols, int ncols, const char *name)
{
	for (int i = 0; i < ncols; i++)
		if (ascii_casecmp(cols[i].name, name) == 0)
			return i;
	return -1;
}

/* Appends the ids named in LIST to IDS; -EINVAL names the bad one ("" for
 * an empty name, as in "-o ," or "-o PID,,USER"). */
static int list_parse(char *list, const struct out_col *cols, int ncols,
		      int *ids, int *n, const char **bad)
{
	for (char *w = list, *next; w; w = next) {
		int id;

		next = strchr(w, ',');
		if (next)
			*next++ = '\0';
		id = col_lookup(cols, ncols, w);

		if (id < 0) {
			*bad = w;
			return -EINVAL;
		}
		if (*n < OUT_MAXCOLS)
			ids[(*n)++] = id;
	}
	return 0;
}

static char *bad_buf;

static int select_columns(const struct out_opts *o, const struct out_col *cols,
			  int ncols, const char *defaults, int *ids, int *n,
			  const char **bad)
{
	int rc;

	*n = 0;
	if (o->all) {
		for (int i = 0; i < ncols && i < OUT_MAXCOLS; i++)
			ids[(*n)++] = i;
		return 0;
	}
	free(bad_buf);
	bad_buf = strdup(defaults);
	if (!bad_buf)
		return -ENOMEM;
	if (!o->list || o->list[0] == '+') {
		rc = list_parse(bad_buf, cols, ncols, ids, n, bad);
		if (rc || !o->list)
			return rc;
	}
	free(bad_buf);
	bad_buf = strdup(o->list + (o->list[0] == '+'));
	if (!bad_buf)
		return -ENOMEM;
	return list_parse(bad_buf, cols, ncols, ids, n, bad);
}

int out_init(struct out *out, const struct out_opts *opts,
	     const struct out_col *cols, int ncols, const char *defaults,
	     const char *name, const char **bad)
{
	int ids[OUT_MAXCOLS], n, rc;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < OUT_MAXCOLS; i++)
		out->map[i] = -1;
	out->cols = cols;
	out->opts = opts;
	rc = select_columns(opts, cols, ncols, defaults, ids, &n, bad);
	if (rc)
		return rc;
	out->tb = scols_new_table();
	if (!out->tb)
		return -ENOMEM;
	scols_table_enable_raw(out->tb, opts->raw);
	scols_table_enable_export(out->tb, opts->pairs);
	/* Keys a shell can eval: USE% is USE_PCT. */
	scols_table_enable_shellvar(out->tb, opts->pairs);
	scols_table_enable_noheadings(out->tb, opts->noheadings);
	scols_table_set_name(out->tb, name);
	out->name = name;
	for (int i = 0; i < n; i++) {
		const struct out_col *c = &cols[ids[i]];
		struct libscols_column *cl;

		if (out->map[ids[i]] >= 0)
			continue;	/* named twice: show it once */
		cl = scols_table_new_column(out->tb, c->name, c->whint, c->flags);
		if (!cl)
			return -ENOMEM;
		if (c->kind == OUT_NUM || c->kind == OUT_SIZE)
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
		else if (c->kind == OUT_BOOL)
			scols_column_set_json_type(cl, SCOLS_JSON_BOOLEAN);
		out->map[ids[i]] = (int)scols_table_get_ncols(out->tb) - 1;
	}
	return 0;
}

void out_init_or_err(struct out *out, const struct out_opts *opts,
		     const struct out_col *cols, int ncols, const char *defaults,
		     const char *name, const char *cmd)
{
	const char *bad = NULL;
	int rc = out_init(out, opts, cols, ncols, defaults, name, &bad);

	if (rc == -EINVAL && bad && !*bad)
		usage_error("invalid column list '%s': an empty column name; see "
			    "'memlock %s --help'", opts->list, cmd);
	if (rc == -EINVAL)
		usage_error("unknown column '%s'; see 'memlock %s --help'", bad, cmd);
	if (rc)
		msg_errx(EXIT_UNKNOWN, "cannot set up the table: %s", strerror(-rc));
}

void out_init_side(struct out *side, const struct out *main,
		   const struct out_col *cols, int ncols, const char *name, bool single)
{
	struct out_opts o = *main->opts;
	const char *bad;

	o.list = NULL;
	o.all = true;
	if (out_init(side, &o, cols, ncols, "", name, &bad) != 0)
		msg_errx(EXIT_UNKNOWN, "cannot set up the %s table", name);
	/* out_init() keeps a pointer: to the copy that lives in SIDE. */
	side->own = o;
	side->opts = &side->own;
	side->single = single;
}

bool out_has(const struct out *out, int col)
{
	return col >= 0 && col < OUT_MAXCOLS && out->map[col] >= 0;
}

struct libscols_line *out_line(struct out *out)
{
	return scols_table_new_line(out->tb, NULL);
}

static void set_cell(struct out *out, struct libscols_line *ln, int col,
		     char *data)
{
	if (!data)
		return;
	if (!ln || !out_has(out, col) ||
	    scols_line_refer_data(ln, (size_t)out->map[col], data) != 0)
		free(data);
}

/*
 * Text and raw output are escaped by libsmartcols (controls, DEL, C1 and
 * invalid UTF-8 become \xNN; in raw mode blanks too).  Its JSON writer
 * escapes only C0 controls and passes DEL and C1 through: JSON strings are
 * escaped here by the same rule, so a name reads the same in every output.
 */
void out_str(struct out *out, struct libscols_line *ln, int col, const char *s)
{
	if (!out_has(out, col) || !s)
		return;
	set_cell(out, ln, col, out->opts->json ? msg_escape(s) : strdup(s));
}

void out_u64(struct out *out, struct libscols_line *ln, int col, uint64_t v)
{
	char *s = NULL;

	if (out_has(out, col) && asprintf(&s, "%llu", (unsigned long long)v) < 0)
		s = NULL;
	set_cell(out, ln, col, s);
}

void out_addr(struct out *out, struct libscols_line *ln, int col, uint64_t v,
	      bool hex)
{
	char *s = NULL;

	if (out_has(out, col) &&
	    asprintf(&s, hex && !out->opts->json ? "0x%llx" : "%llu",
		     (unsigned long long)v) < 0)
		s = NULL;
	set_cell(out, ln, col, s);
}

void out_double(struct out *out, struct libscols_line *ln, int col, double v,
		int decimals)
{
	char *s = NULL;

	if (out_has(out, col) && asprintf(&s, "%.*f", decimals, v) < 0)
		s = NULL;
	set_cell(out, ln, col, s);
}

void out_size(struct out *out, struct libscols_line *ln, int col, uint64_t v)
{
	char buf[SIZE_BUFSZ];

	if (out_has(out, col))
		set_cell(out, ln, col,
			 strdup(size_format(v, out->opts->bytes ||
					    out->opts->json, buf)));
}

void out_limit(struct out *out, struct libscols_line *ln, int col, uint64_t v)
{
	char buf[SIZE_BUFSZ];

	if (v != SIZE_UNLIMITED)
		out_size(out, ln, col, v);
	else if (out_has(out, col))
		set_cell(out, ln, col, strdup(limit_format(v, false, buf)));
}

void out_percent(struct out *out, struct libscols_line *ln, int col, uint64_t part,
		 uint64_t whole)
{
	if (whole && whole != SIZE_UNLIMITED)
		out_u64(out, ln, col, (uint64_t)((long double)part * 100 / whole + 0.5L));
}

void out_bool(struct out *out, struct libscols_line *ln, int col, bool v)
{
	if (out_has(out, col))
		/* libsmartcols prints a JSON boolean from the cell's first
		 * character: "0" is false. */
		set_cell(out, ln, col, strdup(out->opts->json ? (v ? "1" : "0") :
					      (v ? "yes" : "no")));
}

static struct libscols_column *cols_at(struct libscols_table *tb, size_t i);

/* Whether S is printed by libsmartcols as it is, one column a byte:
 * printable ASCII, with no backslash before an 'x' (which it encodes). */
static bool plain_cell(const char *s, size_t *len)
{
	const char *p = s;

	for (; *p; p++)
		if (*p < 0x20 || *p > 0x7e || (*p == '\\' && p[1] == 'x'))
			return false;
	*len = (size_t)(p - s);
	return true;
}

/* The cell of LN in column I, "" for none. */
static const char *cell_text(struct libscols_line *ln, size_t i)
{
	struct libscols_cell *ce = scols_line_get_cell(ln, i);
	const char *d = ce ? scols_cell_get_data(ce) : NULL;

	return d ? d : "";
}

/* One line: cells padded to WIDTH, right-aligned where RIGHT says, one
 * space between, nothing after the last. */
static void plain_line(size_t nc, const char *const *text, const size_t *len,
		       const size_t *width, const bool *right)
{
	for (size_t i = 0; i < nc; i++) {
		size_t pad = width[i] - len[i];
		bool last = i + 1 == nc;

		if (right[i])
			printf("%*s", (int)pad, "");
		fputs(text[i], stdout);
		if (!last && !right[i])
			printf("%*s", (int)pad, "");
		if (!last)
			putchar(' ');
	}
	putchar('\n');
}

/*
 * The table as libsmartcols prints it for a pipe or a file, when every
 * cell is plain (see plain_cell) and no column asks for more than right
 * alignment: each column as wide as its widest cell or header.  It
 * measures a cell by its bytes, where libsmartcols decodes each character
 * twice (its width, then its encoding): on a 20,000-line report that cost
 * more than locking the files.  Anything else, and a terminal, is left to
 * libsmartcols (false).  tests/output.bats compares the two.
 */
static bool print_plain(struct out *out)
{
	struct libscols_table *tb = out->tb;
	size_t nc = scols_table_get_ncols(tb), width[OUT_MAXCOLS], len[OUT_MAXCOLS];
	const char *text[OUT_MAXCOLS];
	bool right[OUT_MAXCOLS], ok = true;
	struct libscols_iter *itr;
	struct libscols_line *ln;

	if (out->opts->raw || out->opts->pairs || nc == 0 || nc > OUT_MAXCOLS ||
	    isatty(STDOUT_FILENO))
		return false;
	for (size_t i = 0; i < nc; i++) {
		struct libscols_column *cl = cols_at(tb, i);
		const char *h = scols_column_get_name(cl);

		if ((scols_column_get_flags(cl) & ~SCOLS_FL_RIGHT) || !h || !plain_cell(h, &len[i]))
			return false;
		width[i] = len[i];	/* with or without the headings */
		right[i] = scols_column_get_flags(cl) & SCOLS_FL_RIGHT;
	}
	/* An empty table is not printed, not even its headings. */
	if (scols_table_get_nlines(tb) == 0)
		return true;
	if (!(itr = scols_new_iter(SCOLS_ITER_FORWARD)))
		return false;
	while (ok && scols_table_next_line(tb, itr, &ln) == 0)
		for (size_t i = 0; ok && i < nc; i++)
			if ((ok = plain_cell(cell_text(ln, i), &len[i])) && len[i] > width[i])
				width[i] = len[i];
	if (ok && !out->opts->noheadings) {
		for (size_t i = 0; i < nc; i++) {
			text[i] = scols_column_get_name(cols_at(tb, i));
			len[i] = strlen(text[i]);
		}
		plain_line(nc, text, len, width, right);
	}
	scols_reset_iter(itr, SCOLS_ITER_FORWARD);
	while (ok && scols_table_next_line(tb, itr, &ln) == 0) {
		for (size_t i = 0; i < nc; i++) {
			text[i] = cell_text(ln, i);
			len[i] = strlen(text[i]);
		}
		plain_line(nc, text, len, width, right);
	}
	scols_free_iter(itr);
	return ok;
}

int out_print(struct out *out)
{
	if (out->opts->json)
		return out_print_json(&out, 1);
	if (print_plain(out))
		return 0;
	return scols_print_table(out->tb);
}

/*
 * JSON is written here, from the cells libsmartcols holds: its own writer
 * prints an empty boolean as false (a figure that was not read) and passes
 * DEL and C1 controls through.  The shape is lsblk's: keys are the column
 * names in lower case, three spaces a level.
 */
/* JSON Lines (--interval): each object on one line, no indentation. */
static bool compact;

void out_json_compact(bool on)
{
	compact = on;
}

/* A separator, then a new line indented by INDENT (none when compact). */
static void json_sep(bool comma, const char *indent)
{
	if (comma)
		putchar(',');
	if (!compact) {
		putchar('\n');
		fputs(indent, stdout);
	}
}

/* Runs of plain bytes go out in one fwrite(), not a character at a time. */
static void json_string(const char *s)
{
	putchar('"');
	while (*s) {
		const char *run = s;

		while ((unsigned char)*s >= 0x20 && *s != '"' && *s != '\\')
			s++;
		fwrite(run, 1, (size_t)(s - run), stdout);
		if (!*s)
			break;
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else
			printf("\\u%04x", (unsigned)*s);
		s++;
	}
	putchar('"');
}

/* "12", "0.4": what a JSON number may be, as memlock writes numbers. */
static bool json_number(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0)
		return false;
	if (s[n] == '.' && s[n + 1] && strspn(s + n + 1, "0123456789") == strlen(s + n + 1))
		return true;
	return s[n] == '\0';
}

/* A cell never set is null: not known (a string set empty is ""; a number
 * or boolean cannot be empty).  A number column holding a word
 * ("unlimited") prints it as a string. */
static void json_value(struct libscols_column *cl, const char *data)
{
	int type = scols_column_get_json_type(cl);

	if (!data || (!*data && type != SCOLS_JSON_STRING))
		fputs("null", stdout);
	else if (type == SCOLS_JSON_BOOLEAN)
		fputs(*data == '1' ? "true" : "false", stdout);
	else if (type == SCOLS_JSON_NUMBER && json_number(data))
		fputs(data, stdout);
	else
		json_string(data);
}

/* The table's columns by position, looked up once a table (a list in
 * libsmartcols, walked from its head on each scols_table_get_column()). */
static struct libscols_column *cols_at(struct libscols_table *tb, size_t i)
{
	static struct libscols_table *cached;
	static struct libscols_column *cols[OUT_MAXCOLS];
	static size_t ncached;

	/* The same address may be a new table: its first column tells. */
	if (cached != tb || i >= ncached || ncached != scols_table_get_ncols(tb) ||
	    cols[0] != scols_table_get_column(tb, 0)) {
		ncached = scols_table_get_ncols(tb);
		if (ncached > OUT_MAXCOLS)
			ncached = OUT_MAXCOLS;
		for (size_t k = 0; k < ncached; k++)
			cols[k] = scols_table_get_column(tb, k);
		cached = tb;
	}
	return i < ncached ? cols[i] : scols_table_get_column(tb, i);
}

static void json_row(struct libscols_table *tb, struct libscols_line *ln, const char *indent)
{
	size_t nc = scols_table_get_ncols(tb);
	char inner[16];

	snprintf(inner, sizeof(inner), "%s   ", indent);
	putchar('{');
	for (size_t i = 0; i < nc; i++) {
		struct libscols_column *cl = cols_at(tb, i);
		struct libscols_cell *ce = scols_line_get_cell(ln, i);
		const char *name = scols_column_get_name(cl);
		char key[64];
		size_t k;

		for (k = 0; name && name[k] && k < sizeof(key) - 1; k++)
			key[k] = name[k] >= 'A' && name[k] <= 'Z' ? name[k] - 'A' + 'a' : name[k];
		key[k] = '\0';
		json_sep(i, inner);
		json_string(key);
		fputs(compact ? ":" : ": ", stdout);
		json_value(cl, ce ? scols_cell_get_data(ce) : NULL);
	}
	json_sep(false, indent);
	putchar('}');
}

int out_json_part(struct out *table, bool first)
{
	size_t n = scols_table_get_nlines(table->tb);

	json_sep(!first, "   ");
	json_string(table->name);
	fputs(compact ? ":" : ": ", stdout);
	if (table->single) {
		if (n)
			json_row(table->tb, scols_table_get_line(table->tb, 0), "   ");
		else
			fputs("null", stdout);
		return 0;
	}
	putchar('[');
	/* An iterator: scols_table_get_line() walks the list from its head
	 * each time, which made a long table quadratic. */
	struct libscols_iter *itr = scols_new_iter(SCOLS_ITER_FORWARD);
	struct libscols_line *ln;
	size_t i = 0;

	while (itr && scols_table_next_line(table->tb, itr, &ln) == 0) {
		json_sep(i++, "      ");
		json_row(table->tb, ln, "      ");
	}
	scols_free_iter(itr);
	if (n)
		json_sep(false, "   ");
	putchar(']');
	return 0;
}

void out_json_strings(const char *name, char *const *v, int n, bool first)
{
	json_sep(!first, "   ");
	json_string(name);
	fputs(compact ? ":[" : ": [", stdout);
	for (int i = 0; i < n; i++) {
		char *e = msg_escape(v[i]);

		json_sep(i, "      ");
		json_string(e ? e : "");
		free(e);
	}
	if (n)
		json_sep(false, "   ");
	putchar(']');
}

/* A "NAME": "VALUE" pair among the parts (a sample's time). */
void out_json_pair(const char *name, const char *value, bool first)
{
	json_sep(!first, "   ");
	json_string(name);
	fputs(compact ? ":" : ": ", stdout);
	json_string(value);
}

int out_print_json(struct out **tables, int n)
{
	putchar('{');
	for (int i = 0; i < n; i++)
		out_json_part(tables[i], i == 0);
	puts(compact ? "}" : "\n}");
	return 0;
}

void out_free(struct out *out)
{
	scols_unref_table(out->tb);
	out->tb = NULL;
	free(bad_buf);
	bad_buf = NULL;
}

char *out_columns_help(const struct out_col *cols, int ncols)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("Available output columns:\n", f);
	for (int i = 0; i < ncols; i++)
		fprintf(f, "  %-10s %s\n", cols[i].name, cols[i].help);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
