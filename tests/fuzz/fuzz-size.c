/* libFuzzer: sizes, limits, durations and numbers, parsed and formatted. */
#include "size.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1), buf[SIZE_BUFSZ];
	uint64_t v;

	if (!s)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	if (size_parse(s, 0, &v) == 0) {
		/* What parses formats; exact output parses back to itself. */
		size_format(v, false, buf);
		size_format(v, true, buf);
		if (size_parse(buf, 0, &v) != 0)
			abort();
	}
	size_parse(s, SIZE_ALLOW_UNLIMITED, &v);
	duration_parse(s, &v);
	number_parse(s, 1, INT32_MAX, &v);
	free(s);
	return 0;
}
