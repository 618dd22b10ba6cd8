/* Sizes and durations: the only place where memlock turns text into numbers. */
#include "size.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int ascii_casecmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	while (*p && ascii_lower(*p) == ascii_lower(*q)) {
		p++;
		q++;
	}
	return ascii_lower(*p) - ascii_lower(*q);
}

int size_add(uint64_t a, uint64_t b, uint64_t *out)
{
	if (a > UINT64_MAX - b)
		return -ERANGE;
	*out = a + b;
	return 0;
}

int size_mul(uint64_t a, uint64_t b, uint64_t *out)
{
	if (a != 0 && b > UINT64_MAX / a)
		return -ERANGE;
	*out = a * b;
	return 0;
}

int size_align_up(uint64_t v, uint64_t align, uint64_t *out)
{
	uint64_t mask = align - 1;

	if (v > UINT64_MAX - mask)
		return -ERANGE;
	*out = (v + mask) & ~mask;
	return 0;
}

/* Reads digits in BASE from *p; -EINVAL if there are none. */
static int digits_parse(const char **p, unsigned base, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int overflow = 0;

	for (;; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9' && (unsigned)(*s - '0') < base)
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		/* No division a digit: /proc parsers read millions of them. */
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
			overflow = 1;
	}
	if (s == *p)
		return -EINVAL;
	*p = s;
	*out = v;
	return overflow ? -ERANGE : 0;
}

/* Reads a decimal or 0x-hex integer; leading zeros stay decimal. */
static int integer_parse(const char **p, uint64_t *out)
{
	if ((*p)[0] == '0' && ((*p)[1] == 'x' || (*p)[1] == 'X')) {
		*p += 2;
		return digits_parse(p, 16, out);
	}
	return digits_parse(p, 10, out);
}

/* The multiplier a suffix stands for, or 0 when it is not one. */
static uint64_t suffix_multiplier(const char *s)
{
	static const char letters[] = "KMGTPE";
	const char *l;
	uint64_t m = 1, base;
	int i, power;

	if (*s == '\0' || strcmp(s, "B") == 0 || strcmp(s, "b") == 0)
		return 1;
	l = strchr(letters, s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' + 'A' : s[0]);
	if (s[0] == '\0' || !l)
		return 0;
	power = (int)(l - letters) + 1;
	if (s[1] == '\0' || ascii_casecmp(s + 1, "iB") == 0)
		base = 1024;
	else if (ascii_casecmp(s + 1, "B") == 0)
		base = 1000;
	else
		return 0;
	for (i = 0; i < power; i++)
		m *= base;
	return m;
}

int size_parse(const char *s, unsigned flags, uint64_t *out)
{
	const char *p = s;
	uint64_t v, m;
	int rc;

	if (!s || !*s)
		return -EINVAL;
	if ((flags & SIZE_ALLOW_UNLIMITED) &&
	    (strcmp(s, "unlimited") == 0 || strcmp(s, "infinity") == 0)) {
		*out = SIZE_UNLIMITED;
		return 0;
	}
	rc = integer_parse(&p, &v);
	if (rc == -EINVAL)
		return rc;
	m = suffix_multiplier(p);
	if (m == 0)
		return -EINVAL;
	if (rc == -ERANGE)
		return -ERANGE;
	return size_mul(v, m, out);
}

int duration_parse(const char *s, uint64_t *ms)
{
	const char *p = s;
	uint64_t v, m;
	int rc;

	if (!s || !*s)
		return -EINVAL;
	rc = digits_parse(&p, 10, &v);
	if (rc == -EINVAL)
		return rc;
	if (*p == '\0' || strcmp(p, "s") == 0)
		m = 1000;
	else if (strcmp(p, "ms") == 0)
		m = 1;
	else if (strcmp(p, "m") == 0)
		m = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		m = 3600 * 1000;
	else
		return -EINVAL;
	if (rc == -ERANGE)
		return -ERANGE;
	return size_mul(v, m, ms);
}

int number_scan(const char **p, unsigned base, uint64_t *out)
{
	return digits_parse(p, base, out);
}

int number_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *p = s;
	uint64_t v;
	int rc;

	if (!s || !*s)
		return -EINVAL;
	rc = digits_parse(&p, 10, &v);
	if (rc == -EINVAL || *p != '\0')
		return -EINVAL;
	if (rc == -ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

char *size_format(uint64_t bytes, bool exact, char buf[SIZE_BUFSZ])
{
	static const char units[] = "KMGTPE";
	uint64_t whole, rest;
	unsigned shift = 0, tenth;
	int u = -1;

	if (exact || bytes < 1024) {
		snprintf(buf, SIZE_BUFSZ, exact ? "%llu" : "%lluB",
			 (unsigned long long)bytes);
		return buf;
	}
	while (u < 5 && (bytes >> (shift + 10)) != 0) {
		shift += 10;
		u++;
	}
	whole = bytes >> shift;
	rest = bytes - (whole << shift);
	/* One decimal, rounded to nearest: REST in 1024ths of the unit first,
	 * so that multiplying by ten cannot overflow. */
	tenth = (unsigned)(((rest >> (shift - 10)) * 10 + 512) >> 10);
	if (tenth >= 10) {
		whole++;
		tenth = 0;
	}
	/* 1023.95K rounds to 1024K: that is 1M. */
	if (whole == 1024 && u < 5) {
		whole = 1;
		u++;
	}
	if (tenth)
		snprintf(buf, SIZE_BUFSZ, "%llu.%u%c", (unsigned long long)whole,
			 tenth, units[u]);
	else
		snprintf(buf, SIZE_BUFSZ, "%llu%c", (unsigned long long)whole,
			 units[u]);
	return buf;
}

char *limit_format(uint64_t bytes, bool exact, char buf[SIZE_BUFSZ])
{
	if (bytes == SIZE_UNLIMITED) {
		snprintf(buf, SIZE_BUFSZ, "unlimited");
		return buf;
	}
	return size_format(bytes, exact, buf);
}

void size_format_apart(uint64_t a, uint64_t b, char abuf[SIZE_BUFSZ],
		       char bbuf[SIZE_BUFSZ])
{
	bool exact = false;

	for (;;) {
		limit_format(a, exact, abuf);
		limit_format(b, exact, bbuf);
		if (a == b || exact || strcmp(abuf, bbuf) != 0)
			return;
		exact = true;
	}
}

const char *size_strerror(int err)
{
	switch (err) {
	case -ERANGE:
		return "out of range";
	case -EINVAL:
		return "not a number with an optional unit";
	default:
		return strerror(-err);
	}
}
