/* Messages on stderr and the escaper: see msg.h. */
#define _GNU_SOURCE
#include "msg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Length of the valid, printable UTF-8 sequence at S (S[0] >= 0x80), or 0. */
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
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f) ||
	    cp == 0x2028 || cp == 0x2029)
		return 0;
	return n;
}

char *msg_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf = malloc(strlen(s) * 4 + 1), *q = buf;

	if (!buf)
		return NULL;
	while (*p) {
		int n = *p >= 0x80 ? utf8_len(p) :
			*p >= 0x20 && *p != 0x7f && !(*p == '\\' && p[1] == 'x');

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

static bool quiet, to_syslog;
static const char *prefix;

void msg_prefix(const char *p)
{
	prefix = p;
}

void msg_quiet(bool on)
{
	quiet = on;
}

void msg_syslog(bool on)
{
	if (on && !to_syslog)
		openlog(program_invocation_short_name, LOG_PID, LOG_DAEMON);
	to_syslog = on;
}

/* "memlock: MESSAGE[: strerror(ERR)]", escaped as a whole. */
static void emit(int err, const char *fmt, va_list ap)
{
	char *text = NULL, *safe;

	if (quiet)
		return;
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	safe = text ? msg_escape(text) : NULL;
	/* What was printed before the message comes before it, into a pipe
	 * or a file as on a terminal. */
	fflush(stdout);
	fprintf(stderr, "%s: %s%s%s%s%s\n", program_invocation_short_name, prefix ? prefix : "",
		prefix ? ": " : "", safe ? safe : "out of memory", err ? ": " : "",
		err ? strerror(err) : "");
	if (to_syslog)
		syslog(LOG_WARNING, "%s%s%s%s%s", prefix ? prefix : "", prefix ? ": " : "",
		       safe ? safe : "out of memory", err ? ": " : "", err ? strerror(err) : "");
	free(safe);
	free(text);
}

void msg_vwarnx(const char *fmt, va_list ap)
{
	emit(0, fmt, ap);
}

void msg_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(0, fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	emit(e, fmt, ap);
	va_end(ap);
}

void msg_errx(int status, const char *fmt, ...)
{
	va_list ap;

	quiet = false;
	va_start(ap, fmt);
	emit(0, fmt, ap);
	va_end(ap);
	exit(status);
}

void msg_err(int status, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	quiet = false;
	va_start(ap, fmt);
	emit(e, fmt, ap);
	va_end(ap);
	exit(status);
}
