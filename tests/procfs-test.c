/*
 * Unit test of src/procfs.c over the fixture trees tests/fixtures/proc and
 * tests/fixtures/cgroup: missing fields, kernel threads, escapes, truncated
 * and malformed lines, 64-bit values, a generated smaps of 1,000 mappings,
 * and memory cgroups v1 and v2.
 * Usage: procfs-test PROC_ROOT CGROUP_ROOT
 */
#define _GNU_SOURCE
#include "procfs.h"
#include "size.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(int ok, const char *what, int line)
{
	if (ok) {
		passed++;
	} else {
		failed++;
		printf("not ok line %d: %s\n", line, what);
	}
}

static void test_status(int fd)
{
	struct proc_status st;

	/* An older kernel: no VmPin line. */
	CHECK(procfs_read_status(fd, 100, &st) == 0);
	CHECK(strcmp(st.name, "old-kernel") == 0);
	CHECK(st.uid == 1000 && st.euid == 1001 && st.ppid == 1);
	CHECK(st.vmlck == 128 * 1024 && (st.have & PS_VMLCK));
	CHECK(!(st.have & PS_VMPIN) && st.vmpin == 0);
	CHECK(st.vmsize == 9000 * 1024 && st.vmrss == 500 * 1024);
	CHECK(st.cap_eff == 0x4000 && st.cap_prm == 0x4000 && st.cap_bnd == 0x1ffffffffffULL);

	/* A kernel thread: no Vm lines at all, still a process. */
	CHECK(procfs_read_status(fd, 101, &st) == 0);
	CHECK(!(st.have & PS_VMLCK) && st.vmlck == 0);

	/* The kernel's escapes in Name:, and 64-bit kB values. */
	CHECK(procfs_read_status(fd, 102, &st) == 0);
	CHECK(strcmp(st.name, "a\nb\tc\\d\033e") == 0);
	CHECK(st.vmlck == 18014398509481983ULL * 1024);
	CHECK(!(st.have & PS_VMPIN));		/* overflows: not taken */
	CHECK(!(st.have & PS_VMSIZE));		/* no unit */
	CHECK(!(st.have & PS_VMRSS));		/* a unit that is not kB */

	/* A file cut in the middle of a line. */
	CHECK(procfs_read_status(fd, 103, &st) == 0);
	CHECK(!(st.have & PS_VMLCK));
	CHECK(st.uid == 5 && st.euid == 6);

	/* Garbage: an error, not a crash. */
	CHECK(procfs_read_status(fd, 104, &st) == -EINVAL);

	/* A process that is gone. */
	CHECK(procfs_read_status(fd, 999, &st) == -ESRCH);

	/* Buffers fed directly. */
	CHECK(procfs_parse_status("", &st) == -EINVAL);
	CHECK(procfs_parse_status("Name:\tx\nUid:\t1\n", &st) == -EINVAL);
	CHECK(procfs_parse_status("Name:\tx\nUid:\t1 2\nVmLck:\t0 kB", &st) == 0 && st.euid == 2);
	CHECK(procfs_parse_status("Name:\t\nUid:\t0\t0\n", &st) == 0 && st.name[0] == '\0');
}

static void test_limits(int fd)
{
	uint64_t soft = 0, hard = 0;

	CHECK(procfs_read_limits(fd, 100, &soft, &hard) == 0);
	CHECK(soft == 65536 && hard == SIZE_UNLIMITED);
	CHECK(procfs_read_limits(fd, 101, &soft, &hard) == -EINVAL);	/* no such line */
	CHECK(procfs_read_limits(fd, 102, &soft, &hard) == 0 && soft == 8388608);
	CHECK(procfs_read_limits(fd, 103, &soft, &hard) == -EINVAL);	/* "88x" */
	CHECK(procfs_read_limits(fd, 999, &soft, &hard) == -ESRCH);
	CHECK(procfs_parse_limits("Max locked memory         unlimited", &soft, &hard) == -EINVAL);
	CHECK(procfs_parse_limits("Max locked memory 1 2", &soft, &hard) == 0 && soft == 1 && hard == 2);
}

static void test_smaps(int fd)
{
	struct proc_map *m;
	size_t n;

	CHECK(procfs_read_smaps(fd, 100, &m, &n) == 0);
	CHECK(n == 6);
	if (n != 6)
		return;
	CHECK(m[0].start == 0x55d0c0a00000ULL && m[0].end == 0x55d0c0a21000ULL);
	CHECK(strcmp(m[0].path, "[heap]") == 0 && strcmp(m[0].perms, "rw-p") == 0);
	CHECK(m[0].size == 132 * 1024 && m[0].rss == 8192 && !m[0].vm_locked);
	CHECK(m[1].vm_locked && !m[1].vm_onfault && m[1].locked == 8192ULL * 1024);
	CHECK(strcmp(m[1].path, "") == 0);
	CHECK(m[2].vm_locked && m[2].vm_onfault && m[2].size == 16384ULL * 1024 &&
	      m[2].rss == 4096ULL * 1024);
	CHECK(strcmp(m[3].path, "/path/with spaces/and (deleted)") == 0);
	CHECK(strcmp(m[4].path, "") == 0 && m[4].size == 0 && m[4].locked == 0);
	CHECK(m[5].end == 0xffffffffff601000ULL && m[5].size == 4096);
	procfs_free_maps(m, n);
	CHECK(procfs_read_smaps(fd, 999, &m, &n) == -ESRCH);
	CHECK(procfs_parse_smaps("", &m, &n) == 0 && n == 0);
	free(m);
	CHECK(procfs_parse_smaps("Size: 4 kB\nnot-a-header\n1-2\n1-2 rw-p\n", &m, &n) == 0 && n == 0);
	free(m);
	/* The kernel's one escape in a path: a newline as \012. */
	CHECK(procfs_parse_smaps("1000-2000 r--s 00000000 08:01 12 /tmp/nl\\012name\\x\n"
				 "Size: 4 kB\n", &m, &n) == 0 && n == 1);
	CHECK(n == 1 && strcmp(m[0].path, "/tmp/nl\nname\\x") == 0);
	procfs_free_maps(m, n);
}

/* 1,000 mappings, each locked: parsed whole and in order. */
static void test_smaps_big(void)
{
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);
	struct proc_map *m;
	uint64_t locked = 0;

	for (int i = 0; i < 1000; i++)
		fprintf(f, "%x000-%x000 rw-p 00000000 00:00 0 \nSize: 4 kB\nRss: 4 kB\n"
			"Locked: 4 kB\nVmFlags: rd wr lo \n", 0x10000 + i, 0x10001 + i);
	fclose(f);
	CHECK(procfs_parse_smaps(buf, &m, &n) == 0 && n == 1000);
	for (size_t i = 0; i < n; i++)
		locked += m[i].vm_locked ? m[i].locked : 0;
	CHECK(locked == 1000 * 4096);
	CHECK(n == 1000 && m[999].start == 0x10000000ULL + 999 * 0x1000);
	procfs_free_maps(m, n);
	free(buf);
}

static void test_meminfo_shm(int fd)
{
	struct meminfo mi;
	struct shm_seg *s;
	size_t n;

	CHECK(procfs_read_meminfo(fd, &mi) == 0);
	CHECK(mi.mlocked == 8000 * 1024 && mi.unevictable == 9000 * 1024);
	CHECK(mi.available == 22000000ULL * 1024 && mi.total == 24000000ULL * 1024);
	CHECK(procfs_parse_meminfo("MemTotal: 1 kB\n", &mi) == 0 && !(mi.have & MI_MLOCKED));
	CHECK(procfs_parse_meminfo("nothing\n", &mi) == -EINVAL);

	CHECK(procfs_read_shm(fd, &s, &n) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(s[0].shmid == 5 && (s[0].perms & SHM_LOCKED_BIT) && s[0].size == 4194304);
		CHECK(s[0].rss == 4194304 && s[0].cpid == 1234 && s[0].nattch == 1);
		CHECK(s[1].shmid == 6 && !(s[1].perms & SHM_LOCKED_BIT) && s[1].uid == 1000);
		/* An older kernel without the rss column. */
		CHECK(s[2].shmid == 7 && (s[2].perms & SHM_LOCKED_BIT) &&
		      s[2].size == 2147483648ULL && s[2].rss == 0 && s[2].cuid == 0);
	}
	free(s);
	CHECK(procfs_parse_shm("", &s, &n) == 0 && n == 0);
	free(s);
}

/* Memory cgroups, v1 and v2, over tests/fixtures/cgroup. */
static void test_memcg(int fd, int cgfd)
{
	struct memcg cg;
	char bad[400] = "";

	/* v1: the tightest level is the parent; its file cache is the
	 * hierarchy's total_*_file, not the level's own active_file. */
	CHECK(procfs_read_memcg(fd, cgfd, 200, &cg, bad, sizeof(bad)) == 0);
	CHECK(cg.v1 && !cg.none && strcmp(cg.path, "/a/b") == 0 && cg.limited);
	CHECK(cg.limit == 33554432 && cg.usage == 20971520 && cg.reclaimable == 6291456);
	CHECK(strcmp(cg.level, "memory/a") == 0);
	CHECK(procfs_memcg_room(&cg) == 33554432 - (20971520 - 6291456));

	/* v2: "max" is no limit; the parent's memory.max is. */
	CHECK(procfs_read_memcg(fd, cgfd, 201, &cg, bad, sizeof(bad)) == 0);
	CHECK(!cg.v1 && cg.limited && cg.limit == 67108864 && cg.usage == 10485760);
	CHECK(cg.reclaimable == 2097152 && strcmp(cg.level, "./x") == 0);
	CHECK(procfs_memcg_room(&cg) == 67108864 - (10485760 - 2097152));

	/* No memory controller: none, no limit. */
	CHECK(procfs_read_memcg(fd, cgfd, 202, &cg, bad, sizeof(bad)) == 0);
	CHECK(cg.none && !cg.limited && procfs_memcg_room(&cg) == UINT64_MAX);

	/* Levels that are not there (a container's view): skipped. */
	CHECK(procfs_read_memcg(fd, cgfd, 203, &cg, bad, sizeof(bad)) == 0);
	CHECK(cg.limited && cg.limit == 67108864);

	/* A limit without memory.stat: an error that names the file. */
	CHECK(procfs_read_memcg(fd, cgfd, 204, &cg, bad, sizeof(bad)) == -ENOENT);
	CHECK(strcmp(bad, SYSFS_CGROUP "/memory/broken/memory.stat") == 0);

	/* A process that is gone: an error naming its cgroup file. */
	CHECK(procfs_read_memcg(fd, cgfd, 999, &cg, bad, sizeof(bad)) == -ESRCH);
	CHECK(strcmp(bad, PROCFS_ROOT "/999/cgroup") == 0);

	/* A fixture tree is no cgroup filesystem, and is told so. */
	CHECK(procfs_read_memcg(fd, cgfd, 200, &cg, bad, sizeof(bad)) == 0);
	CHECK(procfs_memcg_fs_check(cgfd, &cg, bad, sizeof(bad)) == -ENOTSUP);
	CHECK(strcmp(bad, SYSFS_CGROUP "/memory") == 0);
}

int main(int argc, char **argv)
{
	int fd = procfs_open(argc > 1 ? argv[1] : "tests/fixtures/proc");
	int cgfd = procfs_open(argc > 2 ? argv[2] : "tests/fixtures/cgroup");

	if (fd < 0) {
		printf("not ok: cannot open the fixture tree: %s\n", strerror(-fd));
		return 1;
	}
	test_status(fd);
	test_limits(fd);
	test_smaps(fd);
	test_smaps_big();
	test_meminfo_shm(fd);
	if (cgfd < 0) {
		printf("not ok: cannot open the cgroup fixture tree: %s\n", strerror(-cgfd));
		failed++;
	} else {
		test_memcg(fd, cgfd);
		close(cgfd);
	}
	close(fd);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
