/*
 * Reading /proc into structs.  Every reader takes a directory fd opened by
 * procfs_open() on a root ("/proc", or a fixture tree in the tests); the
 * parsers work on buffers, so they can be fed anything.  Nothing here prints.
 * Functions return 0 or -errno: -ENOENT/-ESRCH when the process is gone,
 * -EACCES when it may not be read, -EINVAL for text that does not parse.
 */
#ifndef MEMLOCK_PROCFS_H
#define MEMLOCK_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The only literal /proc and /sys paths in memlock. */
#define PROCFS_ROOT "/proc"
#define SYSFS_CGROUP "/sys/fs/cgroup"

/* The inode of the initial user namespace (PROC_USER_INIT_INO). */
#define PROCFS_USERNS_INIT_INO 0xEFFFFFFDULL

enum {
	PS_NAME = 1 << 0, PS_UID = 1 << 1, PS_VMLCK = 1 << 2, PS_VMPIN = 1 << 3,
	PS_VMSIZE = 1 << 4, PS_VMRSS = 1 << 5, PS_CAPS = 1 << 6, PS_PPID = 1 << 7,
};

struct proc_status {
	char name[64];		/* Name:, the kernel's escapes undone */
	uint32_t uid, euid;	/* real and effective */
	int ppid;
	uint64_t vmlck, vmpin, vmsize, vmrss;	/* bytes */
	uint64_t cap_eff, cap_prm, cap_bnd;
	unsigned have;		/* PS_* bits of the fields found */
};

struct proc_map {
	uint64_t start, end;
	char perms[8];
	uint64_t size, rss, locked;	/* bytes */
	bool vm_locked;		/* VmFlags "lo" */
	bool vm_onfault;	/* VmFlags "lf" */
	char flags[96];		/* VmFlags, as the kernel wrote them */
	char *path;		/* malloc'd; "" for an anonymous mapping */
};

struct meminfo {
	uint64_t total, available, mlocked, unevictable;	/* bytes */
	uint64_t swap_total, commit_limit, committed;		/* bytes */
	unsigned have;		/* MI_* bits */
};
enum {
	MI_TOTAL = 1, MI_AVAILABLE = 2, MI_MLOCKED = 4, MI_UNEVICTABLE = 8,
	MI_SWAP = 16, MI_COMMIT = 32, MI_COMMITTED = 64,
};

struct shm_seg {
	int shmid;
	unsigned perms;		/* with SHM_LOCKED (02000) and SHM_DEST (01000) */
	uint64_t size, rss;	/* bytes */
	int cpid;
	uint32_t uid, cuid;
	uint64_t nattch;
};
#define SHM_LOCKED_BIT 02000u

int procfs_open(const char *root);

/*
 * Opens the system's /proc and checks, once, that it is procfs: a tmpfs or
 * an empty directory over it would read as "nothing locked".  -ENOTSUP
 * when it is some other filesystem (its magic number in *FSTYPE).
 */
int procfs_open_system(unsigned long *fstype);

/*
 * The hidepid= of the procfs mounted at PROCFS_ROOT, from self/mountinfo
 * below PROCFD: 0 (every process visible), 1 (noaccess), 2 (invisible) or
 * 4 (ptraceable); -errno when it cannot be read.  With 2 or 4, processes
 * the reader may not trace are not even listed.
 */
int procfs_hidepid(int procfd);
int procfs_parse_hidepid(const char *mountinfo);

/* The name of a filesystem magic number ("tmpfs"), or NULL. */
const char *procfs_fs_name(unsigned long magic);

int procfs_list_pids(int procfd, int **pids, size_t *n);

int procfs_parse_status(const char *buf, struct proc_status *st);
int procfs_read_status(int procfd, int pid, struct proc_status *st);

int procfs_parse_limits(const char *buf, uint64_t *soft, uint64_t *hard);
int procfs_read_limits(int procfd, int pid, uint64_t *soft, uint64_t *hard);

int procfs_parse_smaps(const char *buf, struct proc_map **maps, size_t *n);
int procfs_read_smaps(int procfd, int pid, struct proc_map **maps, size_t *n);
void procfs_free_maps(struct proc_map *maps, size_t n);

int procfs_parse_meminfo(const char *buf, struct meminfo *mi);
int procfs_read_meminfo(int procfd, struct meminfo *mi);

int procfs_parse_shm(const char *buf, struct shm_seg **segs, size_t *n);
int procfs_read_shm(int procfd, struct shm_seg **segs, size_t *n);

/* How many mappings PID has, as mm->map_count counts them. */
int procfs_count_maps(int procfd, int pid, uint64_t *n);

/* A numeric sysctl below PROCFD, e.g. "sys/vm/max_map_count". */
int procfs_read_sysctl(int procfd, const char *name, uint64_t *v);

/*
 * The memory cgroup of a process, and the tightest limit from it up to the
 * root.  USAGE counts page cache, which the kernel reclaims before it
 * OOM-kills: RECLAIMABLE is the file cache of that level (active_file +
 * inactive_file in memory.stat; v1's total_* figures), so that what a lock
 * may still take is LIMIT - (USAGE - RECLAIMABLE).
 */
struct memcg {
	char path[256];		/* as /proc/PID/cgroup names it */
	bool none;		/* in no memory cgroup: no memory controller */
	bool v1;
	bool limited;		/* some level has a limit */
	uint64_t limit, usage, reclaimable;	/* bytes, of the tightest level */
	char level[320];	/* that level's directory below SYSFS_CGROUP */
};

/*
 * Reads PID's memory cgroup below CGFD (SYSFS_CGROUP opened; a fixture
 * tree in tests).  0 (with CG->none when PID is in no memory cgroup: no
 * memory controller, so no cgroup limit applies), or -errno when a file the
 * answer depends on cannot be read, named in BAD (as the system's path).
 */
int procfs_read_memcg(int procfd, int cgfd, int pid, struct memcg *cg,
		      char *bad, size_t badlen);
/*
 * Whether the hierarchy CG was read from below CGFD is a cgroup filesystem
 * (v1's "memory", or v2's root): a tmpfs or an empty directory there holds
 * no limits, and would read as "no limit".  0, -ENOTSUP, or -errno; the
 * directory in BAD.
 */
int procfs_memcg_fs_check(int cgfd, const struct memcg *cg, char *bad, size_t badlen);

/* What a lock can still take in CG: LIMIT - (USAGE - RECLAIMABLE). */
uint64_t procfs_memcg_room(const struct memcg *cg);

/* PID's memory cgroup: the v1 "memory" hierarchy's path if it has one,
 * else the v2 path ("0::").  *V1 says which. */
int procfs_read_cgroup(int procfd, int pid, char *path, size_t len, bool *v1);
int procfs_parse_cgroup(const char *buf, char *path, size_t len, bool *v1);

/* The inode of PID's user namespace. */
int procfs_userns_ino(int procfd, int pid, uint64_t *ino);

/* A whole file below PROCFD, NUL-terminated (malloc'd). */
int procfs_read_file(int procfd, const char *path, char **buf, size_t *len);
/* All that FD gives until its end (a pipe, a file), NUL-terminated. */
int procfs_read_fd(int fd, char **buf, size_t *len);

/* A process's io_uring instances: what the kernel charges to its user. */
struct uring_use {
	uint64_t bufs;		/* registered buffers, in the pages they touch */
	uint64_t ring_bytes;	/* the rings, from SqMask and CqMask */
	uint32_t rings;		/* io_uring descriptors */
	uint32_t hidden;	/* of them, whose fdinfo could not be read;
				 * or 1 when fd/ itself could not be */
};

/*
 * One io_uring descriptor's fdinfo into BUFS and RING_BYTES (added to);
 * -ENODATA when it lacks the ring's part (left out while the ring's lock
 * is busy, since 6.15).
 */
int procfs_parse_uring_fdinfo(const char *text, uint64_t page_size, uint64_t *bufs,
			      uint64_t *ring_bytes);
/* Every io_uring descriptor of PID; -ESRCH when it is gone. */
int procfs_read_uring(int procfd, int pid, uint64_t page_size, struct uring_use *u);

/* The bytes of perf event rings PID maps ("anon_inode:[perf_event]"). */
int procfs_read_perf_rings(int procfd, int pid, uint64_t *bytes);

#endif
