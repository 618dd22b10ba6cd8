/*
 * Test helper: asks the real kernel what mlock(ADDR, LEN) locks.
 *   mlock-probe rel OFFSET LEN   mlock(base + OFFSET, LEN) in a fresh mapping
 *   mlock-probe abs ADDR LEN     mlock(ADDR, LEN) at a raw address
 * Prints "result=ok|ERRNO locked=BYTES" where BYTES is the growth of VmLck.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long long vmlck(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		exit(3);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

int main(int argc, char **argv)
{
	unsigned long long before, addr, len;
	int rc;

	if (argc != 4)
		return 2;
	addr = strtoull(argv[2], NULL, 0);
	len = strtoull(argv[3], NULL, 0);
	if (strcmp(argv[1], "rel") == 0) {
		/* Room for the rounding on both sides, page-aligned. */
		size_t span = 64 * (size_t)sysconf(_SC_PAGESIZE) + addr + len;
		char *base = mmap(NULL, span, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (base == MAP_FAILED)
			return 3;
		addr += (unsigned long long)(unsigned long)base;
	}
	before = vmlck();
	rc = mlock((void *)(unsigned long)addr, (size_t)len);
	printf("result=%s locked=%llu\n", rc ? strerrorname_np(errno) : "ok",
	       vmlck() - before);
	return 0;
}
