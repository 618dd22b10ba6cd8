/* See watch.h. */
#define _GNU_SOURCE
#include "watch.h"
#include "commands.h"
#include "size.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

void watch_interval_arg(struct watch *w, const char *arg)
{
	int rc = duration_parse(arg, &w->interval_ms);

	if (rc)
		usage_error("invalid duration '%s': %s (use N, Ns, Nms, Nm or Nh)", arg,
			    size_strerror(rc));
	if (w->interval_ms == 0)
		usage_error("invalid interval '%s': it must be more than 0", arg);
	w->on = true;
}

void watch_count_arg(struct watch *w, const char *arg)
{
	char *end;

	errno = 0;
	w->count = strtoull(arg, &end, 10);
	if (!*arg || *end || errno || w->count == 0 || arg[0] == '-' || arg[0] == '+' ||
	    arg[0] == ' ')
		usage_error("invalid count '%s': a positive decimal number", arg);
	w->have_count = true;
}

void watch_check(const struct watch *w)
{
	if (w->have_count && !w->on)
		usage_error("--count needs --interval");
}

static volatile sig_atomic_t stopped;

static void on_stop(int sig)
{
	(void)sig;
	stopped = 1;
}

void watch_start(struct watch *w)
{
	struct sigaction sa = { .sa_handler = on_stop };

	if (!w->on)
		return;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &w->next);
}

bool watch_next(struct watch *w)
{
	w->taken++;
	if (!w->on || (w->have_count && w->taken >= w->count) || stopped)
		return false;
	/* On a steady clock, from the first sample: no drift. */
	w->next.tv_sec += (time_t)(w->interval_ms / 1000);
	w->next.tv_nsec += (long)(w->interval_ms % 1000) * 1000000;
	if (w->next.tv_nsec >= 1000000000) {
		w->next.tv_sec++;
		w->next.tv_nsec -= 1000000000;
	}
	while (!stopped &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &w->next, NULL) == EINTR)
		;
	return !stopped;
}

void watch_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char b[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%03dZ", b, (int)(ts.tv_nsec / 1000000 % 1000));
}
