/* Shared by the diag-*.c files, and by nothing else. */
#ifndef MEMLOCK_DIAG_INTERNAL_H
#define MEMLOCK_DIAG_INTERNAL_H

#include "diagnose.h"

#include <stdarg.h>

void diag_check(struct diag_report *r, const char *name, enum diag_result res,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_remedy(struct diag_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A size for a sentence ("8M", or bytes under --bytes or where rounding
 * would blur); a ring of eight, so a few per sentence. */
const char *diag_sz(uint64_t v);
extern bool diag_exact_sizes;

/* "a process started from this shell", or "pid N (name)". */
const char *diag_who(const struct diag_facts *f);

/* What MODE's limit check counts before the request, in bytes, and
 * whether RLIMIT_MEMLOCK applies to it at all on this kernel. */
uint64_t diag_charged_now(const struct diag_facts *f, enum diag_mode m);
bool diag_limit_applies(const struct diag_facts *f, enum diag_mode m);

/* Whether the capability lifts MODE's limit for F. */
bool diag_cap_lifts(const struct diag_facts *f, enum diag_mode m);

/* The running kernel is at least MAJOR.MINOR (unknown: assume it is). */
bool diag_kernel_at_least(const struct diag_facts *f, int major, int minor);

/* perf's ring for SIZE of data: 2^n data pages (the most perf_mmap()
 * accepts) and the header page. */
uint64_t diag_perf_ring_pages(const struct diag_facts *f, uint64_t size);

/* The guard's input that could not be read, for sentences. */
const char *diag_unreadable(const struct diag_facts *f);

/* The remedies of a failure (diag-remedy.c). */
void diag_remedies(const struct diag_facts *f, struct diag_report *r);

/* KB as a unit file or memlock writes it: "1G", "64M", "1500K". */
const char *diag_kb_text(unsigned long long kb);

#endif
