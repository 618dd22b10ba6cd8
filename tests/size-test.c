/* Unit test of src/size.c: every input the parsers must take or refuse. */
#include "size.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define OK(v) 0, (v)
#define BAD -EINVAL, 0
#define BIG -ERANGE, 0
#define U SIZE_ALLOW_UNLIMITED

struct size_case {
	const char *in;
	unsigned flags;
	int rc;
	uint64_t want;
};

static const struct size_case sizes[] = {
	{ "0", 0, OK(0) },
	{ "1", 0, OK(1) },
	{ "4096", 0, OK(4096) },
	{ "010", 0, OK(10) },		/* leading zeros are decimal */
	{ "010K", 0, OK(10240) },	/* not octal, not 8K */
	{ "0x0a", 0, OK(10) },
	{ "0X1F", 0, OK(31) },
	{ "0x10K", 0, OK(16384) },
	{ "0x1B", 0, OK(27) },		/* hex digits are read greedily */
	{ "0x1E", 0, OK(30) },
	{ "0xffffffffffffffff", 0, OK(UINT64_MAX) },
	{ "18446744073709551615", 0, OK(UINT64_MAX) },
	{ "1K", 0, OK(1024) },
	{ "1k", 0, OK(1024) },
	{ "1KiB", 0, OK(1024) },
	{ "1kib", 0, OK(1024) },
	{ "1KB", 0, OK(1000) },
	{ "1kB", 0, OK(1000) },
	{ "64M", 0, OK(67108864) },
	{ "64MiB", 0, OK(67108864) },
	{ "64MB", 0, OK(64000000) },
	{ "2G", 0, OK(2147483648ULL) },
	{ "1T", 0, OK(1099511627776ULL) },
	{ "1P", 0, OK(1125899906842624ULL) },
	{ "1E", 0, OK(1152921504606846976ULL) },
	{ "15E", 0, OK(17293822569102704640ULL) },
	{ "1EB", 0, OK(1000000000000000000ULL) },
	{ "18EB", 0, OK(18000000000000000000ULL) },
	{ "512B", 0, OK(512) },
	{ "512b", 0, OK(512) },
	{ "0K", 0, OK(0) },
	{ "unlimited", U, OK(SIZE_UNLIMITED) },
	{ "infinity", U, OK(SIZE_UNLIMITED) },
	/* Refused. */
	{ "", 0, BAD },
	{ " 1", 0, BAD },
	{ "1 ", 0, BAD },
	{ "\t1", 0, BAD },
	{ "-1", 0, BAD },
	{ "+1", 0, BAD },
	{ "1KK", 0, BAD },
	{ "0x", 0, BAD },
	{ "0xK", 0, BAD },
	{ "1e3", 0, BAD },
	{ "K", 0, BAD },
	{ "KiB", 0, BAD },
	{ "1.5G", 0, BAD },
	{ "18.5E", 0, BAD },
	{ "1 K", 0, BAD },
	{ "1Ki", 0, BAD },
	{ "1KiBB", 0, BAD },
	{ "1X", 0, BAD },
	{ "1Z", 0, BAD },
	{ "abc", 0, BAD },
	{ "unlimited", 0, BAD },	/* only limits take it */
	{ "Unlimited", U, BAD },
	{ "unlimitedK", U, BAD },
	{ "0x-1", 0, BAD },
	{ "1_000", 0, BAD },
	{ "1,000", 0, BAD },
	{ "٣", 0, BAD },
	{ "1\n", 0, BAD },
	/* Too large for 64 bits. */
	{ "18446744073709551616", 0, BIG },	/* 2^64 */
	{ "99999999999999999999999", 0, BIG },
	{ "0x10000000000000000", 0, BIG },
	{ "16E", 0, BIG },
	{ "16EiB", 0, BIG },
	{ "17179869184G", 0, BIG },
	{ "19EB", 0, BIG },
	{ "18446744073709551615K", 0, BIG },
};

struct dur_case {
	const char *in;
	int rc;
	uint64_t want;
};

static const struct dur_case durations[] = {
	{ "0", OK(0) }, { "5", OK(5000) }, { "5s", OK(5000) },
	{ "250ms", OK(250) }, { "2m", OK(120000) }, { "1h", OK(3600000) },
	{ "", BAD }, { "s", BAD }, { "-1", BAD }, { "1.5s", BAD },
	{ "1d", BAD }, { "1 s", BAD }, { "5S", BAD }, { "0x10", BAD },
	{ "18446744073709551615h", BIG }, { "99999999999999999999", BIG },
};

struct fmt_case {
	uint64_t in;
	const char *want;
};

static const struct fmt_case formats[] = {
	{ 0, "0B" }, { 1023, "1023B" }, { 1024, "1K" }, { 1536, "1.5K" },
	{ 8191, "8K" }, { 4192, "4.1K" }, { 8388608, "8M" },
	{ 1610612736, "1.5G" }, { 1152921504606846976ULL, "1E" },
	{ UINT64_MAX, "16E" },
	/* Rounding up to the next unit carries into it. */
	{ 1048575, "1M" }, { 1048371, "1023.8K" }, { 1073741823, "1G" },
	{ 1152921504606846975ULL, "1E" }, { 1047552, "1023K" },
};

/* The checked helpers: a wrap is -ERANGE, never a value. */
struct arith_case {
	char op;		/* '+', '*' or '^' (align up) */
	uint64_t a, b;
	int rc;
	uint64_t want;
};

static const struct arith_case ariths[] = {
	{ '+', 1, 2, OK(3) },
	{ '+', UINT64_MAX, 0, OK(UINT64_MAX) },
	{ '+', UINT64_MAX, 1, BIG },
	{ '+', UINT64_MAX / 2 + 1, UINT64_MAX / 2 + 1, BIG },
	{ '*', 0, UINT64_MAX, OK(0) },
	{ '*', UINT64_MAX, 1, OK(UINT64_MAX) },
	{ '*', 1ULL << 32, 1ULL << 32, BIG },
	{ '*', 4096, 1ULL << 52, BIG },
	{ '*', 4096, (1ULL << 52) - 1, OK(UINT64_MAX - 4095) },
	{ '^', 0, 4096, OK(0) },
	{ '^', 1, 4096, OK(4096) },
	{ '^', 4096, 4096, OK(4096) },
	{ '^', UINT64_MAX - 4095, 4096, OK(UINT64_MAX - 4095) },
	{ '^', UINT64_MAX - 4094, 4096, BIG },
	{ '^', UINT64_MAX, 4096, BIG },
	{ '^', UINT64_MAX, 1, OK(UINT64_MAX) },
};

int main(void)
{
	int fails = 0, n = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++, n++) {
		const struct size_case *c = &sizes[i];
		uint64_t v = 0;
		int rc = size_parse(c->in, c->flags, &v);

		if (rc != c->rc || (rc == 0 && v != c->want)) {
			printf("not ok size_parse(\"%s\"): rc %d value %" PRIu64
			       ", want rc %d value %" PRIu64 "\n",
			       c->in, rc, v, c->rc, c->want);
			fails++;
		}
	}
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++, n++) {
		const struct dur_case *c = &durations[i];
		uint64_t v = 0;
		int rc = duration_parse(c->in, &v);

		if (rc != c->rc || (rc == 0 && v != c->want)) {
			printf("not ok duration_parse(\"%s\"): rc %d value %" PRIu64 "\n",
			       c->in, rc, v);
			fails++;
		}
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++, n++) {
		char buf[SIZE_BUFSZ];

		size_format(formats[i].in, false, buf);
		if (strcmp(buf, formats[i].want) != 0) {
			printf("not ok size_format(%" PRIu64 ") = %s, want %s\n",
			       formats[i].in, buf, formats[i].want);
			fails++;
		}
	}
	for (size_t i = 0; i < sizeof(ariths) / sizeof(ariths[0]); i++, n++) {
		const struct arith_case *c = &ariths[i];
		uint64_t v = 12345;
		int rc = c->op == '+' ? size_add(c->a, c->b, &v) :
			 c->op == '*' ? size_mul(c->a, c->b, &v) :
			 size_align_up(c->a, c->b, &v);

		if (rc != c->rc || (rc == 0 && v != c->want) || (rc != 0 && v != 12345)) {
			printf("not ok %" PRIu64 " %c %" PRIu64 ": rc %d value %" PRIu64 "\n",
			       c->a, c->op, c->b, rc, v);
			fails++;
		}
	}
	/* Names compare by ASCII alone, whatever the locale says of i and I. */
	n += 4;
	fails += ascii_casecmp("pid", "PID") != 0;
	fails += ascii_casecmp("KIB", "kib") != 0;
	fails += ascii_casecmp("pid", "PIDS") == 0;
	fails += ascii_casecmp("\xc4\xb0", "i") == 0;	/* capital dotted I is not i */
	printf("%d passed, %d failed\n", n - fails, fails);
	return fails != 0;
}
