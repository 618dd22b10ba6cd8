/* memlock pages: what mlock(ADDR, LEN) really locks. */
#define _GNU_SOURCE
#include "commands.h"
#include "msg.h"
#include "output.h"
#include "pagemath.h"
#include "size.h"

#include <errno.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { COL_ADDR, COL_LEN, COL_START, COL_END, COL_LAST, COL_PAGES, COL_BYTES,
       COL_EXTRA, COL_SHARED, COL_RESULT, COL_NOTE, NCOLS };

static const struct out_col pages_cols[NCOLS] = {
	[COL_ADDR] = { "ADDR", 0, SCOLS_FL_RIGHT, OUT_NUM, "address passed to mlock()" },
	[COL_LEN] = { "LEN", 0, SCOLS_FL_RIGHT, OUT_NUM, "length passed to mlock()" },
	[COL_START] = { "START", 0, SCOLS_FL_RIGHT, OUT_NUM, "first byte locked" },
	[COL_END] = { "END", 0, SCOLS_FL_RIGHT, OUT_NUM, "end of the locked range (exclusive)" },
	[COL_LAST] = { "LAST", 0, SCOLS_FL_RIGHT, OUT_NUM, "last byte locked" },
	[COL_PAGES] = { "PAGES", 0, SCOLS_FL_RIGHT, OUT_NUM, "pages locked" },
	[COL_BYTES] = { "BYTES", 0, SCOLS_FL_RIGHT, OUT_SIZE, "bytes locked" },
	[COL_EXTRA] = { "EXTRA", 0, SCOLS_FL_RIGHT, OUT_SIZE, "bytes locked beyond the request" },
	[COL_SHARED] = { "SHARED", 0, SCOLS_FL_RIGHT, OUT_NUM, "pages shared with another range" },
	[COL_RESULT] = { "RESULT", 0, 0, OUT_STR, "what mlock() returns: ok or EINVAL" },
	[COL_NOTE] = { "NOTE", 0, SCOLS_FL_WRAP, OUT_STR, "what happens, in words" },
};

#define DEFAULT_COLS "ADDR,LEN,START,END,LAST,PAGES,BYTES,EXTRA,RESULT"

struct pages_args {
	struct out_opts out;
	uint64_t page_size;
	char **ops;		/* ADDR LEN pairs */
	int nops;
};

enum { OPT_PAGE_SIZE = 0x100 };

static const struct argp_option pages_options[] = {
	{ "page-size", OPT_PAGE_SIZE, "SIZE", 0,
	  "page size to round to, a power of two (default: the system's; 2M or 1G for huge pages)", 0 },
	{ 0 }
};

static error_t pages_parse(int key, char *arg, struct argp_state *state)
{
	struct pages_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->out;
		break;
	case OPT_PAGE_SIZE:
		a->page_size = size_arg_or_exit(arg, 0, "page size");
		if (!pagemath_is_pow2(a->page_size))
			usage_error("invalid page size '%s': not a power of two", arg);
		break;
	case ARGP_KEY_ARGS:
		a->ops = state->argv + state->next;
		a->nops = state->argc - state->next;
		state->next = state->argc;
		break;
	case ARGP_KEY_NO_ARGS:
		usage_error("pages needs an ADDR and a LEN; see 'memlock pages --help'");
	case ARGP_KEY_END:
		if (a->nops % 2)
			usage_error("address '%s' has no length; pages takes ADDR LEN pairs",
				    a->ops[a->nops - 1]);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child pages_children[] = {
	{ &output_argp, 0, "Output:", 0 },
	{ 0 }
};

static const struct argp pages_argp = {
	pages_options, pages_parse, "ADDR LEN [ADDR LEN...]",
	"Show what mlock(ADDR, LEN) locks: the kernel rounds ADDR down and "
	"ADDR+LEN up to whole pages.  ADDR and LEN are sizes (decimal, 0x hex, "
	"K/M/G suffixes).  With several ranges, pages they share are reported: "
	"locks do not nest.\v",
	pages_children, NULL, NULL
};

struct range {
	struct mlock_math m;
	bool hex;		/* the user wrote ADDR in hex: answer in hex */
	uint64_t shared;	/* pages also in another range */
	char *note;
};

/* Formats V as the user wrote addresses. */
static const char *num(const struct range *r, uint64_t v, char buf[32])
{
	snprintf(buf, 32, r->hex ? "0x%llx" : "%llu", (unsigned long long)v);
	return buf;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static char *range_note(const struct range *r)
{
	const struct mlock_math *m = &r->m;
	char a[32], b[32], c[32], d[32];
	char *s = NULL;
	int rc;

	if (m->err)
		rc = asprintf(&s, "the end of the range, %s + %llu bytes, wraps past 2^64: "
			      "mlock() fails with EINVAL and locks nothing",
			      num(r, m->start, a), (unsigned long long)m->locked);
	else if (m->locked == 0 && !m->wrapped)
		rc = asprintf(&s, "a zero length at a page boundary locks nothing; "
			      "mlock() returns 0");
	else if (m->locked == 0)
		rc = asprintf(&s, "LEN plus the offset of ADDR in its page (%llu) wraps "
			      "past 2^64 when rounded up to a page, so the kernel's length "
			      "becomes 0: it locks nothing and returns 0",
			      (unsigned long long)m->offset);
	else if (m->wrapped)
		rc = asprintf(&s, "LEN plus the offset of ADDR in its page (%llu) wraps "
			      "past 2^64, leaving %llu bytes: the kernel locks bytes %s to "
			      "%s (%llu page%s) and returns 0",
			      (unsigned long long)m->offset, (unsigned long long)m->locked,
			      num(r, m->start, a), num(r, m->end - 1, b),
			      (unsigned long long)pagemath_pages(m),
			      plural(pagemath_pages(m)));
	else if (m->len == 0)
		rc = asprintf(&s, "a zero length inside a page still locks that page: "
			      "bytes %s to %s", num(r, m->start, a), num(r, m->end - 1, b));
	else if (pagemath_extra(m) == 0)
		rc = asprintf(&s, "locks bytes %s to %s, %llu page%s of %llu bytes: "
			      "exactly the bytes asked for", num(r, m->start, a),
			      num(r, m->end - 1, b), (unsigned long long)pagemath_pages(m),
			      plural(pagemath_pages(m)), (unsigned long long)m->page_size);
	else
		rc = asprintf(&s, "locks bytes %s to %s, %llu page%s of %llu bytes: "
			      "ADDR rounds down to %s and ADDR+LEN up to %s, so %llu bytes "
			      "beyond the request are locked too (%llu before, %llu after)",
			      num(r, m->start, a), num(r, m->end - 1, b),
			      (unsigned long long)pagemath_pages(m),
			      plural(pagemath_pages(m)),
			      (unsigned long long)m->page_size, num(r, m->start, c),
			      num(r, m->end, d), (unsigned long long)pagemath_extra(m),
			      (unsigned long long)m->offset,
			      (unsigned long long)(pagemath_extra(m) - m->offset));
	return rc < 0 ? NULL : s;
}

static bool range_locks(const struct range *r)
{
	return pagemath_locks(&r->m);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	return p;
}

static int int_cmp(const void *x, const void *y)
{
	return *(const int *)x - *(const int *)y;
}

/* The group's range numbers (1-based, as given), "1, 3 and 5-9", malloc'd:
 * three or more in a row are written as a span. */
static char *group_list(const struct pm_sharing *sh, const struct pm_group *g)
{
	size_t n = g->last - g->first + 1, len = 0, items = 0, item = 0;
	int *v = xcalloc(n, sizeof(*v));
	char *buf = xcalloc(n * 24 + 1, 1);

	memcpy(v, sh->order + g->first, n * sizeof(*v));
	qsort(v, n, sizeof(*v), int_cmp);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0, j; i < n; i = j + 1) {
			for (j = i; j + 1 < n && v[j + 1] == v[j] + 1; j++)
				;
			if (j < i + 2)
				j = i;	/* one or two in a row: each on its own */
			if (pass == 0) {
				items++;
				continue;
			}
			len += (size_t)sprintf(buf + len, "%s%d", item == 0 ? "" :
					       item + 1 == items ? " and " : ", ", v[i] + 1);
			if (j > i)
				len += (size_t)sprintf(buf + len, "-%d", v[j] + 1);
			item++;
		}
	}
	free(v);
	return buf;
}

static void range_row(struct out *out, const struct range *r)
{
	const struct mlock_math *m = &r->m;
	struct libscols_line *ln = out_line(out);

	out_addr(out, ln, COL_ADDR, m->addr, r->hex);
	out_u64(out, ln, COL_LEN, m->len);
	out_addr(out, ln, COL_START, m->start, r->hex);
	if (!m->err) {
		out_addr(out, ln, COL_END, m->end, r->hex);
		if (m->locked)
			out_addr(out, ln, COL_LAST, m->end - 1, r->hex);
		if (!m->wrapped)
			out_size(out, ln, COL_EXTRA, pagemath_extra(m));
	}
	out_u64(out, ln, COL_PAGES, pagemath_pages(m));
	out_size(out, ln, COL_BYTES, m->err ? 0 : m->locked);
	out_u64(out, ln, COL_SHARED, r->shared);
	out_str(out, ln, COL_RESULT, m->err ? "EINVAL" : "ok");
	out_str(out, ln, COL_NOTE, r->note);
}

/* The sentences under the table: one per range, then one warning for each
 * group of ranges that share pages. */
static void print_notes(const struct range *rs, int n, char **ops,
			const struct pm_sharing *sh)
{
	struct pm_group g;
	size_t i = 0;
	char a[32], b[32];

	putchar('\n');
	for (int k = 0; k < n; k++)
		printf("mlock(%s, %s): %s\n", ops[2 * k], ops[2 * k + 1],
		       rs[k].note ? rs[k].note : "");
	while (pagemath_next_group(sh, &i, &g)) {
		const struct range *r = &rs[sh->order[g.first]];
		uint64_t first = 0, last = 0, bytes = pagemath_group_shared(sh, &g, &first, &last);
		uint64_t pages = bytes / r->m.page_size;
		bool two = g.last == g.first + 1;
		char *list = group_list(sh, &g);

		printf("warning: ranges %s share %llu page%s (%sbytes %s to %s); locks do not "
		       "nest: one munlock() of %s unlocks %s for %s\n", list,
		       (unsigned long long)pages, plural(pages),
		       bytes == last - first + 1 ? "" : "in ", num(r, first, a), num(r, last, b),
		       two ? "either range" : "any of them", pages == 1 ? "it" : "them",
		       two ? "both" : "all");
		free(list);
	}
}

enum { GCOL_RANGES, GCOL_PAGES, GCOL_FIRST, GCOL_LAST, NGCOLS };

static const struct out_col group_cols[NGCOLS] = {
	[GCOL_RANGES] = { "RANGES", 0, 0, OUT_STR, "" },
	[GCOL_PAGES] = { "PAGES", 0, 0, OUT_NUM, "" },
	[GCOL_FIRST] = { "FIRST", 0, 0, OUT_NUM, "" },
	[GCOL_LAST] = { "LAST", 0, 0, OUT_NUM, "" },
};

/* JSON: the ranges beside the groups that share pages. */
static void print_json(struct out *out, const struct range *rs, const struct pm_sharing *sh)
{
	struct out groups;
	struct out *both[2] = { out, &groups };
	struct pm_group g;
	size_t i = 0;

	out_init_side(&groups, out, group_cols, NGCOLS, "shared", false);
	while (pagemath_next_group(sh, &i, &g)) {
		struct libscols_line *ln = out_line(&groups);
		uint64_t first = 0, last = 0;
		uint64_t bytes = pagemath_group_shared(sh, &g, &first, &last);
		char *list = group_list(sh, &g);

		out_str(&groups, ln, GCOL_RANGES, list);
		out_u64(&groups, ln, GCOL_PAGES, bytes / rs[sh->order[g.first]].m.page_size);
		out_u64(&groups, ln, GCOL_FIRST, first);
		out_u64(&groups, ln, GCOL_LAST, last);
		free(list);
	}
	out_print_json(both, 2);
	out_free(&groups);
}

int cmd_pages(int argc, char **argv)
{
	struct pages_args a = { .out = { .cols = pages_cols, .ncols = NCOLS } };
	struct out out;
	struct range *rs;
	struct mlock_math *ms;
	struct pm_sharing sh;
	int n, status = EXIT_OK;

	cli_parse(&pages_argp, argc, argv, 0, &a);
	if (!a.page_size)
		a.page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	n = a.nops / 2;
	rs = calloc((size_t)n, sizeof(*rs));
	if (!rs)
		msg_err(EXIT_UNKNOWN, "out of memory");
	for (int i = 0; i < n; i++) {
		const char *as = a.ops[2 * i], *ls = a.ops[2 * i + 1];
		uint64_t addr = size_arg_or_exit(as, 0, "address");
		uint64_t len = size_arg_or_exit(ls, 0, "length");

		rs[i].hex = as[0] == '0' && (as[1] == 'x' || as[1] == 'X');
		pagemath_mlock(addr, len, a.page_size, &rs[i].m);
		if (rs[i].m.err)
			status = EXIT_REFUSED;
	}
	ms = xcalloc((size_t)n, sizeof(*ms));
	for (int i = 0; i < n; i++)
		ms[i] = rs[i].m;
	if (pagemath_sharing(ms, (size_t)n, &sh) != 0)
		msg_errx(EXIT_UNKNOWN, "out of memory");
	for (int i = 0; i < n; i++) {
		if (range_locks(&rs[i]))
			rs[i].shared = pagemath_shared_bytes(&sh, rs[i].m.start, rs[i].m.end) /
				       rs[i].m.page_size;
		rs[i].note = range_note(&rs[i]);
	}
	/* JSON carries everything a script may want; SHARED only matters
	 * when there is more than one range. */
	out_init_or_err(&out, &a.out, pages_cols, NCOLS,
			a.out.json ? DEFAULT_COLS ",SHARED,NOTE" :
			n > 1 ? DEFAULT_COLS ",SHARED" : DEFAULT_COLS, "pages", "pages");
	for (int i = 0; i < n; i++)
		range_row(&out, &rs[i]);
	if (a.out.json)
		print_json(&out, rs, &sh);
	else
		out_print(&out);
	out_free(&out);
	if (out_for_people(&a.out))
		print_notes(rs, n, a.ops, &sh);
	pagemath_sharing_free(&sh);
	free(ms);
	for (int i = 0; i < n; i++)
		free(rs[i].note);
	free(rs);
	return status;
}
