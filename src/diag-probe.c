/*
 * --probe: a child that becomes as much like the target as root can make
 * it -- its memory cgroup, its IPC namespace, its user (for the counters
 * the kernel keeps per user), its soft limit, its capability state and its
 * current charge -- and then makes the real call.  Its errno, or the signal
 * that ended it, is the kernel's own answer.
 */
#define _GNU_SOURCE
#include "diag-internal.h"
#include "child.h"
#include "size.h"
#include "syscalls.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Failure codes of the child before the call: stage * 1000 + errno. */
enum {
	STAGE_LIMIT = 1, STAGE_CAPS, STAGE_SHMGET, STAGE_PRELOCK, STAGE_GROW,
	STAGE_SETUID, STAGE_RAISE, STAGE_CGROUP, STAGE_IPCNS, STAGE_RING,
};

static const char *probe_stage(int code)
{
	static const char *const stages[] = {
		[STAGE_LIMIT] = "could not give the probe the target's soft limit",
		[STAGE_CAPS] = "could not drop CAP_IPC_LOCK in the probe",
		[STAGE_SHMGET] = "could not create a System V segment",
		[STAGE_PRELOCK] = "could not lock the target's current charge in the probe",
		[STAGE_GROW] = "could not grow the probe to the target's VmSize",
		[STAGE_SETUID] = "could not become the target's user",
		[STAGE_RAISE] = "could not give the probe the limit that stands for the "
				"target's (its own address space is larger, and that needs "
				"CAP_SYS_RESOURCE)",
		[STAGE_CGROUP] = "could not join the target's memory cgroup",
		[STAGE_IPCNS] = "could not join the target's IPC namespace",
		[STAGE_RING] = "could not set up an io_uring instance",
	};
	int s = -code / 1000;

	return s > 0 && s < (int)(sizeof(stages) / sizeof(stages[0])) && stages[s] ?
	       stages[s] : "could not prepare the probe";
}

static uint64_t pages_of(const struct diag_facts *f, uint64_t b)
{
	return (b + f->page_size - 1) / f->page_size;
}

/*
 * mlockall(MCL_CURRENT) passes when total_vm <= the limit.  The child has its
 * own size C and must answer for the target's T plus SIZE: below that it
 * grows, with address space that costs nothing (PROT_NONE); above it, it
 * takes the limit L + (C - T - SIZE) instead, for C <= L + C - T - SIZE
 * exactly when T + SIZE <= L.  The real call still decides.
 */
static int probe_mlockall(const struct diag_facts *f, uint64_t size)
{
	struct proc_status st;
	struct rlimit rl;
	int procfd = procfs_open(PROCFS_ROOT);
	uint64_t want = pages_of(f, f->st.vmsize + size) * f->page_size, mine;

	if (procfd < 0 || procfs_read_status(procfd, getpid(), &st) != 0)
		return -STAGE_GROW * 1000 - EIO;
	close(procfd);
	mine = pages_of(f, st.vmsize) * f->page_size;
	if (want > mine) {
		if (mmap(NULL, want - mine, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0) == MAP_FAILED)
			return -STAGE_GROW * 1000 - errno;
	} else if (f->lim.soft != SIZE_UNLIMITED && !caps_can_lock(&f->caps)) {
		getrlimit(RLIMIT_MEMLOCK, &rl);
		rl.rlim_cur = f->lim.soft + (mine - want);
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
			return -STAGE_RAISE * 1000 - errno;
	}
	return sys_mlockall(MCL_CURRENT | MCL_ONFAULT) == 0 ? 0 : errno;
}

/* io_uring: a one-entry ring, then SIZE of buffers registered.  The
 * ring's own pages are charged too (since 6.14).  A target without a ring
 * needs one as well, and the prediction counts it; a target with one does
 * not, so then the limit is raised by the probe's ring for the
 * registration, and only the buffers are judged. */
static int probe_uring(const struct diag_facts *f, uint64_t size)
{
	struct io_uring_params p = { 0 };
	struct rlimit rl;
	struct iovec iov;
	int ring;

	ring = (int)syscall(SYS_io_uring_setup, 1, &p);
	if (ring < 0)
		return -STAGE_RING * 1000 - errno;
	if (diag_kernel_at_least(f, 6, 14) && f->user.uring_target_rings &&
	    f->lim.soft != SIZE_UNLIMITED && getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		uint64_t ring_bytes = pages_of(f, 256 + 2 * 16 + 4) * f->page_size +
				      pages_of(f, 64) * f->page_size;

		if (rl.rlim_cur + ring_bytes <= rl.rlim_max)
			rl.rlim_cur += ring_bytes;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	iov.iov_len = size ? size : 1;
	iov.iov_base = mmap(NULL, iov.iov_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (iov.iov_base == MAP_FAILED)
		return errno;
	if (syscall(SYS_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1) != 0)
		return errno;
	return 0;
}

static int probe_perf(const struct diag_facts *f, uint64_t size)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
		.config = PERF_COUNT_SW_CPU_CLOCK, .exclude_kernel = 1, .exclude_hv = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);

	if (fd < 0)
		return -STAGE_RING * 1000 - errno;
	if (mmap(NULL, diag_perf_ring_pages(f, size) * f->page_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0) == MAP_FAILED)
		return errno;
	return 0;
}

/* Into the target's memory cgroup (its own level: v2 allows no process
 * in an inner node), as root can. */
static int join_cgroup(const struct diag_facts *f)
{
	char path[600], pid[24];
	int fd, n;

	snprintf(path, sizeof(path), SYSFS_CGROUP "/%s%s/cgroup.procs",
		 f->mem.cg.v1 ? "memory" : "", f->mem.cg.path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (write(fd, pid, (size_t)n) != n) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/* In the probe's child: become like F, then try.  Returns the errno, or a
 * negative code when the child could not become like F. */
static int probe_child(const struct diag_facts *f, enum diag_mode mode, uint64_t size,
		       unsigned context)
{
	struct rlimit rl;
	uint64_t now = diag_charged_now(f, mode);
	bool onfault = mode == MODE_ONFAULT ||
		       (mode == MODE_MLOCK && f->mem.mi_err == 0 && size > f->mem.mi.available / 4);
	void *p;

	if ((context & 1) && join_cgroup(f) != 0)
		return -STAGE_CGROUP * 1000 - errno;
	if (context & 2) {
		char ns[64];
		int fd;

		snprintf(ns, sizeof(ns), PROCFS_ROOT "/%d/ns/ipc", f->pid);
		fd = open(ns, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWIPC) != 0)
			return -STAGE_IPCNS * 1000 - errno;
		close(fd);
	}
	getrlimit(RLIMIT_MEMLOCK, &rl);
	rl.rlim_cur = f->lim.soft;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return -STAGE_LIMIT * 1000 - errno;
	/* The per-user counters are real only as that user. */
	if (context & 4) {
		struct passwd *pw = getpwuid(f->uid);
		gid_t gid = pw ? pw->pw_gid : 65534;

		if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0)
			return -STAGE_SETUID * 1000 - errno;
		if (setresuid(f->uid, f->uid, f->uid) != 0)
			return -STAGE_SETUID * 1000 - errno;
	}
	if (!diag_cap_lifts(f, mode) && mode != MODE_BPF && caps_drop_ipc_lock() != 0)
		return -STAGE_CAPS * 1000 - errno;
	switch (mode) {
	case MODE_SHM: {
		int id = shmget(IPC_PRIVATE, size ? size : 1, IPC_CREAT | 0600), e = 0;

		if (id < 0)
			return -STAGE_SHMGET * 1000 - errno;
		if (shmctl(id, SHM_LOCK, NULL) != 0)
			e = errno;
		shmctl(id, IPC_RMID, NULL);
		return e;
	}
	case MODE_MLOCKALL:
		return probe_mlockall(f, size);
	case MODE_IO_URING:
		return probe_uring(f, size);
	case MODE_PERF:
		return probe_perf(f, size);
	default:
		break;
	}
	/* What the target has already locked, locked here too (on fault: no
	 * RAM), so that the limit sees the same sum. */
	if (now) {
		p = mmap(NULL, now, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED || sys_mlock2(p, now, MLOCK_ONFAULT) != 0)
			return -STAGE_PRELOCK * 1000 - errno;
	}
	if (mode == MODE_MMAP_LOCKED) {
		/* MCL_FUTURE makes the next mapping VM_LOCKED, checked by
		 * mlock_future_ok() as MAP_LOCKED is, without faulting it in. */
		if (sys_mlockall(MCL_FUTURE | MCL_ONFAULT) != 0)
			return errno;
		return mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE |
			    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED ? errno : 0;
	}
	p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return errno;
	if (onfault)
		return sys_mlock2(p, size, MLOCK_ONFAULT) == 0 ? 0 : errno;
	return sys_mlock(p, size) == 0 ? 0 : errno;
}

bool diag_probe_agrees(const struct diag_report *r, const struct diag_probe_result *p)
{
	if (p->signo)
		return p->signo == SIGKILL && r->oom;
	return p->err == r->err;
}

const char *diag_probe_trust(const struct diag_facts *f, const struct diag_report *r,
			     const struct diag_probe_result *p, char *buf, size_t len)
{
	if (p->signo)
		snprintf(buf, len, "believe the probe: the kernel killed it, which no "
			 "prediction from /proc can overrule");
	else if (diag_modes[r->mode].per_user && !strstr(p->where, "its user"))
		snprintf(buf, len, "believe the prediction: the probe ran as another user, and "
			 "%s charges per user", diag_modes[r->mode].call);
	else if (f->caps.userns && !strstr(p->where, "user namespace"))
		snprintf(buf, len, "believe the probe for the limit, but it ran outside the "
			 "target's user namespace");
	else
		snprintf(buf, len, "believe the probe: it made the real call under %s; the "
			 "prediction missed something the kernel counts (%s)",
			 p->where[0] ? p->where : "the target's limit and capabilities",
			 r->err ? "it predicted a failure" : "it predicted success");
	return buf;
}

static bool same_ns(int pid, const char *name)
{
	char a[64], b[64], la[64] = "", lb[64] = "";

	snprintf(a, sizeof(a), PROCFS_ROOT "/%d/ns/%s", pid, name);
	snprintf(b, sizeof(b), PROCFS_ROOT "/self/ns/%s", name);
	return readlink(a, la, sizeof(la) - 1) > 0 && readlink(b, lb, sizeof(lb) - 1) > 0 &&
	       strcmp(la, lb) == 0;
}

/* The probe's child: becomes like the target, tries, and writes the
 * answer (an int) to FD. */
struct probe_args {
	const struct diag_facts *f;
	enum diag_mode mode;
	uint64_t size;
	unsigned context;
};

static int probe_run(void *arg, int fd)
{
	const struct probe_args *a = arg;
	int code = probe_child(a->f, a->mode, a->size, a->context);

	return write(fd, &code, sizeof(code)) == sizeof(code) ? 0 : 1;
}

int diag_probe(const struct diag_facts *f, enum diag_mode mode, uint64_t size,
	       struct diag_probe_result *res)
{
	char *why = res->why, *answer;
	size_t whylen = sizeof(res->why), len;
	const struct diag_mode_info *m = &diag_modes[mode];
	struct probe_args pr;
	struct cap_state me;
	struct rlimit rl;
	int code = 0, status = 0, rc;
	unsigned context = 0;
	bool root = geteuid() == 0;

	res->where[0] = '\0';
	getrlimit(RLIMIT_MEMLOCK, &rl);
	if (caps_self(-1, &me) != 0)
		me.ipc_lock.effective = false;
	if (mode == MODE_RDMA || mode == MODE_VFIO || mode == MODE_BPF) {
		snprintf(why, whylen, "%s needs a device or a loader the probe does not "
			 "drive; the prediction stands alone", m->call);
		return -ENOTSUP;
	}
	if (mode == MODE_PERF && f->st.vmpin) {
		snprintf(why, whylen, "the probe cannot take the target's VmPin (%s)",
			 diag_sz(f->st.vmpin));
		return -ENOTSUP;
	}
	if (caps_can_lock(&f->caps) && !caps_can_lock(&me)) {
		snprintf(why, whylen, "memlock lacks the CAP_IPC_LOCK that %s has", diag_who(f));
		return -EPERM;
	}
	if (!caps_can_lock(&f->caps) && f->lim.soft > rl.rlim_max &&
	    !me.sys_resource.effective) {
		snprintf(why, whylen, "the soft limit of %s (%s) is above memlock's hard "
			 "limit, and raising it needs CAP_SYS_RESOURCE", diag_who(f),
			 diag_sz(f->lim.soft));
		return -EPERM;
	}
	/* The target's context, as far as root can take it. */
	if (!f->self && root && !f->mem.cg.none && !f->mem.cg_err && m->faults)
		context |= 1;
	if (!f->self && mode == MODE_SHM && !same_ns(f->pid, "ipc")) {
		if (!root) {
			snprintf(why, whylen, "%s is in another IPC namespace, which only root "
				 "can join", diag_who(f));
			return -EPERM;
		}
		context |= 2;
	}
	if (m->per_user && f->uid != getuid()) {
		if (!root || caps_can_lock(&f->caps)) {
			snprintf(why, whylen, "%s charges per user, and %s is another user",
				 m->call, diag_who(f));
			return -EPERM;
		}
		context |= 4;
	}
	snprintf(res->where, sizeof(res->where), "its soft limit and capabilities%s%s%s",
		 context & 1 ? ", its memory cgroup" : "", context & 2 ? ", its IPC namespace" : "",
		 context & 4 || (m->per_user && f->uid == getuid()) ? ", its user" : "");
	pr = (struct probe_args){ .f = f, .mode = mode, .size = size, .context = context };
	rc = child_run(probe_run, &pr, &answer, &len, &status);
	if (rc)
		return rc;
	if (len == sizeof(code))
		memcpy(&code, answer, sizeof(code));
	free(answer);
	res->err = res->signo = 0;
	/* No answer: the wait status says what happened to it. */
	if (len != sizeof(code) && WIFSIGNALED(status)) {
		res->signo = WTERMSIG(status);
		return 0;
	}
	if (len != sizeof(code)) {
		snprintf(why, whylen, "the probe exited with status %d without an answer",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -EIO;
	}
	if (code < 0) {
		snprintf(why, whylen, "%s: %s", probe_stage(code), strerror(-code % 1000));
		return -EPERM;
	}
	res->err = -code;
	return 0;
}
