/* Column tables: one descriptor table per command feeds -o parsing, the
 * help text and libsmartcols at once. */
#define _GNU_SOURCE
#include "output.h"
#include "size.h"

#include <errno.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_OUTPUT_ALL = 0x1000, OPT_RAW_LONG };

/* The output options; RAW_KEY is 'r', or a long-only key where -r means
 * something else. */
#define OUTPUT_OPTIONS(RAW_KEY) \
	{ "json", 'J', NULL, 0, "use JSON output format", 0 }, \
	{ "raw", RAW_KEY, NULL, 0, "use raw output format", 0 }, \
	{ "noheadings", 'n', NULL, 0, "don't print headings", 0 }, \
	{ "output", 'o', "LIST", 0, \
	  "define which output columns to use (+LIST adds to the default)", 0 }, \
	{ "output-all", OPT_OUTPUT_ALL, NULL, 0, "output all columns", 0 }, \
	{ "bytes", 'b', NULL, 0, "print sizes in bytes rather than 8M style", 0 }, \
	{ 0 }

static const struct argp_option output_options[] = { OUTPUT_OPTIONS('r') };

static error_t output_parse(int key, char *arg, struct argp_state *state)
{
	struct out_opts *o = state->input;

	switch (key) {
	case 'J': o->json = true; break;
	case 'r':
	case OPT_RAW_LONG: o->raw = true; break;
	case 'n': o->noheadings = true; break;
	case 'o': o->list = arg; break;
	case OPT_OUTPUT_ALL: o->all = true; break;
	case 'b': o->bytes = true; break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The column list under a command's --help: its argument struct begins
 * with its struct out_opts, which names the columns. */
static char *output_help(int key, const char *text, void *input)
{
	const struct out_opts *o = input;

	if (key == ARGP_KEY_HELP_POST_DOC && o && o->cols)
		return out_columns_help(o->cols, o->ncols);
	return (char *)text;
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
		if (strcasecmp(cols[i].name, name) == 0)
			return i;
	return -1;
}

/* Appends the ids named in LIST to IDS; -EINVAL names the bad one. */
static int list_parse(char *list, const struct out_col *cols, int ncols,
		      int *ids, int *n, const char **bad)
{
	char *save = NULL;

	for (char *w = strtok_r(list, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		int id = col_lookup(cols, ncols, w);

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
	if (bad_buf[0] == '\0') {
		*bad = bad_buf;
		return -EINVAL;
	}
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
	scols_table_enable_json(out->tb, opts->json);
	scols_table_enable_raw(out->tb, opts->raw);
	scols_table_enable_noheadings(out->tb, opts->noheadings);
	scols_table_set_name(out->tb, name);
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

int out_init_side(struct out *side, const struct out *main,
		  const struct out_col *cols, int ncols, const char *name)
{
	struct out_opts o = *main->opts;
	const char *bad;
	int rc;

	o.list = NULL;
	o.all = true;
	rc = out_init(side, &o, cols, ncols, "", name, &bad);
	/* out_init() keeps a pointer: to the copy that lives in SIDE. */
	side->own = o;
	side->opts = &side->own;
	return rc;
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

static bool utf8_valid(const char *s);

/*
 * Text and raw output are escaped by libsmartcols (controls and, in raw
 * mode, blanks become \xNN).  JSON escapes C0 controls as \u00NN, which
 * keeps the data faithful, but cannot carry invalid UTF-8: such a string
 * is escaped whole.
 */
void out_str(struct out *out, struct libscols_line *ln, int col, const char *s)
{
	if (!out_has(out, col) || !s)
		return;
	if (out->opts->json && !utf8_valid(s))
		set_cell(out, ln, col, out_escape(s));
	else
		set_cell(out, ln, col, strdup(s));
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
	else if (out_has(out, col) && !out->opts->json)
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

int out_print(struct out *out)
{
	return scols_print_table(out->tb);
}

int out_print_json_merged(struct out **tables, int n)
{
	int rc = 0;

	putchar('{');
	for (int i = 0; i < n && rc == 0; i++) {
		char *s = NULL, *b, *e;

		rc = scols_print_table_to_string(tables[i]->tb, &s);
		if (rc == 0 && s && (b = strchr(s, '{')) && (e = strrchr(s, '}')) && e > b) {
			/* The inside of {...}, joined with commas. */
			*e = '\0';
			while (e > b + 1 && (e[-1] == '\n' || e[-1] == ' '))
				*--e = '\0';
			printf("%s%s", i ? "," : "", b + 1);
		}
		free(s);
	}
	puts("\n}");
	return rc;
}

void out_title(struct out *out, const char *title)
{
	char *t = out_escape(title);

	if (t)
		scols_cell_set_data(scols_table_get_title(out->tb), t);
	free(t);
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

/* Length of the valid UTF-8 sequence at S that is not a C1 control, or 0. */
static int utf8_len(const unsigned char *s)
{
	int n;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	cp = s[0] & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 1 : utf8_len(p);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

char *out_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf = malloc(strlen(s) * 4 + 1), *q = buf;

	if (!buf)
		return NULL;
	while (*p) {
		int n = *p >= 0x80 ? utf8_len(p) : (*p >= 0x20 && *p != 0x7f &&
						     *p != '\\');
		if (n == 0) {
			q += sprintf(q, "\\x%02x", *p++);
			continue;
		}
		memcpy(q, p, (size_t)n);
		q += n;
		p += n;
	}
	*q = '\0';
	return buf;
}
