/*
 * Messages on stderr, "memlock: ..." in one line, and the one escaper for
 * every byte that came from elsewhere (argv, file names, process names,
 * cgroup paths) on either stream.  Like err(3) and warnx(3), which they
 * replace because those print what they are given: a path holding ESC would
 * reach the terminal.  Here the whole formatted line is escaped once, at the
 * end, so no caller can forget it and none escapes twice.
 */
#ifndef MEMLOCK_MSG_H
#define MEMLOCK_MSG_H

#include <stdarg.h>
#include <stdbool.h>

/*
 * A copy of S safe for a terminal, a log or JSON (malloc'd; NULL without
 * memory): C0 controls, DEL, C1 controls (raw, or encoded in UTF-8),
 * U+2028/U+2029, bytes that are not valid UTF-8, and a backslash that is
 * followed by 'x' become \xNN, byte by byte.  That is libsmartcols' own rule
 * for table cells, so a name reads the same in every output.
 */
char *msg_escape(const char *s);

/* warnx(3), warn(3), errx(3) and err(3), escaped. */
void msg_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While ON, warnings are not printed (a repeated sample says its
 * problems once); errors that end the program still are. */
void msg_quiet(bool on);
/* While ON (a detached holder, whose stderr is gone), every message goes
 * to syslog(3) as well, as "memlock[PID]: ..." of the daemon facility. */
void msg_syslog(bool on);
/* While PREFIX is not NULL, warnings read "memlock: PREFIX: ..." (what a
 * reload finds, told apart from what was found at start). */
void msg_prefix(const char *prefix);
void msg_vwarnx(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_errx(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void msg_err(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
