/*
 * The checks behind `doctor` and behind `lock`'s failure report: what the
 * kernel will answer to a lock of SIZE bytes, why, and how to fix it.
 * It reads (procfs, caps, rlimit) and reasons; it never prints.
 */
#ifndef MEMLOCK_DIAGNOSE_H
#define MEMLOCK_DIAGNOSE_H

#include "caps.h"
#include "memguard.h"
#include "procfs.h"
#include "rlimit.h"

#include <stdbool.h>
#include <stdint.h>

enum diag_mode { MODE_MLOCK, MODE_ONFAULT, MODE_MLOCKALL, MODE_SHM };
enum diag_result { DIAG_OK, DIAG_INFO, DIAG_WARN, DIAG_FAIL };
enum diag_origin { ORIGIN_PROCESS, ORIGIN_SESSION, ORIGIN_SYSTEMD, ORIGIN_CONTAINER };

struct diag_facts {
	int pid;			/* the process examined */
	bool self;			/* memlock itself, with its caller's limits */
	char name[64];
	uint32_t uid;
	uint64_t page_size;
	struct memlock_limit lim;
	struct memlock_limit shell_lim;	/* self: the limit of the shell that ran memlock */
	bool have_shell_lim;
	struct proc_status st;
	struct cap_state caps;
	bool have_caps;
	uint64_t map_count, max_map_count;
	bool have_maps;
	const char *maps_unread;	/* which of the two could not be read */
	uint64_t shm_locked, shm_segs, shm_stale;	/* this user's SHM_LOCK segments */
	int shm_stale_id;		/* one locked segment nobody has attached */
	bool have_shm;
	struct memguard mem;		/* MemAvailable and the memory cgroup */
	char kernel[65];
	enum diag_origin origin;	/* the most specific source of the limit */
	char unit[128];			/* the systemd unit, or "" */
	char container[32];		/* docker, podman, kubernetes, user namespace, or "" */
};

#define DIAG_MAX_CHECKS 16
#define DIAG_MAX_REMEDIES 8

struct diag_check {
	const char *name;
	enum diag_result result;
	char detail[320];
};

struct diag_report {
	enum diag_mode mode;
	bool has_size;
	uint64_t size, charge;		/* bytes asked, bytes the limit check counts */
	int err;			/* predicted: 0 or -EPERM, -ENOMEM, -EAGAIN */
	bool limit_failed;		/* the err comes from RLIMIT_MEMLOCK */
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

/* Reads everything the checks need about PID (0: this process); -EFAULT
 * for a process with no address space (a kernel thread, a zombie). */
int diag_gather(int procfd, int pid, struct diag_facts *f);

/* EXACT: sizes in the sentences in bytes (--bytes). */
void diag_evaluate(const struct diag_facts *f, enum diag_mode mode, bool has_size,
		   uint64_t size, bool exact, struct diag_report *r);

const char *diag_mode_name(enum diag_mode m);
const char *diag_result_name(enum diag_result r);
const char *diag_errno_name(int err);	/* "EPERM", or "0" for success */

/*
 * --probe: a child process takes F's soft limit and capability state, locks
 * F's VmLck first, then tries the lock of SIZE for real (MODE_MLOCK with a
 * size beyond a quarter of MemAvailable uses MLOCK_ONFAULT, which the limit
 * charges the same way without touching RAM).  Returns 0 when the child
 * tried: its errno (0 for success) in ERR, or the signal that ended it
 * (the OOM killer's SIGKILL) in SIGNO; or -errno when the state cannot be
 * copied, with the reason in WHY.
 */
struct diag_probe_result {
	int err;		/* -errno of the lock, or 0 */
	int signo;		/* the signal that killed the child, or 0 */
	char why[256];		/* why it did not run */
};
int diag_probe(const struct diag_facts *f, enum diag_mode mode, uint64_t size,
	       struct diag_probe_result *res);

/* Whether what the probe saw is what R predicted: the errno, or death by
 * SIGKILL where the memory cgroup's OOM killer was predicted. */
bool diag_probe_agrees(const struct diag_report *r, const struct diag_probe_result *p);

#endif
