/*
 * libFuzzer: every /proc parser.  The first byte picks the parser (status,
 * limits, smaps, meminfo, sysvipc/shm, cgroup); the rest is the file.
 */
#include "procfs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proc_status st;
	struct proc_map *maps;
	struct shm_seg *segs;
	struct meminfo mi;
	uint64_t soft, hard;
	char *s, path[64];
	size_t n;
	bool v1;

	if (len < 1)
		return 0;
	s = malloc(len);
	if (!s)
		return 0;
	memcpy(s, data + 1, len - 1);
	s[len - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		procfs_parse_status(s, &st);
		break;
	case 1:
		procfs_parse_limits(s, &soft, &hard);
		break;
	case 2:
		if (procfs_parse_smaps(s, &maps, &n) == 0)
			procfs_free_maps(maps, n);
		break;
	case 3:
		procfs_parse_meminfo(s, &mi);
		break;
	case 4:
		if (procfs_parse_shm(s, &segs, &n) == 0)
			free(segs);
		break;
	case 5:
		procfs_parse_cgroup(s, path, sizeof(path), &v1);
		break;
	}
	free(s);
	return 0;
}
