/* Sizes and durations: parsing (overflow-checked) and formatting. */
#ifndef MEMLOCK_SIZE_H
#define MEMLOCK_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Beyond any mapping: no 64-bit Linux gives a process 2^63 bytes of address
 * space (x86-64 has 2^47 or 2^56, arm64 at most 2^52), so no lock of that
 * size exists to ask about, and sums below 2^64 stay exact.
 */
#define SIZE_MAX_MAPPING (UINT64_C(1) << 63)

/* What a limit of "unlimited" is stored as (RLIM_INFINITY on Linux). */
#define SIZE_UNLIMITED UINT64_MAX

/* Flags for size_parse(). */
#define SIZE_ALLOW_UNLIMITED 0x1u	/* accept "unlimited" and "infinity" */

/* Longest string size_format() writes, with its NUL. */
#define SIZE_BUFSZ 32

/*
 * Parses a size: a decimal or 0x-hex integer with an optional suffix,
 * K M G T P E (or KiB, MiB, ...) as powers of 1024, KB MB ... as powers
 * of 1000, B for bytes.  Returns 0, -EINVAL for text that is not a size,
 * or -ERANGE for a size that does not fit in 64 bits.
 */
int size_parse(const char *s, unsigned flags, uint64_t *out);

/* Parses "N", "Ns", "Nms", "Nm" or "Nh" into milliseconds. */
int duration_parse(const char *s, uint64_t *ms);

/*
 * Reads an unsigned integer in BASE (8, 10 or 16) at *P and moves *P past
 * it: for the /proc parsers, whose fields are followed by more text.
 */
int number_scan(const char **p, unsigned base, uint64_t *out);

/* Parses a plain decimal integer in [min, max] (a PID, a count). */
int number_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Writes BYTES as "512B", "8K", "1.5G", or as exact decimal bytes when
 * EXACT is set.  limit_format() writes SIZE_UNLIMITED as "unlimited".
 */
char *size_format(uint64_t bytes, bool exact, char buf[SIZE_BUFSZ]);
char *limit_format(uint64_t bytes, bool exact, char buf[SIZE_BUFSZ]);

/* Two figures compared in one sentence: as limit_format() writes them, or
 * both exact when rounding would make two different values read the same
 * ("8M, less than 8M"). */
void size_format_apart(uint64_t a, uint64_t b, char abuf[SIZE_BUFSZ],
		       char bbuf[SIZE_BUFSZ]);

/* A short English reason for an error from the parsers above. */
const char *size_strerror(int err);

/*
 * Checked arithmetic on sizes: every sum or rounding of a size a user gave
 * goes through these.  They return 0, or -ERANGE when the true result does
 * not fit in 64 bits (and leave *OUT alone): a wrap is a refusal, never a
 * result.  ALIGN must be a power of two.
 */
int size_add(uint64_t a, uint64_t b, uint64_t *out);
int size_mul(uint64_t a, uint64_t b, uint64_t *out);
int size_align_up(uint64_t v, uint64_t align, uint64_t *out);

/* V rounded up to whole units of ALIGN, as a count (never overflows). */
static inline uint64_t size_units(uint64_t v, uint64_t align)
{
	return v / align + (v % align != 0);
}

/*
 * Compares names (suffixes, column names) ignoring ASCII case only: under
 * tr_TR, strcasecmp() folds 'I' to a dotless i and "pid" would not be PID.
 */
int ascii_casecmp(const char *a, const char *b);

#endif
