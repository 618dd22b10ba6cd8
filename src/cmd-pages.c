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
	return !r->m.err && r->m.locked > 0;
}

static int interval_cmp(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;

	return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* Pages of range I that another range locks too: the union of overlaps. */
static uint64_t shared_pages(const struct range *rs, int n, int i)
{
	uint64_t (*iv)[2] = calloc((size_t)n, sizeof(*iv)), total = 0, cur_s = 0, cur_e = 0;
	int k = 0;

	if (!iv)
		return 0;
	for (int j = 0; j < n; j++) {
		uint64_t s, e;

		if (j == i || !range_locks(&rs[j]) || !range_locks(&rs[i]))
			continue;
		s = rs[i].m.start > rs[j].m.start ? rs[i].m.start : rs[j].m.start;
		e = rs[i].m.end < rs[j].m.end ? rs[i].m.end : rs[j].m.end;
		if (s < e) {
			iv[k][0] = s;
			iv[k++][1] = e;
		}
	}
	qsort(iv, (size_t)k, sizeof(*iv), interval_cmp);
	for (int j = 0; j < k; j++) {
		if (j == 0 || iv[j][0] > cur_e) {
			total += cur_e - cur_s;
			cur_s = iv[j][0];
			cur_e = iv[j][1];
		} else if (iv[j][1] > cur_e) {
			cur_e = iv[j][1];
		}
	}
	total += cur_e - cur_s;
	free(iv);
	return total / rs[i].m.page_size;
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

/* The sentences under the table: one per range, then the sharing warnings. */
static void print_notes(const struct range *rs, int n, char **ops)
{
	char a[32], b[32];

	putchar('\n');
	for (int i = 0; i < n; i++)
		printf("mlock(%s, %s): %s\n", ops[2 * i], ops[2 * i + 1],
		       rs[i].note ? rs[i].note : "");
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			uint64_t s, e;

			if (!range_locks(&rs[i]) || !range_locks(&rs[j]))
				continue;
			s = rs[i].m.start > rs[j].m.start ? rs[i].m.start : rs[j].m.start;
			e = rs[i].m.end < rs[j].m.end ? rs[i].m.end : rs[j].m.end;
			if (s >= e)
				continue;
			printf("warning: ranges %d and %d share %llu page%s (bytes %s to %s); "
			       "locks do not nest: one munlock() of either range unlocks "
			       "%s for both\n", i + 1, j + 1,
			       (unsigned long long)((e - s) / rs[i].m.page_size),
			       plural((e - s) / rs[i].m.page_size),
			       num(&rs[i], s, a), num(&rs[i], e - 1, b),
			       e - s == rs[i].m.page_size ? "it" : "them");
		}
}

int cmd_pages(int argc, char **argv)
{
	struct pages_args a = { .out = { .cols = pages_cols, .ncols = NCOLS } };
	struct out out;
	struct range *rs;
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

		rs[i].hex = strncasecmp(as, "0x", 2) == 0;
		pagemath_mlock(addr, len, a.page_size, &rs[i].m);
		if (rs[i].m.err)
			status = EXIT_REFUSED;
	}
	for (int i = 0; i < n; i++) {
		rs[i].shared = shared_pages(rs, n, i);
		rs[i].note = range_note(&rs[i]);
	}
	/* JSON carries everything a script may want; SHARED only matters
	 * when there is more than one range. */
	out_init_or_err(&out, &a.out, pages_cols, NCOLS,
			a.out.json ? DEFAULT_COLS ",SHARED,NOTE" :
			n > 1 ? DEFAULT_COLS ",SHARED" : DEFAULT_COLS, "pages", "pages");
	for (int i = 0; i < n; i++)
		range_row(&out, &rs[i]);
	out_print(&out);
	out_free(&out);
	if (!a.out.json && !a.out.raw)
		print_notes(rs, n, a.ops);
	for (int i = 0; i < n; i++)
		free(rs[i].note);
	free(rs);
	return status;
}
