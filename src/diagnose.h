/*
 * The engine behind `doctor` and behind `lock`'s failure report: what the
 * kernel will answer to a lock or pin of SIZE bytes, why, where the limit
 * came from, and how to fix it.  It reads (procfs, caps, rlimit, config
 * files) and reasons; it never prints.
 *
 *   diag-modes.c   the modes: what each call charges, to whom, which errno
 *   diag-facts.c   gathering: limits, caps, counters, the ancestry
 *   diag-origin.c  where the limit came from, from evidence
 *   diag-checks.c  the table of checks and the verdict
 *   diag-remedy.c  remedies, by the layer the limit came from
 *   diag-probe.c   the probe child and what its wait status means
 */
#ifndef MEMLOCK_DIAGNOSE_H
#define MEMLOCK_DIAGNOSE_H

#include "caps.h"
#include "memguard.h"
#include "procfs.h"
#include "rlimit.h"

#include <stdbool.h>
#include <stdint.h>

enum diag_mode {
	MODE_MLOCK, MODE_ONFAULT, MODE_MLOCKALL, MODE_MMAP_LOCKED, MODE_SHM,
	MODE_IO_URING, MODE_RDMA, MODE_VFIO, MODE_PERF, MODE_BPF,
	MODE_COUNT
};

/* What a mode's limit check adds the request to. */
enum diag_counter {
	CNT_LOCKED_VM,		/* mm->locked_vm: VmLck */
	CNT_TOTAL_VM,		/* mm->total_vm: VmSize (mlockall MCL_CURRENT) */
	CNT_PINNED_VM,		/* mm->pinned_vm: VmPin */
	CNT_USER_SHM,		/* the user's ucounts: its SHM_LOCK segments */
	CNT_USER_LOCKED,	/* user_struct->locked_vm: io_uring, perf, old bpf */
	CNT_NONE,		/* no RLIMIT_MEMLOCK check (bpf since 5.11) */
};

struct diag_mode_info {
	const char *name;	/* "mmap-locked" */
	const char *call;	/* "mmap(MAP_LOCKED)" */
	const char *what;	/* what is counted, for sentences: "VmLck" */
	const char *verb;	/* "locked", "registered": "8M more can be ..." */
	enum diag_counter counter;
	int over;		/* errno when the limit is exceeded */
	int zero;		/* errno when the soft limit is 0 (no capability) */
	bool per_user;		/* the limit is checked against a per-user sum */
	bool splits;		/* may split a mapping: vm.max_map_count + 1 */
	bool maps;		/* makes a new mapping: vm.max_map_count */
	bool faults;		/* brings the pages in now: RAM, the memory cgroup */
	const char *rule;	/* the kernel's rule, with where it is */
};

extern const struct diag_mode_info diag_modes[MODE_COUNT];

/* The mode named S, or -1. */
int diag_mode_parse(const char *s);
const char *diag_mode_list(void);	/* "mlock, onfault, ..." */

enum diag_result { DIAG_OK, DIAG_INFO, DIAG_WARN, DIAG_FAIL };

/* The layer at which the target's limit was set. */
enum diag_origin {
	ORIGIN_UNKNOWN,		/* the ancestry could not be read */
	ORIGIN_INHERITED,	/* never changed below the top: PID 1's, or the kernel's default */
	ORIGIN_SYSTEMD,		/* a system unit's LimitMEMLOCK= or DefaultLimitMEMLOCK= */
	ORIGIN_SYSTEMD_USER,	/* a `systemd --user` unit */
	ORIGIN_CONTAINER,	/* a container runtime */
	ORIGIN_SESSION,		/* a login: pam_limits */
	ORIGIN_SHELL,		/* a shell's `ulimit -l` */
	ORIGIN_WRAPPER,		/* at exec (prlimit, setpriv) or later (prlimit --pid) */
	ORIGIN_COUNT
};

#define DIAG_MAX_CHAIN 48
#define DIAG_MAX_EVIDENCE 8

struct diag_link {
	int pid;
	char name[64];
	uint32_t uid;
	struct memlock_limit lim;
	bool have_lim;		/* false: its limits could not be read */
	bool changed;		/* its limit differs from its parent's */
};

enum diag_chain_end {
	CHAIN_TOP,		/* reached PID 1 (or the top of a PID namespace) */
	CHAIN_VANISHED,		/* an ancestor exited during the walk */
	CHAIN_UNREADABLE,	/* an ancestor's status could not be read */
	CHAIN_LONG,		/* longer than DIAG_MAX_CHAIN */
};

struct diag_provenance {
	struct diag_link link[DIAG_MAX_CHAIN];	/* [0] is the target, upwards */
	int n;
	enum diag_chain_end end;
	int set_at;		/* the link whose change gave the target its limit, or -1 */
	enum diag_origin origin;
	char unit[128];		/* the systemd unit, or "" */
	char runtime[64];	/* the container runtime's process or cgroup name, or "" */
	char config[400];	/* the file that sets it ("" if none found) */
	int config_line;	/* its line, or 0 */
	char evidence[DIAG_MAX_EVIDENCE][240];
	int nevidence;
};

/* The counters the kernel keeps per user and shows in no single file. */
struct diag_user {
	uint64_t shm_locked, shm_segs, shm_stale;	/* this user's SHM_LOCK segments */
	uint64_t shm_stale_bytes;			/* of them, nobody's */
	int shm_stale_id;		/* one locked segment nobody has attached */
	bool have_shm;
	bool shm_other_ns;		/* the target is in another IPC namespace */
	uint64_t uring_bufs;		/* io_uring registered buffers, bytes */
	uint64_t uring_ring_bytes;	/* their rings, estimated from the entries */
	uint64_t uring_rings;		/* io_uring instances */
	uint64_t uring_target_rings;	/* of them, the target's own */
	uint64_t perf_locked;		/* perf rings mapped, within the free allowance */
	uint64_t uring_procs;		/* processes of the user scanned */
	uint64_t uring_hidden;		/* processes whose descriptors could not be read */
	bool have_uring;
};

struct diag_facts {
	int pid;			/* the process examined */
	bool self;			/* memlock itself, with its caller's limits */
	char name[64];
	uint32_t uid;
	uint64_t page_size;
	struct memlock_limit lim;
	struct proc_status st;
	struct cap_state caps;
	bool have_caps;
	bool ipcns_cap;			/* CAP_IPC_LOCK in the owner of its IPC namespace */
	uint64_t map_count, max_map_count;
	bool have_maps;
	const char *maps_unread;	/* which of the two could not be read */
	struct diag_user user;
	struct memguard mem;		/* MemAvailable and the memory cgroup */
	char kernel[65];
	int kmajor, kminor;		/* the running kernel's version, or 0 */
	uint64_t perf_mlock_kb;		/* kernel.perf_event_mlock_kb */
	int64_t perf_paranoid;		/* kernel.perf_event_paranoid */
	bool have_perf;
	long ncpus;			/* online CPUs */
	uint64_t hugetlb_group;		/* vm.hugetlb_shm_group */
	bool have_hugetlb;
	bool in_hugetlb_group;		/* its gid or a supplementary group is it */
	uint64_t overcommit;		/* vm.overcommit_memory */
	bool have_overcommit;
	struct diag_provenance prov;
};

#define DIAG_MAX_CHECKS 20
#define DIAG_MAX_REMEDIES 8

struct diag_check {
	const char *name;
	enum diag_result result;
	char detail[400];
};

struct diag_report {
	enum diag_mode mode;
	bool has_size;
	uint64_t size, charge;		/* bytes asked, bytes the limit check counts */
	int err;			/* predicted: 0 or -EPERM, -ENOMEM, -EAGAIN */
	bool limit_failed;		/* the err comes from RLIMIT_MEMLOCK */
	const char *failed;		/* the first check that failed, or NULL */
	bool oom;			/* the memory cgroup would OOM-kill first */
	bool unknown;			/* could not tell: an input was not readable */
	bool shm_unknown;		/* the SHM_LOCK segments could not be read */
	bool headroom_unlimited;
	uint64_t headroom;		/* bytes that could still be locked */
	char verdict[800];
	struct diag_check checks[DIAG_MAX_CHECKS];
	int nchecks;
	char remedies[DIAG_MAX_REMEDIES][600];
	int nremedies;
};

/* Where gathering reads: PROCFD (a procfs, or a fixture tree), ETC for
 * the configuration (systemd, pam_limits), "/etc" on a real system, and
 * CGROUP for the cgroup filesystems ("/sys/fs/cgroup").  A FIXTURE tree
 * is read through its files alone (no prlimit(2), no capget(2)). */
struct diag_roots {
	int procfd;
	const char *etc;
	const char *cgroup;
	bool fixture;
};

/* Reads everything the checks need about PID (0: this process); -EFAULT
 * for a process with no address space (a kernel thread, a zombie). */
int diag_gather(int procfd, int pid, struct diag_facts *f);
int diag_gather_at(const struct diag_roots *roots, int pid, struct diag_facts *f);

/* The ancestry of PID and its limits, and the origin classified from
 * evidence (diag-origin.c); F->uid and F->name are known. */
void diag_provenance(const struct diag_roots *roots, int pid, struct diag_facts *f);

/* The origin's name for JSON ("systemd", "wrapper"). */
const char *diag_origin_name(enum diag_origin o);

/* EXACT: sizes in the sentences in bytes (--bytes). */
void diag_evaluate(const struct diag_facts *f, enum diag_mode mode, bool has_size,
		   uint64_t size, bool exact, struct diag_report *r);

const char *diag_mode_name(enum diag_mode m);
const char *diag_result_name(enum diag_result r);
const char *diag_errno_name(int err);	/* "EPERM", or "0" for success */

/*
 * --probe: a child process takes F's soft limit and capability state, its
 * memory cgroup and its IPC and user namespaces where root can, locks F's
 * current charge first, then tries the call for real.  Returns 0 when the
 * child tried: its errno (0 for success) in ERR, or the signal that ended
 * it (the OOM killer's SIGKILL) in SIGNO; or -errno when the state cannot
 * be copied, with the reason in WHY.  WHERE says what of the target's
 * context it took.
 */
struct diag_probe_result {
	int err;		/* -errno of the call, or 0 */
	int signo;		/* the signal that killed the child, or 0 */
	char why[256];		/* why it did not run */
	char where[160];	/* "its memory cgroup, its IPC namespace" */
};
int diag_probe(const struct diag_facts *f, enum diag_mode mode, uint64_t size,
	       struct diag_probe_result *res);

/* Whether what the probe saw is what R predicted: the errno, or death by
 * SIGKILL where the memory cgroup's OOM killer was predicted. */
bool diag_probe_agrees(const struct diag_report *r, const struct diag_probe_result *p);

/* When they disagree: which to believe, and why, into BUF. */
const char *diag_probe_trust(const struct diag_facts *f, const struct diag_report *r,
			     const struct diag_probe_result *p, char *buf, size_t len);

#endif
