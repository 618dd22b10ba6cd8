/* --interval and --count: repeated samples at a steady pace, for status
 * and files. */
#ifndef MEMLOCK_WATCH_H
#define MEMLOCK_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct watch {
	bool on;			/* --interval given */
	uint64_t interval_ms;
	bool have_count;
	uint64_t count;
	uint64_t taken;			/* samples so far */
	struct timespec next;		/* CLOCK_MONOTONIC */
};

/* The option parsers: bad input is one line and exit 2. */
void watch_interval_arg(struct watch *w, const char *arg);
void watch_count_arg(struct watch *w, const char *arg);
/* At ARGP_KEY_END: --count without --interval is refused. */
void watch_check(const struct watch *w);

/* Before the first sample: SIGINT and SIGTERM end the watch after the
 * sample in hand. */
void watch_start(struct watch *w);

/* After a sample: false when it was the last (no --interval, --count
 * reached, or a signal); else sleeps until the next is due. */
bool watch_next(struct watch *w);

/* Now, as ISO 8601 in UTC with milliseconds: "2026-11-27T21:57:53.859Z". */
void watch_time(char *buf, size_t len);

#endif
